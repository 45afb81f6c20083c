package io.mpsl.scheduler.tune;

/**
 * What one block of a model costs on a compute node. A forward of b samples takes
 * {@code forwardCallS + b * forwardS} seconds of one core (backward likewise), its optimizer step
 * {@code stepS}; {@code outputBytes} per sample cross a cut after it; it holds {@code parameterBytes} of
 * trained parameters and keeps {@code activationBytes} per sample from forward to backward (gradient scratch
 * included). Measured by {@link Profiler} or, for tests, given by hand.
 */
public record BlockCost(double forwardS, double backwardS, long outputBytes, long parameterBytes,
        long activationBytes, double forwardCallS, double backwardCallS, double stepS) {

    /** A block whose time is proportional to its samples and whose optimizer step is free. */
    public BlockCost(double forwardS, double backwardS, long outputBytes, long parameterBytes, long activationBytes) {
        this(forwardS, backwardS, outputBytes, parameterBytes, activationBytes, 0, 0, 0);
    }

    /** Forward seconds of a micro-batch of {@code samples}. */
    public double forwardS(double samples) {
        return forwardCallS + samples * forwardS;
    }

    /** Backward seconds of a micro-batch of {@code samples}. */
    public double backwardS(double samples) {
        return backwardCallS + samples * backwardS;
    }

    /** The same block with compute times multiplied by {@code factor} (a node found slower or faster). */
    public BlockCost scaled(double factor) {
        return new BlockCost(forwardS * factor, backwardS * factor, outputBytes, parameterBytes, activationBytes,
                forwardCallS * factor, backwardCallS * factor, stepS * factor);
    }
}
