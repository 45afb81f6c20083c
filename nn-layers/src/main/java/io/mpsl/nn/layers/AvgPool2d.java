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

/** Average pooling: out = mean over each window, padding counted as zeros. Keeps nothing for backward but its output. */
public final class AvgPool2d implements Layer {
    /** Square window, same stride and padding on both axes. */
    public record Spec(int kernel, int stride, int padding) implements LayerSpec {
        @Override
        public String kind() {
            return "avgpool";
        }

        PoolSpec geometry(Shape in) {
            Shapes.requireImage(in, "avgpool");
            return PoolSpec.of(1, in.dim(0), in.dim(1), in.dim(2), kernel, stride, padding);
        }

        @Override
        public boolean keepsInput() {
            return false;
        }

        @Override
        public Shape outputShape(Shape in) {
            PoolSpec g = geometry(in);
            return Shape.of(in.dim(0), g.outH(), g.outW());
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new AvgPool2d(b, in, this);
        }
    }

    private final Backend backend;
    private final Shape in;
    private final Shape out;
    private final PoolSpec geometry;
    private final int output;
    private PoolSpec last;

    AvgPool2d(LayerBuilder b, Shape in, Spec spec) {
        this.backend = b.backend();
        this.in = in;
        this.out = spec.outputShape(in);
        this.geometry = spec.geometry(in);
        this.last = geometry;
        this.output = b.output(out);
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
        backend.avgPoolForward(y, in, geometry(in.shape().dim(0)));
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (dIn != null) {
            backend.avgPoolBackward(dIn, dOut, geometry(dOut.shape().dim(0)));
        }
    }
}
