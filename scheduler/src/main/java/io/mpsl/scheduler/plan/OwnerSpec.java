package io.mpsl.scheduler.plan;

/**
 * One data owner: its mini-batch size and micro-batch count, how much slower than a compute node its
 * processor is (each compute step is padded to {@code slowdown} times its CPU time, so the device computes
 * slowdown times as long on a processor of its own; 1 = as fast), and its
 * links to the first hop (uplink) and from it (downlink).
 */
public record OwnerSpec(int batch, int microBatches, double slowdown, LinkSpec uplink, LinkSpec downlink) {
    public OwnerSpec {
        if (batch < 1 || microBatches < 1 || microBatches > batch) {
            throw new IllegalArgumentException("owner needs batch >= 1 and 1 <= micro_batches <= batch, got batch "
                    + batch + " and micro_batches " + microBatches);
        }
        if (!(slowdown >= 1.0)) {
            throw new IllegalArgumentException("owner slowdown must be >= 1, got " + slowdown);
        }
    }

    /** Samples in micro-batch {@code mb}: the batch split as evenly as possible, larger ones first. */
    public int microBatchSize(int mb) {
        return batch / microBatches + (mb < batch % microBatches ? 1 : 0);
    }

    /** First sample of micro-batch {@code mb} within the mini-batch. */
    public int microBatchStart(int mb) {
        int base = batch / microBatches;
        int extra = batch % microBatches;
        return mb * base + Math.min(mb, extra);
    }
}
