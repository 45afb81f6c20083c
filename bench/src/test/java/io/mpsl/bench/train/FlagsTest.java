package io.mpsl.bench.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FlagsTest {
    private static final Set<String> VALUED = Set.of("epochs", "lr", "threads", "model");

    @Test
    void shouldParseValuesSwitchesAndPositionals() {
        Flags f = Flags.parse(new String[] {"fetch", "--epochs", "3", "--lr=0.05", "--quiet", "mnist", "--threads", "1,2"},
                VALUED, Set.of("quiet"));
        assertEquals(List.of("fetch", "mnist"), f.positional());
        assertEquals(3, f.integer("epochs", 1, 1));
        assertEquals(0.05f, f.number("lr", 1f, 0f));
        assertTrue(f.has("quiet"));
        assertArrayEquals(new int[] {1, 2}, f.integers("threads", new int[] {4}));
        assertEquals("vgg11", f.string("model", "vgg11"));
    }

    @Test
    void shouldNameTheBadOptionAndWhatIsExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Flags.parse(new String[] {"--epoch", "3"}, VALUED, Set.of()));
        assertTrue(e.getMessage().contains("unknown option '--epoch'; known: --epochs --lr --model --threads"),
                e.getMessage());
        Flags f = Flags.parse(new String[] {"--epochs", "zero", "--lr", "-1"}, VALUED, Set.of());
        e = assertThrows(IllegalArgumentException.class, () -> f.integer("epochs", 1, 1));
        assertEquals("--epochs zero is not an integer >= 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> f.number("lr", 1f, 0f));
        assertEquals("--lr -1 is not a number >= 0.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Flags.parse(new String[] {"--lr"}, VALUED, Set.of()));
        assertEquals("--lr needs a value", e.getMessage());
    }
}
