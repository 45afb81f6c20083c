package io.mpsl.nn;

/**
 * Bytes one segment needs, as planned from its layout: per participant (parameters, gradients, optimizer state,
 * buffers) and per activation context of a given capacity (kept activations and gradient scratch).
 */
public record MemoryReport(long parameterBytes, long gradientBytes, long optimizerBytes, long bufferBytes,
        long keptActivationBytes, long scratchActivationBytes) {

    /** Bytes of one {@link ParameterState}. */
    public long stateBytes() {
        return parameterBytes + gradientBytes + optimizerBytes + bufferBytes;
    }

    /** Bytes of one {@link ActivationContext}. */
    public long contextBytes() {
        return keptActivationBytes + scratchActivationBytes;
    }

    public long totalBytes() {
        return stateBytes() + contextBytes();
    }
}
