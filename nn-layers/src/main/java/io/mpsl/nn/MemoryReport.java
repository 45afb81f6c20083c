package io.mpsl.nn;

/**
 * Bytes one segment needs, as planned from its layout: per participant (parameters, gradients, optimizer state,
 * buffers), per activation context of a given capacity (kept activations: outputs, what backward reads, the
 * returned input gradient) and scratch (transient outputs, gradient buffers), which a {@link ContextPool}'s
 * contexts share.
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

    /** Bytes of a {@link ContextPool} holding {@code contexts} contexts: kept bytes each, scratch once. */
    public long poolBytes(int contexts) {
        return contexts * keptActivationBytes + scratchActivationBytes;
    }
}
