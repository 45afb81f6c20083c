package io.mpsl.nn;

import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;

/**
 * One layer of a model part, built once by a {@link LayerSpec} and shared by every participant's
 * {@link ParameterState} and every micro-batch's {@link ActivationContext}. A layer holds no mutable state of
 * its own: its parameters live in the state and what it keeps for backward lives in the context, so the same
 * layer object can run micro-batch 0 forward, micro-batch 1 forward, then micro-batch 0 backward.
 *
 * <p>Shapes are per sample (no batch axis); tensors passed in and out carry the batch on axis 0.
 */
public interface Layer {

    /** Per-sample input shape, e.g. (channels, height, width) or (features). */
    Shape inputShape();

    /** Per-sample output shape. */
    Shape outputShape();

    /**
     * Computes the output for {@code in} (batch up to the context's capacity) and keeps in {@code ctx} what
     * backward needs. The caller must leave {@code in} unchanged until {@link #backward} of this micro-batch.
     *
     * @return the output, a view of a buffer in {@code ctx} (or of {@code in} for reshapes and identities)
     */
    Tensor forward(ParameterState state, ActivationContext ctx, Tensor in, boolean training);

    /**
     * dIn = d(out)/d(in)^T dOut, overwritten when {@code dIn} is not null; the parameter gradients in
     * {@code state} are <b>added</b> to. Uses what the last {@link #forward} with this {@code ctx} kept.
     */
    void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn);
}
