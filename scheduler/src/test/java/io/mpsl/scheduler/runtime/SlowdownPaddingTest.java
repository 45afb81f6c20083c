package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SlowdownPaddingTest {

    @Test
    void shouldPadToSlowdownTimesTheStepsCpuTimeSoThatWaitingForASharedCoreIsNotTheDevices() {
        // a step of 10 ms wall that ran 4 ms on a core (6 ms it waited for one): a device 3x slower, with a
        // processor of its own, takes 3 x 4 = 12 ms: 2 ms of padding; the waiting comes out of it
        assertEquals(2_000_000L, NodeBase.padNs(10_000_000L, 4_000_000L, 3.0));
        // waiting longer than the device's own time: no padding (the step took 20 ms, the device 2 x 4 = 8 ms)
        assertEquals(0L, NodeBase.padNs(20_000_000L, 4_000_000L, 2.0));
        // CPU time unknown (a multi-threaded backend, or no thread CPU clock): the wall time, 3 x 10 - 10
        assertEquals(20_000_000L, NodeBase.padNs(10_000_000L, -1, 3.0));
        // no slower device, no padding; a CPU reading over the wall time (clock granularity) counts as the wall
        assertEquals(0L, NodeBase.padNs(10_000_000L, 4_000_000L, 1.0));
        assertEquals(10_000_000L, NodeBase.padNs(10_000_000L, 10_000_100L, 2.0));
        java.util.SplittableRandom rnd = new java.util.SplittableRandom();
        for (int i = 0; i < 1000; i++) {
            long wall = 1 + rnd.nextInt(1_000_000_000);
            long cpu = rnd.nextInt(1_000_000_000);
            double s = 1 + 9 * rnd.nextDouble();
            long pad = NodeBase.padNs(wall, cpu, s);
            // the padded step lasts as long as the device's compute, or the wall time where that is longer
            double device = Math.min(cpu, wall) * s;
            assertEquals(Math.max(wall, device), wall + pad, 1.0, "wall " + wall + ", cpu " + cpu + ", slowdown " + s);
        }
    }
}
