package io.mpsl.nn.layers;

import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;

/** (channels, height, width) to (features): a view of its input, no copy forward; backward copies dOut to dIn. */
public final class Flatten implements Layer {
    public record Spec() implements LayerSpec {
        @Override
        public String kind() {
            return "flatten";
        }

        @Override
        public Shape outputShape(Shape in) {
            return Shape.of(Math.toIntExact(in.size()));
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new Flatten(in);
        }
    }

    private final Shape in;
    private final Shape out;

    Flatten(Shape in) {
        this.in = in;
        this.out = Shape.of(Math.toIntExact(in.size()));
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
        return x.view(x.shape().dim(0), out.dim(0));
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (dIn != null) {
            dIn.copyFrom(dOut);
        }
    }
}
