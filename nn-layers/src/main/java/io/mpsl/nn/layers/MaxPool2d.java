package io.mpsl.nn.layers;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.PoolSpec;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Shapes;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;

/** Max pooling: out = max over each window (padding never wins). Keeps a reference to its input. */
public final class MaxPool2d implements Layer {
    /** Square window, same stride and padding on both axes. */
    public record Spec(int kernel, int stride, int padding) implements LayerSpec {
        @Override
        public String kind() {
            return "maxpool";
        }

        PoolSpec geometry(Shape in) {
            Shapes.requireImage(in, "maxpool");
            return PoolSpec.of(1, in.dim(0), in.dim(1), in.dim(2), kernel, stride, padding);
        }

        @Override
        public Shape outputShape(Shape in) {
            PoolSpec g = geometry(in);
            return Shape.of(in.dim(0), g.outH(), g.outW());
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new MaxPool2d(b, in, this);
        }
    }

    private final Backend backend;
    private final Shape in;
    private final Shape out;
    private final PoolSpec geometry;
    private final int output;
    private final int input;
    private PoolSpec last;

    MaxPool2d(LayerBuilder b, Shape in, Spec spec) {
        this.backend = b.backend();
        this.in = in;
        this.out = spec.outputShape(in);
        this.geometry = spec.geometry(in);
        this.last = geometry;
        this.output = b.output(out);
        this.input = b.reference();
    }

    private PoolSpec geometry(int n) {
        PoolSpec g = last;
        if (g.batch() != n) {
            g = geometry.withBatch(n);
            last = g;
        }
        return g;
    }

    @Override
    public Shape inputShape() {
        return in;
    }

    @Override
    public Shape outputShape() {
        return out;
    }

    @Override
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor in, boolean training) {
        Tensor y = ctx.tensor(output);
        ctx.keep(input, in);
        backend.maxPoolForward(y, in, geometry(in.shape().dim(0)));
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (dIn != null) {
            backend.maxPoolBackward(dIn, dOut, ctx.kept(input), geometry(dOut.shape().dim(0)));
        }
    }
}
