package io.mpsl.scheduler.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Pipeline schedules as pure functions from (micro-batches, stages, stage) to that stage's instruction
 * order. All are synchronous: every micro-batch's gradients are accumulated and each stage takes one
 * optimizer step per mini-batch, so they compute the same function as unpipelined training.
 */
public enum ScheduleKind {
    /**
     * No pipelining: the whole mini-batch is one micro-batch, forward then backward (classic split
     * learning). With m micro-batches it degenerates to F0 B0 F1 B1 ...: one micro-batch in flight.
     */
    SEQUENTIAL {
        @Override
        List<Instruction> compute(int microBatches, int stages, int stage) {
            List<Instruction> out = new ArrayList<>(2 * microBatches + 1);
            for (int mb = 0; mb < microBatches; mb++) {
                out.add(new Instruction.Forward(mb));
                out.add(new Instruction.Backward(mb));
            }
            return out;
        }
    },
    /** GPipe: all forwards, then all backwards in reverse order (torchgpipe's clock cycles). */
    GPIPE {
        @Override
        List<Instruction> compute(int microBatches, int stages, int stage) {
            List<Instruction> out = new ArrayList<>(2 * microBatches + 1);
            for (int mb = 0; mb < microBatches; mb++) {
                out.add(new Instruction.Forward(mb));
            }
            for (int mb = microBatches - 1; mb >= 0; mb--) {
                out.add(new Instruction.Backward(mb));
            }
            return out;
        }
    },
    /**
     * 1F1B (PipeDream-flush): stage s warms up with min(stages - s - 1, m) forwards, then alternates one
     * forward and one backward, then drains the remaining backwards. At most stages - s micro-batches are
     * in flight on stage s, whatever m is.
     */
    ONE_F_ONE_B {
        @Override
        List<Instruction> compute(int microBatches, int stages, int stage) {
            List<Instruction> out = new ArrayList<>(2 * microBatches + 1);
            int warmup = Math.min(stages - stage - 1, microBatches);
            int fwd = 0;
            int bwd = 0;
            for (; fwd < warmup; fwd++) {
                out.add(new Instruction.Forward(fwd));
            }
            while (fwd < microBatches) {
                out.add(new Instruction.Forward(fwd++));
                out.add(new Instruction.Backward(bwd++));
            }
            while (bwd < microBatches) {
                out.add(new Instruction.Backward(bwd++));
            }
            return out;
        }
    };

    abstract List<Instruction> compute(int microBatches, int stages, int stage);

    /**
     * The instructions of {@code stage} (0-based, of {@code stages}) for one mini-batch of
     * {@code microBatches} micro-batches, ending with the optimizer step.
     */
    public List<Instruction> steps(int microBatches, int stages, int stage) {
        if (microBatches < 1 || stages < 1 || stage < 0 || stage >= stages) {
            throw new IllegalArgumentException("schedule " + this + " needs microBatches >= 1 and 0 <= stage < stages,"
                    + " got microBatches=" + microBatches + " stages=" + stages + " stage=" + stage);
        }
        List<Instruction> out = compute(microBatches, stages, stage);
        out.add(new Instruction.OptimizerStep());
        return List.copyOf(out);
    }

    /** The most micro-batches whose activations stage {@code stage} keeps at once under this schedule. */
    public int maxInFlight(int microBatches, int stages, int stage) {
        int live = 0;
        int max = 0;
        for (Instruction i : steps(microBatches, stages, stage)) {
            if (i instanceof Instruction.Forward) {
                max = Math.max(max, ++live);
            } else if (i instanceof Instruction.Backward) {
                live--;
            }
        }
        return max;
    }

    /** Parses "sequential", "gpipe" or "1f1b" (case-insensitive). */
    public static ScheduleKind parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "sequential", "none" -> SEQUENTIAL;
            case "gpipe", "fthenb", "all-forward-then-backward" -> GPIPE;
            case "1f1b", "one-f-one-b", "pipedream-flush" -> ONE_F_ONE_B;
            default -> throw new IllegalArgumentException("unknown schedule '" + s + "'; use sequential, gpipe or 1f1b");
        };
    }
}
