package io.mpsl.nn.train;

/** What a {@link Trainer} reports while it runs (progress bars, logs). Called on the training thread. */
public interface TrainListener {
    /** Epoch {@code epoch} (0-based) of {@code epochs} starts at batch {@code firstBatch} of {@code batches}. */
    default void onEpochStart(int epoch, int epochs, int firstBatch, int batches) {
    }

    /** A batch finished: {@code done} batches of {@code batches}, running mean loss of this epoch so far. */
    default void onBatch(int epoch, int done, int batches, double meanLoss) {
    }

    /** An epoch finished and was evaluated. */
    default void onEpochEnd(EpochResult result) {
    }

    /** A checkpoint was written. */
    default void onCheckpoint(java.nio.file.Path file, int epoch) {
    }
}
