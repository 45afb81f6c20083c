package io.mpsl.nn.layers;

import io.mpsl.kernels.Backend;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;

/** out = max(in, 0). Keeps only its output: out > 0 exactly where in > 0, which is all backward needs. */
public final class ReLU implements Layer {
    public record Spec() implements LayerSpec {
        @Override
        public String kind() {
            return "relu";
        }

        @Override
        public boolean keepsInput() {
            return false;
        }

        @Override
        public Shape outputShape(Shape in) {
            return in;
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new ReLU(b, in);
        }

        @Override
        public Layer createApplied(LayerBuilder b, Shape in) {
            return ReLU.applied(b, in);
        }
    }

    private final Backend backend;
    private final Shape shape;
    private final int output;
    private final int applied; // -1, or the reference slot of an input the layer before already passed through max(., 0)

    ReLU(LayerBuilder b, Shape shape) {
        this(b, shape, false);
    }

    private ReLU(LayerBuilder b, Shape shape, boolean applied) {
        this.backend = b.backend();
        this.shape = shape;
        this.output = applied ? -1 : b.kept(shape);
        this.applied = applied ? b.reference() : -1;
    }

    /**
     * The ReLU after a layer that already applied it to its kept output ({@link Conv2d.Spec#createApplying}):
     * forward passes that output on and keeps a reference to it, backward masks with it. Same results as a
     * ReLU of its own, without its pass or its buffer.
     */
    public static Layer applied(LayerBuilder b, Shape shape) {
        return new ReLU(b, shape, true);
    }

    @Override
    public Shape inputShape() {
        return shape;
    }

    @Override
    public Shape outputShape() {
        return shape;
    }

    @Override
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor in, boolean training) {
        if (applied >= 0) {
            ctx.keep(applied, in);
            return in;
        }
        Tensor y = ctx.tensor(output);
        backend.reluForward(y, in);
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (dIn != null) {
            backend.reluBackward(dIn, dOut, applied >= 0 ? ctx.kept(applied) : ctx.tensor(output));
        }
    }
}
