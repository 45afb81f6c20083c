package io.mpsl.nn;

import io.mpsl.tensor.Shape;

/**
 * A description of a layer (kind and hyper-parameters, no weights), from which any node can build it. Specs are
 * immutable records; a {@link ModelSpec} is a list of blocks of them.
 */
public interface LayerSpec {

    /** Short kind used in parameter names, e.g. "conv", "bn", "fc". */
    String kind();

    /** The per-sample output shape for a per-sample input shape; throws with the bad shape if it does not fit. */
    Shape outputShape(Shape in);

    /**
     * Whether the layer's backward reads its input (or its output is a view of its input). When false, the layer
     * before it may write its output to a transient buffer shared with other layers instead of a kept one.
     */
    default boolean keepsInput() {
        return true;
    }

    /** Builds the layer, declaring its parameters and activation buffers with {@code b}. */
    Layer create(LayerBuilder b, Shape in);

    /**
     * Whether this layer can apply {@code next}, the layer after it in a sequence, in its own output pass (a
     * convolution and the ReLU after it). A sequence then builds this one with {@link #createApplying} and
     * {@code next} with its {@link #createApplied}: the same numbers, one pass over the output fewer.
     */
    default boolean canApply(LayerSpec next) {
        return false;
    }

    /** Builds the layer so that it also applies the next one ({@link #canApply}) and keeps that output. */
    default Layer createApplying(LayerBuilder b, Shape in) {
        throw new IllegalStateException(kind() + " applies no layer after it");
    }

    /** Builds the layer as applied by the one before it ({@link #canApply}): it passes its input on. */
    default Layer createApplied(LayerBuilder b, Shape in) {
        throw new IllegalStateException(kind() + " cannot be applied by the layer before it");
    }
}
