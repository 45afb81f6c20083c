package io.mpsl.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigArgsTest {
    private static final Map<String, String> OPTIONS = Map.of("--out", "a directory", "--role", "a name");

    @Test
    void shouldReadTheConfigTheSetsInOrderAndTheCommandsOptions() throws UsageException {
        ConfigArgs a = ConfigArgs.parse(new String[] {"--set", "hops=2", "c.yaml", "--role", "hop1", "--set",
            "owners=3", "--out", "dir"}, OPTIONS, "x.yaml");
        assertEquals(Path.of("c.yaml"), a.config());
        assertEquals(List.of("hops=2", "owners=3"), a.sets());
        assertEquals("hop1", a.options().get("--role"));
        assertEquals(Path.of("dir"), a.path("--out"));
    }

    @Test
    void shouldLeaveAnOptionNotGivenUnset() throws UsageException {
        assertNull(ConfigArgs.parse(new String[] {"c.yaml"}, OPTIONS, "x.yaml").path("--out"));
    }

    @Test
    void shouldNameWhatIsWrong() {
        assertTrue(assertThrows(UsageException.class, () -> ConfigArgs.parse(new String[] {"c.yaml", "--out"},
                OPTIONS, "x.yaml")).getMessage().contains("--out needs a directory"));
        assertTrue(assertThrows(UsageException.class, () -> ConfigArgs.parse(new String[] {"c.yaml", "--json", "f"},
                OPTIONS, "x.yaml")).getMessage().contains("unexpected argument '--json'"));
        assertTrue(assertThrows(UsageException.class, () -> ConfigArgs.parse(new String[] {"a.yaml", "b.yaml"},
                OPTIONS, "x.yaml")).getMessage().contains("unexpected argument 'b.yaml'"));
        assertTrue(assertThrows(UsageException.class, () -> ConfigArgs.parse(new String[] {"--set", "k=v"},
                OPTIONS, "x.yaml")).getMessage().contains("which config? e.g. x.yaml"));
    }
}
