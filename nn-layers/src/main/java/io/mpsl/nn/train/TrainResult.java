package io.mpsl.nn.train;

import java.util.List;

/** The epochs one {@link Trainer#fit} call ran. */
public record TrainResult(List<EpochResult> epochs) {
    public TrainResult {
        epochs = List.copyOf(epochs);
    }

    /** Test accuracy after the last epoch (0..1), NaN if no epoch ran. */
    public double testAccuracy() {
        return epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).testAccuracy();
    }

    /** Training samples per second over all epochs (training steps only, not evaluation). */
    public double samplesPerSecond() {
        double seconds = 0;
        long samples = 0;
        for (EpochResult e : epochs) {
            seconds += e.trainSeconds();
            samples += e.samples();
        }
        return seconds > 0 ? samples / seconds : 0;
    }
}
