package io.mpsl.scheduler.tune;

import java.util.Arrays;

/**
 * A plan the tuner considered: hops, cut points, micro-batch count, its predicted iteration time (from the
 * pipeline simulation), its lower bound (the busiest resource) and each compute node's predicted memory.
 */
public record Candidate(int hops, int[] cuts, int microBatches, double predictedIterationS, double lowerBoundS,
        long[] nodeMemoryBytes) {

    public long maxNodeMemoryBytes() {
        long m = 0;
        for (long b : nodeMemoryBytes) {
            m = Math.max(m, b);
        }
        return m;
    }

    @Override
    public String toString() {
        return "hops=" + hops + " cuts=" + Arrays.toString(cuts) + " micro_batches=" + microBatches + " predicted="
                + String.format(java.util.Locale.ROOT, "%.4f", predictedIterationS) + " s, max node memory="
                + maxNodeMemoryBytes() + " B";
    }
}
