package io.mpsl.nn.layers;

import io.mpsl.kernels.Backend;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Init;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;

/**
 * Fully connected: out = in W^T + b, W (out, in) as in PyTorch. Any per-sample input shape is read as its
 * flattened features.
 */
public final class Linear implements Layer {
    /** {@code outFeatures} outputs, with or without bias, weights drawn by {@code init}. */
    public record Spec(int outFeatures, boolean bias, Init init) implements LayerSpec {
        @Override
        public String kind() {
            return "fc";
        }

        @Override
        public Shape outputShape(Shape in) {
            if (outFeatures < 1) {
                throw new IllegalArgumentException("linear layer needs at least one output, got " + outFeatures);
            }
            return Shape.of(outFeatures);
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new Linear(b, in, this);
        }
    }

    private final Backend backend;
    private final Shape in;
    private final Shape out;
    private final int inFeatures;
    private final int outFeatures;
    private final int weight;
    private final int bias;
    private final int output;
    private final int input;

    Linear(LayerBuilder b, Shape in, Spec spec) {
        this.backend = b.backend();
        this.in = in;
        this.out = spec.outputShape(in);
        this.inFeatures = Math.toIntExact(in.size());
        this.outFeatures = spec.outFeatures();
        this.weight = b.parameter("weight", Shape.of(outFeatures, inFeatures), spec.init(), inFeatures, outFeatures);
        this.bias = spec.bias() ? b.parameter("bias", Shape.of(outFeatures), Init.ZEROS, inFeatures, outFeatures) : -1;
        this.output = b.output(out);
        this.input = b.reference();
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
        Tensor y = ctx.tensor(output);
        ctx.keep(input, x);
        backend.sgemm(false, true, n, outFeatures, inFeatures, 1f, x.segment(), 0, inFeatures,
                state.value(weight).segment(), 0, inFeatures, 0f, y.segment(), 0, outFeatures);
        if (bias >= 0) {
            backend.biasAdd(y, state.value(bias), n, outFeatures, 1);
        }
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        int n = dOut.shape().dim(0);
        Tensor x = ctx.kept(input);
        if (bias >= 0) {
            backend.biasBackward(state.grad(bias), dOut, n, outFeatures, 1);
        }
        backend.sgemm(true, false, outFeatures, inFeatures, n, 1f, dOut.segment(), 0, outFeatures, x.segment(), 0,
                inFeatures, 1f, state.grad(weight).segment(), 0, inFeatures);
        if (dIn != null) {
            backend.sgemm(false, false, n, inFeatures, outFeatures, 1f, dOut.segment(), 0, outFeatures,
                    state.value(weight).segment(), 0, inFeatures, 0f, dIn.segment(), 0, inFeatures);
        }
    }
}
