package io.mpsl.nn;

import io.mpsl.kernels.Backend;
import io.mpsl.tensor.Shape;

/**
 * Handed to {@link LayerSpec#create} while a segment is built: gives the backend, and records the parameters
 * (with stable names such as {@code block3.conv.weight}) and activation slots the layer will use. Indices it
 * returns address {@link ParameterState} and {@link ActivationContext}.
 */
public final class LayerBuilder {
    private final Backend backend;
    private final Layout layout;
    private final String prefix;
    private final int block;
    private final int transientSlot; // -1, or the per-sample scratch slot this layer's output may live in

    LayerBuilder(Backend backend, Layout layout, String prefix, int block) {
        this(backend, layout, prefix, block, -1);
    }

    private LayerBuilder(Backend backend, Layout layout, String prefix, int block, int transientSlot) {
        this.backend = backend;
        this.layout = layout;
        this.prefix = prefix;
        this.block = block;
        this.transientSlot = transientSlot;
    }

    public Backend backend() {
        return backend;
    }

    /** The full name of a local name in this scope, e.g. "block3.conv" for "conv". */
    public String name(String local) {
        return prefix + local;
    }

    /** Index of the model block being built (absolute, the same in every segment that contains it). */
    public int block() {
        return block;
    }

    /** A builder for a nested scope: names get {@code scope + "."} appended to this prefix. */
    public LayerBuilder scope(String scope) {
        return new LayerBuilder(backend, layout, prefix + scope + ".", block);
    }

    /** This builder, with {@link #output} placing the layer's output in scratch slot {@code slot}. */
    public LayerBuilder withTransientOutput(int slot) {
        return new LayerBuilder(backend, layout, prefix, block, slot);
    }

    /**
     * The slot of the layer's output, for layers whose backward does not read their own output: kept, or a view
     * of a transient scratch buffer when the next layer does not keep its input ({@link LayerSpec#keepsInput}).
     * A layer whose backward reads its output (ReLU) uses {@link #kept} instead.
     */
    public int output(Shape perSample) {
        return transientSlot >= 0 ? alias(transientSlot, perSample) : kept(perSample);
    }

    /** Declares a trained tensor; returns its index for {@link ParameterState#value} and {@link ParameterState#grad}. */
    public int parameter(String local, Shape shape, Init init, int fanIn, int fanOut) {
        layout.params.add(new Layout.Param(prefix + local, shape, init, fanIn, fanOut, block));
        return layout.params.size() - 1;
    }

    /** Declares untrained per-participant state filled with {@code value}; index for {@link ParameterState#buffer}. */
    public int buffer(String local, Shape shape, float value) {
        layout.buffers.add(new Layout.Buffer(prefix + local, shape, value, block));
        return layout.buffers.size() - 1;
    }

    /** A per-sample activation slot kept from forward to backward (outputs, masks, normalised inputs). */
    public int kept(Shape perSample) {
        return slot(perSample, true, true, -1);
    }

    /**
     * A per-sample slot used only inside one pass (gradient buffers, transient outputs), placed on top of the
     * scratch of the frames now open; see {@link #scratchMark()}.
     */
    public int scratch(Shape perSample) {
        return layout.stackScratch(perSample, block);
    }

    /**
     * The top of the scratch stack, to pass to {@link #resetScratch} after declaring a child whose scratch is
     * dead once its pass is over: the next sibling's scratch then reuses the same memory. A composite declares its
     * own scratch (live across its children's passes) first, then each child between a mark and a reset.
     */
    public long scratchMark() {
        return layout.scratchTop;
    }

    /** Returns the scratch stack to a {@link #scratchMark()}. */
    public void resetScratch(long mark) {
        layout.scratchTop = mark;
    }

    /** A batch-independent kept slot (e.g. per-channel batch statistics). */
    public int keptFixed(Shape shape) {
        return slot(shape, false, true, -1);
    }

    /** A batch-independent scratch slot (e.g. per-channel gradient sums). */
    public int scratchFixed(Shape shape) {
        return slot(shape, false, false, -1);
    }

    /**
     * A per-sample view of shape {@code perSample} over the memory of per-sample slot {@code of}, which must be at
     * least as large per sample.
     */
    public int alias(int of, Shape perSample) {
        Layout.Slot target = layout.slots.get(of);
        if (!target.perSample() || target.shape().size() < perSample.size()) {
            throw new IllegalArgumentException("cannot alias " + perSample + " onto slot of " + target.shape());
        }
        return slot(perSample, true, target.kept(), of);
    }

    /** A slot holding a reference to a tensor owned elsewhere (a layer's input), kept for backward. */
    public int reference() {
        return layout.references++;
    }

    private int slot(Shape shape, boolean perSample, boolean kept, int aliasOf) {
        layout.slots.add(new Layout.Slot(shape, perSample, kept, block, aliasOf, -1));
        return layout.slots.size() - 1;
    }
}
