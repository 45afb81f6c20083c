package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HostStealTest {

    @Test
    void shouldGiveTheStolenShareOfTheTicksBetweenTwoReadings() {
        // 4,064 ticks passed, 411 of them stolen: 10.11%
        assertEquals(100.0 * 411 / 4064, LocalCluster.stealPct(new long[] {1000, 600, 50},
                new long[] {5064, 3000, 461}), 1e-12);
        assertTrue(Double.isNaN(LocalCluster.stealPct(null, new long[] {1, 1, 0})));
        assertTrue(Double.isNaN(LocalCluster.stealPct(new long[] {5, 1, 0}, new long[] {5, 1, 0})), "no time passed");
        SplittableRandom rnd = new SplittableRandom();
        for (int i = 0; i < 100; i++) {
            long all = 1 + rnd.nextLong(1_000_000);
            long stolen = rnd.nextLong(all + 1);
            long[] a = {rnd.nextLong(1L << 40), 0, rnd.nextLong(1L << 30)};
            double pct = LocalCluster.stealPct(a, new long[] {a[0] + all, 0, a[2] + stolen});
            assertEquals(100.0 * stolen / all, pct, 1e-9);
        }
    }

    @Test
    void shouldReadTheMachinesTicksWhereItSaysThem() throws InterruptedException {
        long[] a = LocalCluster.hostTicks();
        assumeTrue(a != null, "no /proc/stat");
        long t = System.nanoTime();
        while (System.nanoTime() - t < 50_000_000L) {
            Thread.onSpinWait(); // busy for 50 ms: at least a few ticks pass
        }
        long[] b = LocalCluster.hostTicks();
        assertTrue(b[0] > a[0] && b[1] >= a[1] && b[2] >= a[2], "ticks only grow");
        double s = LocalCluster.stealPct(a, b);
        assertTrue(s >= 0 && s <= 100, "steal " + s);
    }
}
