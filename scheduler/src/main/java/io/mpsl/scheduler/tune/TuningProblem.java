package io.mpsl.scheduler.tune;

import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.List;

/**
 * What the tuner chooses for: the model's block costs (as measured on a compute node), the owners (batch,
 * slowdown, links), the link between hops, the mode and schedule, the hop counts and micro-batch counts to
 * consider, each compute node's memory cap, and what the runtime costs beside the model.
 *
 * @param optimizerTensors optimizer state tensors per parameter tensor (0 plain SGD, 1 momentum, 2 Adam)
 * @param memoryCapBytes per compute node; 0 = unlimited
 * @param maxInFlight activation slots per compute node (see the runtime)
 * @param ownerFactor per owner: its compute time relative to the profiled blocks before its slowdown
 *     (1 = as profiled; the live profiler raises it when an owner turns out slower); empty = all 1
 */
public record TuningProblem(List<BlockCost> blocks, List<OwnerSpec> owners, LinkSpec hopLink, Mode mode,
        ScheduleKind schedule, int minHops, int maxHops, int[] microBatchChoices, int optimizerTensors,
        long memoryCapBytes, int maxInFlight, RuntimeCosts runtime, double[] ownerFactor, double hopFactor,
        double[] ownerUrgency) {

    public TuningProblem {
        blocks = List.copyOf(blocks);
        owners = List.copyOf(owners);
        microBatchChoices = microBatchChoices.clone();
        ownerFactor = ownerFactor.clone();
        ownerUrgency = ownerUrgency.clone();
        if (ownerUrgency.length != 0 && ownerUrgency.length != owners.size()) {
            throw new IllegalArgumentException("owner urgencies: " + ownerUrgency.length + " for " + owners.size()
                    + " owners");
        }
        int stagesNeeded = mode == Mode.U_SHAPED ? 3 : 2;
        if (minHops < 1 || maxHops < minHops || blocks.size() < stagesNeeded - 1 + minHops) {
            throw new IllegalArgumentException("cannot place " + minHops + ".." + maxHops + " hops on a model of "
                    + blocks.size() + " blocks in " + mode + " mode");
        }
        if (microBatchChoices.length == 0) {
            throw new IllegalArgumentException("no micro-batch counts to choose from");
        }
        if (ownerFactor.length != 0 && ownerFactor.length != owners.size()) {
            throw new IllegalArgumentException("owner factors: " + ownerFactor.length + " for " + owners.size()
                    + " owners");
        }
        if (!(hopFactor > 0)) {
            throw new IllegalArgumentException("hop factor must be > 0, got " + hopFactor);
        }
    }

    /** As the canonical form, each owner's urgency its uplink's seconds per byte (see {@link #ownerUrgency(int)}). */
    public TuningProblem(List<BlockCost> blocks, List<OwnerSpec> owners, LinkSpec hopLink, Mode mode,
            ScheduleKind schedule, int minHops, int maxHops, int[] microBatchChoices, int optimizerTensors,
            long memoryCapBytes, int maxInFlight, RuntimeCosts runtime, double[] ownerFactor, double hopFactor) {
        this(blocks, owners, hopLink, mode, schedule, minHops, maxHops, microBatchChoices, optimizerTensors,
                memoryCapBytes, maxInFlight, runtime, ownerFactor, hopFactor, new double[0]);
    }

    /** A problem with dedicated processors and free runtime overheads (the cost model's textbook form). */
    public TuningProblem(List<BlockCost> blocks, List<OwnerSpec> owners, LinkSpec hopLink, Mode mode,
            ScheduleKind schedule, int minHops, int maxHops, int[] microBatchChoices, int optimizerTensors,
            long memoryCapBytes, int maxInFlight) {
        this(blocks, owners, hopLink, mode, schedule, minHops, maxHops, microBatchChoices, optimizerTensors,
                memoryCapBytes, maxInFlight, RuntimeCosts.IDEAL, new double[0], 1.0);
    }

    /**
     * How soon a compute node serves owner {@code p} ({@code ComputeNode} takes the most urgent participant's
     * ready step first): the seconds per byte of its configured uplink, as the runtime ranks it; the owners'
     * links in this problem may be measured estimates, which must not reorder owners the runtime treats alike.
     * Without given urgencies, the owners' uplinks here.
     */
    public double ownerUrgency(int p) {
        return ownerUrgency.length == 0 ? owners.get(p).uplink().secondsPerByte() : ownerUrgency[p];
    }

    @Override
    public double[] ownerUrgency() {
        return ownerUrgency.clone();
    }

    /** Owner {@code p}'s compute factor (before its slowdown). */
    public double ownerFactor(int p) {
        return ownerFactor.length == 0 ? 1.0 : ownerFactor[p];
    }

    @Override
    public int[] microBatchChoices() {
        return microBatchChoices.clone();
    }

    @Override
    public double[] ownerFactor() {
        return ownerFactor.clone();
    }
}
