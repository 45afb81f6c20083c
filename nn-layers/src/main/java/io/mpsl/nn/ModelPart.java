package io.mpsl.nn;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;

/**
 * A segment with one participant's state and one activation context: the simple way to train a part one
 * micro-batch at a time (centralized training, tests). Pipelined runtimes use {@link Segment} with several
 * contexts instead.
 */
public final class ModelPart implements AutoCloseable {
    private final Segment segment;
    private final ParameterState state;
    private final ActivationContext context;

    public ModelPart(Segment segment, long seed, OptimizerSpec optimizer, int maxBatch, MemoryAccount account) {
        this.segment = segment;
        this.state = segment.newState(seed, optimizer, account.child("state"));
        this.context = segment.newContext(maxBatch, account.child("activations"));
    }

    public Segment segment() {
        return segment;
    }

    public ParameterState state() {
        return state;
    }

    public ActivationContext context() {
        return context;
    }

    /** See {@link Segment#forward}. */
    public Tensor forward(Tensor input, boolean training) {
        return segment.forward(state, context, input, training);
    }

    /** See {@link Segment#backward}. */
    public Tensor backward(Tensor dOut) {
        return segment.backward(state, context, dOut);
    }

    public void step() {
        state.step();
    }

    public void zeroGrad() {
        state.zeroGrad();
    }

    @Override
    public void close() {
        context.close();
        state.close();
    }
}
