package io.mpsl.scheduler.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The grid's rule for measurements the hypervisor spoiled: when to measure again, and which attempt to keep. */
class HostStealRuleTest {
    @Test
    void noisyOnlyOverTheThresholdAndNeverWhereUnknown() {
        assertFalse(HostSteal.noisy(0));
        assertFalse(HostSteal.noisy(HostSteal.NOISY_PCT));
        assertTrue(HostSteal.noisy(Math.nextUp(HostSteal.NOISY_PCT)));
        assertTrue(HostSteal.noisy(40));
        assertFalse(HostSteal.noisy(Double.NaN));
    }

    @Test
    void keepsTheFirstAttemptWithTheLeastSteal() {
        Random rnd = new Random();
        for (int t = 0; t < 1000; t++) {
            double[] steal = new double[1 + rnd.nextInt(HostSteal.ATTEMPTS)];
            for (int i = 0; i < steal.length; i++) {
                steal[i] = rnd.nextInt(4) * 5.0; // ties on purpose
            }
            int expect = 0; // oracle: a scan for the least, the earliest on a tie
            for (int i = 1; i < steal.length; i++) {
                expect = steal[i] < steal[expect] ? i : expect;
            }
            assertEquals(expect, HostSteal.quietest(steal), java.util.Arrays.toString(steal));
        }
        assertEquals(0, HostSteal.quietest(new double[] {Double.NaN}));
        assertEquals(0, HostSteal.quietest(new double[] {20, Double.NaN, 1}));
    }

    @Test
    void probeReadsAShareOfTheMachineOrNothing() throws Exception {
        double s = HostSteal.probe(1, 50_000_000);
        if (io.mpsl.scheduler.runtime.LocalCluster.hostTicks() == null) {
            assertTrue(Double.isNaN(s));
        } else {
            assertTrue(s >= 0 && s <= 100, "steal " + s);
        }
    }
}
