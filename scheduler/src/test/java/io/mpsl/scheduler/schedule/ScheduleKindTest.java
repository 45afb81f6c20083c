package io.mpsl.scheduler.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScheduleKindTest {

    private static String table(ScheduleKind k, int m, int stages, int stage) {
        return k.steps(m, stages, stage).toString();
    }

    @Test
    void shouldGiveLiteralOneFOneBTables() {
        // 4 micro-batches over 3 stages: warm-up of 2, 1 and 0 forwards.
        assertEquals("[F0, F1, F2, B0, F3, B1, B2, B3, S]", table(ScheduleKind.ONE_F_ONE_B, 4, 3, 0));
        assertEquals("[F0, F1, B0, F2, B1, F3, B2, B3, S]", table(ScheduleKind.ONE_F_ONE_B, 4, 3, 1));
        assertEquals("[F0, B0, F1, B1, F2, B2, F3, B3, S]", table(ScheduleKind.ONE_F_ONE_B, 4, 3, 2));
        // fewer micro-batches than stages: warm-up is capped by m
        assertEquals("[F0, F1, B0, B1, S]", table(ScheduleKind.ONE_F_ONE_B, 2, 4, 0));
    }

    @Test
    void shouldGiveLiteralGpipeAndSequentialTables() {
        assertEquals("[F0, F1, F2, B2, B1, B0, S]", table(ScheduleKind.GPIPE, 3, 2, 0));
        assertEquals("[F0, F1, F2, B2, B1, B0, S]", table(ScheduleKind.GPIPE, 3, 2, 1));
        assertEquals("[F0, B0, F1, B1, S]", table(ScheduleKind.SEQUENTIAL, 2, 3, 1));
    }

    @Test
    void shouldRunEveryMicroBatchForwardBeforeBackwardExactlyOnce() {
        for (ScheduleKind k : ScheduleKind.values()) {
            for (int stages = 1; stages <= 5; stages++) {
                for (int m = 1; m <= 9; m++) {
                    for (int s = 0; s < stages; s++) {
                        List<Instruction> steps = k.steps(m, stages, s);
                        Set<Integer> fwd = new HashSet<>();
                        Set<Integer> bwd = new HashSet<>();
                        for (Instruction i : steps) {
                            if (i instanceof Instruction.Forward f) {
                                assertTrue(fwd.add(f.microBatch()), k + " repeats " + f);
                            } else if (i instanceof Instruction.Backward b) {
                                assertTrue(fwd.contains(b.microBatch()), k + " runs " + b + " before its forward");
                                assertTrue(bwd.add(b.microBatch()), k + " repeats " + b);
                            }
                        }
                        assertEquals(m, fwd.size());
                        assertEquals(m, bwd.size());
                        assertEquals(new Instruction.OptimizerStep(), steps.get(steps.size() - 1));
                    }
                }
            }
        }
    }

    @Test
    void shouldBoundInFlightMicroBatches() {
        assertEquals(1, ScheduleKind.SEQUENTIAL.maxInFlight(8, 3, 0));
        assertEquals(8, ScheduleKind.GPIPE.maxInFlight(8, 3, 0));
        assertEquals(3, ScheduleKind.ONE_F_ONE_B.maxInFlight(8, 3, 0));
        assertEquals(1, ScheduleKind.ONE_F_ONE_B.maxInFlight(8, 3, 2));
    }

    @Test
    void shouldRejectBadArgumentsAndParseNames() {
        assertThrows(IllegalArgumentException.class, () -> ScheduleKind.GPIPE.steps(0, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> ScheduleKind.GPIPE.steps(2, 2, 2));
        assertEquals(ScheduleKind.ONE_F_ONE_B, ScheduleKind.parse("1F1B"));
        assertEquals(ScheduleKind.GPIPE, ScheduleKind.parse("gpipe"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScheduleKind.parse("zigzag"));
        assertTrue(e.getMessage().contains("zigzag"));
    }
}
