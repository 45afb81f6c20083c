package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The live profiler's probe: how it splits, keeps and summarises the calls it is given. */
class BlockClockTest {

    @Test
    void shouldSplitACallOverItsBlocksAsTheirWallTimesAndKeepEachSizeApart() {
        BlockClock c = new BlockClock(2, 2, true);
        for (int i = 0; i < 5; i++) {
            c.add(0, 4, 1000, new long[] {10, 30});
            c.add(1, 4, 3000, new long[] {20, 10});
            c.add(0, 8, 2000, new long[] {5, 5});
        }
        assertArrayEquals(new int[] {4, 8, 0, 0}, c.sizes());
        assertEquals(2, c.fromBlock());
        assertEquals(250, c.medianNs(0, 0, 0), 1e-9);
        assertEquals(750, c.medianNs(0, 0, 1), 1e-9);
        assertEquals(2000, c.medianNs(1, 0, 0), 1e-9);
        assertEquals(1000, c.medianNs(1, 0, 1), 1e-9);
        assertEquals(1000, c.medianNs(0, 1, 0), 1e-9);
        assertEquals(5, c.calls(0, 1));
        assertTrue(Double.isNaN(c.medianNs(1, 1, 0)), "no backward of 8 samples was recorded");
    }

    @Test
    void shouldForgetTheCompilersSlowFirstCallsAndIgnoreAPreemptedOne() {
        BlockClock c = new BlockClock(0, 1, true);
        for (int i = 0; i < 5; i++) {
            c.add(0, 2, 1_000_000, new long[] {1}); // interpreted code: 1000x slower
        }
        for (int i = 0; i < BlockClock.WINDOW; i++) {
            c.add(0, 2, i == 7 ? 50_000 : 1000 + i % 3, new long[] {1});
        }
        assertEquals(1001, c.medianNs(0, 0, 0), 1e-9);
        for (int i = 0; i < 3; i++) {
            c.addStep(i == 0 ? 90_000 : 300);
        }
        assertEquals(300, c.stepMedianNs(), 1e-9);
    }

    @Test
    void shouldDropSizesBeyondItsSlotsAndSayHowMany() {
        BlockClock c = new BlockClock(0, 1, false);
        for (int s = 1; s <= BlockClock.SIZES + 2; s++) {
            c.add(0, s, 100L * s, new long[] {0});
        }
        assertEquals(2, c.dropped());
        assertEquals(100, c.medianNs(0, 0, 0), 1e-9, "a call whose blocks took no measurable wall time: equal shares");
    }

    @Test
    void shouldTimeItsOwnCallsFromBeginToEnd() {
        BlockClock c = new BlockClock(0, 2, true);
        long[] blockNs = c.begin();
        double x = 0;
        for (int i = 0; i < 200_000; i++) { // some CPU work for the thread's clock to see
            x += Math.sqrt(i);
        }
        blockNs[0] = 1;
        blockNs[1] = 1;
        c.endForward(3);
        assertTrue(x > 0);
        assertEquals(3, c.sizes()[0]);
        assertTrue(c.medianNs(0, 0, 0) > 0 && c.medianNs(0, 0, 0) == c.medianNs(0, 0, 1),
                "two blocks of equal wall time share the call equally: " + c.medianNs(0, 0, 0) + " and "
                        + c.medianNs(0, 0, 1));
    }
}
