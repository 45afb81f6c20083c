package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SlowdownPaddingTest {

    @Test
    void shouldPadByTheStepsCpuTimeSoThatWaitingForASharedCoreIsNotMultiplied() {
        // a step of 10 ms wall that ran 4 ms on a core (6 ms it waited for one): a device 3x slower computes
        // 2 x 4 ms longer; the 6 ms of waiting are this machine's, added once, not three times
        assertEquals(8_000_000L, NodeBase.padNs(10_000_000L, 4_000_000L, 3.0));
        // CPU time unknown (a multi-threaded backend, or no thread CPU clock): the wall time, as before
        assertEquals(20_000_000L, NodeBase.padNs(10_000_000L, -1, 3.0));
        // no slower device, no padding; a CPU reading over the wall time (clock granularity) counts as the wall
        assertEquals(0L, NodeBase.padNs(10_000_000L, 4_000_000L, 1.0));
        assertEquals(10_000_000L, NodeBase.padNs(10_000_000L, 10_000_100L, 2.0));
        Random rnd = new Random();
        for (int i = 0; i < 100; i++) {
            long wall = 1 + rnd.nextInt(1_000_000_000);
            long cpu = rnd.nextInt(1_000_000_000);
            double s = 1 + 9 * rnd.nextDouble();
            long pad = NodeBase.padNs(wall, cpu, s);
            assertEquals((long) (Math.min(cpu, wall) * (s - 1)), pad);
        }
    }
}
