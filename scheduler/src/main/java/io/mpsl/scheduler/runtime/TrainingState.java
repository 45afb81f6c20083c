package io.mpsl.scheduler.runtime;

import java.util.List;
import java.util.Map;

/**
 * Every participant's training state at a round boundary, independent of where the model is cut: tensors by
 * name (parameter values, buffers, optimizer state such as "momentum.NAME"), each participant's optimizer step
 * count and training-forward count, and each owner's data-loader position {epoch, next batch}.
 */
public record TrainingState(List<Map<String, float[]>> tensors, int[] steps, long[] trainingForwards,
        int[][] loaderPositions) {
}
