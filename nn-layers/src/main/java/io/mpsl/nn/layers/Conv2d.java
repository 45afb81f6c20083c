package io.mpsl.nn.layers;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.ConvSpec;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Init;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Shapes;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;

/**
 * 2-D convolution, optionally grouped (depthwise when groups == in == out channels), with optional bias:
 * out[n,o] = sum_{c in group(o)} in[n,c] * w[o,c] + b[o]. Weight (out, in / groups, k, k).
 */
public final class Conv2d implements Layer {
    /** Square kernel, same stride and padding on both axes. */
    public record Spec(int outChannels, int kernel, int stride, int padding, int groups, boolean bias, Init init)
            implements LayerSpec {
        @Override
        public String kind() {
            return "conv";
        }

        ConvSpec geometry(Shape in) {
            Shapes.requireImage(in, "conv");
            return new ConvSpec(1, in.dim(0), in.dim(1), in.dim(2), outChannels, kernel, kernel, stride, stride, padding,
                    padding, groups);
        }

        @Override
        public Shape outputShape(Shape in) {
            ConvSpec g = geometry(in);
            return Shape.of(outChannels, g.outH(), g.outW());
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new Conv2d(b, in, this, false);
        }

        /** A ReLU right after the convolution goes into its output pass. */
        @Override
        public boolean canApply(LayerSpec next) {
            return next instanceof ReLU.Spec;
        }

        /**
         * The convolution with the ReLU that follows it applied in its output pass (its output, max(conv + b, 0),
         * is kept for the ReLU's backward); the ReLU itself is then built with {@link ReLU#applied}.
         */
        @Override
        public Layer createApplying(LayerBuilder b, Shape in) {
            return new Conv2d(b, in, this, true);
        }
    }

    private final Backend backend;
    private final Shape in;
    private final Shape out;
    private final ConvSpec geometry;
    private final int weight;
    private final int bias;
    private final int output;
    private final int input;
    private final boolean relu;
    private ConvSpec last; // geometry for the last batch size seen (immutable, so sharing it is safe)

    Conv2d(LayerBuilder b, Shape in, Spec spec, boolean relu) {
        this.backend = b.backend();
        this.relu = relu;
        this.in = in;
        this.geometry = spec.geometry(in);
        this.last = geometry;
        this.out = spec.outputShape(in);
        int perGroup = in.dim(0) / spec.groups();
        int fanIn = perGroup * spec.kernel() * spec.kernel();
        int fanOut = spec.outChannels() / spec.groups() * spec.kernel() * spec.kernel();
        this.weight = b.parameter("weight", Shape.of(spec.outChannels(), perGroup, spec.kernel(), spec.kernel()),
                spec.init(), fanIn, fanOut);
        this.bias = spec.bias() ? b.parameter("bias", Shape.of(spec.outChannels()), Init.ZEROS, fanIn, fanOut) : -1;
        this.output = relu ? b.kept(out) : b.output(out);
        this.input = b.reference();
    }

    private ConvSpec geometry(int n) {
        ConvSpec g = last;
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
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor x, boolean training) {
        int n = x.shape().dim(0);
        ConvSpec g = geometry(n);
        Tensor y = ctx.tensor(output);
        ctx.keep(input, x);
        backend.conv2dForward(y, x, state.value(weight), bias >= 0 ? state.value(bias) : null, relu, g);
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        int n = dOut.shape().dim(0);
        ConvSpec g = geometry(n);
        backend.conv2dBackward(state.grad(weight), bias >= 0 ? state.grad(bias) : null, dIn, dOut, ctx.kept(input),
                state.value(weight), g);
    }
}
