package io.mpsl.nn.layers;

import io.mpsl.kernels.Backend;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Shapes;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;

/** Global average pooling: out[n,c] = mean_{y,x} in[n,c,y,x]; per-sample output (channels). */
public final class GlobalAvgPool implements Layer {
    public record Spec() implements LayerSpec {
        @Override
        public String kind() {
            return "gap";
        }

        @Override
        public boolean keepsInput() {
            return false;
        }

        @Override
        public Shape outputShape(Shape in) {
            return Shape.of(Shapes.requireImage(in, "global average pool").dim(0));
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new GlobalAvgPool(b, in);
        }
    }

    private final Backend backend;
    private final Shape in;
    private final Shape out;
    private final int output;

    GlobalAvgPool(LayerBuilder b, Shape in) {
        this.backend = b.backend();
        this.in = in;
        this.out = new Spec().outputShape(in);
        this.output = b.output(out);
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
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor x, boolean training) {
        Tensor y = ctx.tensor(output);
        backend.globalAvgPoolForward(y, x, x.shape().dim(0), in.dim(0), in.dim(1) * in.dim(2));
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (dIn != null) {
            backend.globalAvgPoolBackward(dIn, dOut, dOut.shape().dim(0), in.dim(0), in.dim(1) * in.dim(2));
        }
    }
}
