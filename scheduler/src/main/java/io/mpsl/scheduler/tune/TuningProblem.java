package io.mpsl.scheduler.tune;

import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.List;

/**
 * What the tuner chooses for: the model's block costs, the owners (batch, slowdown, links), the link
 * between hops, the mode and schedule, the hop counts and micro-batch counts to consider, and each compute
 * node's memory cap.
 *
 * @param optimizerTensors optimizer state tensors per parameter tensor (0 plain SGD, 1 momentum, 2 Adam)
 * @param memoryCapBytes per compute node; 0 = unlimited
 * @param maxInFlight activation slots per compute node (see the runtime)
 */
public record TuningProblem(List<BlockCost> blocks, List<OwnerSpec> owners, LinkSpec hopLink, Mode mode,
        ScheduleKind schedule, int minHops, int maxHops, int[] microBatchChoices, int optimizerTensors,
        long memoryCapBytes, int maxInFlight) {

    public TuningProblem {
        blocks = List.copyOf(blocks);
        owners = List.copyOf(owners);
        microBatchChoices = microBatchChoices.clone();
        int stagesNeeded = mode == Mode.U_SHAPED ? 3 : 2;
        if (minHops < 1 || maxHops < minHops || blocks.size() < stagesNeeded - 1 + minHops) {
            throw new IllegalArgumentException("cannot place " + minHops + ".." + maxHops + " hops on a model of "
                    + blocks.size() + " blocks in " + mode + " mode");
        }
        if (microBatchChoices.length == 0) {
            throw new IllegalArgumentException("no micro-batch counts to choose from");
        }
    }
}
