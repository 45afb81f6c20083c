package io.mpsl.scheduler.tune;

/**
 * What one block of a model costs, per sample, on a compute node: forward and backward seconds, the bytes of
 * its output (what crosses a cut after it), its parameter bytes, and the activation bytes it keeps for
 * backward. Measured by {@code Segment.profile} (the layers' profiler) or, for tests, given by hand.
 */
public record BlockCost(double forwardS, double backwardS, long outputBytes, long parameterBytes,
        long activationBytes) {
}
