package io.mpsl.nn.train;

/**
 * One epoch's figures.
 *
 * @param epoch 0-based
 * @param trainLoss mean cross-entropy over the epoch's training batches
 * @param trainAccuracy fraction of training samples classified right during the epoch (in training mode)
 * @param testLoss mean cross-entropy on the test set after the epoch
 * @param testAccuracy fraction of test samples classified right after the epoch (0..1)
 * @param trainSeconds wall time of the epoch's training steps (without evaluation)
 * @param samples training samples processed in the epoch
 */
public record EpochResult(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
        double trainSeconds, long samples) {

    /** Training throughput of the epoch. */
    public double samplesPerSecond() {
        return trainSeconds > 0 ? samples / trainSeconds : 0;
    }
}
