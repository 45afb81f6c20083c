package io.mpsl.nn.layers;

import io.mpsl.kernels.Backend;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;

/** Hard swish (MobileNetV3): out = in * relu6(in + 3) / 6. Keeps a reference to its input. */
public final class HSwish implements Layer {
    public record Spec() implements LayerSpec {
        @Override
        public String kind() {
            return "hswish";
        }

        @Override
        public Shape outputShape(Shape in) {
            return in;
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new HSwish(b, in);
        }
    }

    private final Backend backend;
    private final Shape shape;
    private final int output;
    private final int input;

    HSwish(LayerBuilder b, Shape shape) {
        this.backend = b.backend();
        this.shape = shape;
        this.output = b.output(shape);
        this.input = b.reference();
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
        Tensor y = ctx.tensor(output);
        ctx.keep(input, in);
        backend.hswishForward(y, in);
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (dIn != null) {
            backend.hswishBackward(dIn, dOut, ctx.kept(input));
        }
    }
}
