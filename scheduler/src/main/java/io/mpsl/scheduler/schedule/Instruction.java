package io.mpsl.scheduler.schedule;

/**
 * One step a pipeline stage performs. A stage's schedule is an ordered list of these; the executor runs
 * the next one when its input has arrived (a {@link Forward} on a stage other than the first waits for the
 * micro-batch's activation, a {@link Backward} on a stage other than the last waits for its gradient).
 * Sends follow their compute step implicitly: a forward's output goes downstream, a backward's input
 * gradient goes upstream.
 */
public sealed interface Instruction permits Instruction.Forward, Instruction.Backward, Instruction.OptimizerStep {

    /** Forward of micro-batch {@code microBatch} through this stage's segment. */
    record Forward(int microBatch) implements Instruction {
        @Override
        public String toString() {
            return "F" + microBatch;
        }
    }

    /** Backward of micro-batch {@code microBatch}; parameter gradients accumulate. */
    record Backward(int microBatch) implements Instruction {
        @Override
        public String toString() {
            return "B" + microBatch;
        }
    }

    /** One optimizer step with the accumulated gradients, then zero them: ends the mini-batch. */
    record OptimizerStep() implements Instruction {
        @Override
        public String toString() {
            return "S";
        }
    }
}
