package io.mpsl.scheduler.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TuneNoiseTest {

    @Test
    void shouldSetEachMeasurementAgainstTheMeanOfTheOthers() {
        double[] err = TuneNoise.againstOthersPct(new double[] {1.0, 1.1, 0.9});
        assertEquals(0.0, err[0], 1e-12); // (1.1 + 0.9) / 2 = 1.0
        assertEquals(100 * (0.95 / 1.1 - 1), err[1], 1e-12);
        assertEquals(100 * (1.05 / 0.9 - 1), err[2], 1e-12);
        Random rnd = new Random();
        double[] x = new double[2 + rnd.nextInt(5)];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.1 + rnd.nextDouble();
        }
        double[] e = TuneNoise.againstOthersPct(x);
        for (int i = 0; i < x.length; i++) {
            double others = 0;
            for (int j = 0; j < x.length; j++) {
                others += j == i ? 0 : x[j] / (x.length - 1);
            }
            assertEquals(100 * (others / x[i] - 1), e[i], 1e-9);
        }
    }

    @Test
    void shouldRefuseFewerThanTwoRepeatsAndUnknownOptionsModelsAndLinksByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TuneNoise.run(new String[] {"--repeats", "1"}));
        assertTrue(e.getMessage().contains("--repeats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TuneNoise.run(new String[] {"--bogus"}));
        assertTrue(e.getMessage().contains("--bogus") && e.getMessage().contains("usage"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TuneNoise.againstOthersPct(new double[] {1.0}));
        e = assertThrows(IllegalArgumentException.class, () -> TuneNoise.run(new String[] {"--models", "vgg7"}));
        assertTrue(e.getMessage().contains("vgg7") && e.getMessage().contains("vgg11"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TuneNoise.run(new String[] {"--links", "100/10"}));
        assertTrue(e.getMessage().contains("100/10") && e.getMessage().contains("10/25"), e.getMessage());
    }
}
