package io.mpsl.nn.layers;

import io.mpsl.kernels.Backend;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Init;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Shapes;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Squeeze-and-excitation (MobileNetV3 form): s = mean_{y,x} in; a = hsigmoid(W2 relu(W1 s + b1) + b2);
 * out[n,c,y,x] = in[n,c,y,x] * a[n,c], with hsigmoid(g) = relu6(g + 3) / 6. Parameters "fc1.*" (reduced, channels)
 * and "fc2.*" (channels, reduced).
 */
public final class SqueezeExcite implements Layer {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public record Spec(int reduced) implements LayerSpec {
        @Override
        public String kind() {
            return "se";
        }

        @Override
        public Shape outputShape(Shape in) {
            Shapes.requireImage(in, "squeeze-excite");
            if (reduced < 1) {
                throw new IllegalArgumentException("squeeze-excite needs at least one reduced channel, got " + reduced);
            }
            return in;
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new SqueezeExcite(b, in, reduced);
        }
    }

    private final Backend backend;
    private final Shape shape;
    private final int channels;
    private final int reduced;
    private final int spatial;
    private final int w1;
    private final int b1;
    private final int w2;
    private final int b2;
    private final int input;
    private final int pooled; // (channels)
    private final int hidden; // (reduced), after ReLU
    private final int gate; // (channels), before hsigmoid
    private final int output;
    private final int dGate; // scratch (channels)
    private final int dHidden; // scratch (reduced)

    SqueezeExcite(LayerBuilder b, Shape in, int reduced) {
        this.backend = b.backend();
        this.shape = in;
        this.channels = in.dim(0);
        this.reduced = reduced;
        this.spatial = in.dim(1) * in.dim(2);
        this.w1 = b.parameter("fc1.weight", Shape.of(reduced, channels), Init.HE_NORMAL, channels, reduced);
        this.b1 = b.parameter("fc1.bias", Shape.of(reduced), Init.ZEROS, channels, reduced);
        this.w2 = b.parameter("fc2.weight", Shape.of(channels, reduced), Init.XAVIER_UNIFORM, reduced, channels);
        this.b2 = b.parameter("fc2.bias", Shape.of(channels), Init.ZEROS, reduced, channels);
        this.input = b.reference();
        this.pooled = b.kept(Shape.of(channels));
        this.hidden = b.kept(Shape.of(reduced));
        this.gate = b.kept(Shape.of(channels));
        this.output = b.output(in);
        this.dGate = b.scratch(Shape.of(channels));
        this.dHidden = b.scratch(Shape.of(reduced));
    }

    @Override
    public Shape inputShape() {
        return shape;
    }

    @Override
    public Shape outputShape() {
        return shape;
    }

    private static float hsigmoid(float g) {
        return Math.min(Math.max(g + 3f, 0f), 6f) / 6f;
    }

    @Override
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor x, boolean training) {
        int n = x.shape().dim(0);
        ctx.keep(input, x);
        Tensor s = ctx.tensor(pooled);
        Tensor h = ctx.tensor(hidden);
        Tensor g = ctx.tensor(gate);
        Tensor y = ctx.tensor(output);
        backend.globalAvgPoolForward(s, x, n, channels, spatial);
        backend.sgemm(false, true, n, reduced, channels, 1f, s.segment(), 0, channels, state.value(w1).segment(), 0,
                channels, 0f, h.segment(), 0, reduced);
        backend.biasAdd(h, state.value(b1), n, reduced, 1);
        backend.reluForward(h, h);
        backend.sgemm(false, true, n, channels, reduced, 1f, h.segment(), 0, reduced, state.value(w2).segment(), 0,
                reduced, 0f, g.segment(), 0, channels);
        backend.biasAdd(g, state.value(b2), n, channels, 1);
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        MemorySegment gs = g.segment();
        for (int p = 0; p < n * channels; p++) {
            float a = hsigmoid(gs.getAtIndex(F, p));
            long base = (long) p * spatial;
            for (int k = 0; k < spatial; k++) {
                ys.setAtIndex(F, base + k, xs.getAtIndex(F, base + k) * a);
            }
        }
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        int n = dOut.shape().dim(0);
        Tensor x = ctx.kept(input);
        Tensor s = ctx.tensor(pooled);
        Tensor h = ctx.tensor(hidden);
        Tensor g = ctx.tensor(gate);
        Tensor dg = ctx.tensor(dGate);
        Tensor dh = ctx.tensor(dHidden);
        MemorySegment xs = x.segment();
        MemorySegment dys = dOut.segment();
        MemorySegment gs = g.segment();
        MemorySegment dgs = dg.segment();
        // dGate[n,c] = hsigmoid'(g) * sum_k dOut * in
        for (int p = 0; p < n * channels; p++) {
            float gv = gs.getAtIndex(F, p);
            double sum = 0;
            long base = (long) p * spatial;
            for (int k = 0; k < spatial; k++) {
                sum += (double) dys.getAtIndex(F, base + k) * xs.getAtIndex(F, base + k);
            }
            dgs.setAtIndex(F, p, gv > -3f && gv < 3f ? (float) (sum / 6.0) : 0f);
        }
        backend.sgemm(true, false, channels, reduced, n, 1f, dg.segment(), 0, channels, h.segment(), 0, reduced, 1f,
                state.grad(w2).segment(), 0, reduced);
        backend.biasBackward(state.grad(b2), dg, n, channels, 1);
        backend.sgemm(false, false, n, reduced, channels, 1f, dg.segment(), 0, channels, state.value(w2).segment(), 0,
                reduced, 0f, dh.segment(), 0, reduced);
        backend.reluBackward(dh, dh, h);
        backend.sgemm(true, false, reduced, channels, n, 1f, dh.segment(), 0, reduced, s.segment(), 0, channels, 1f,
                state.grad(w1).segment(), 0, channels);
        backend.biasBackward(state.grad(b1), dh, n, reduced, 1);
        if (dIn == null) {
            return;
        }
        // dPooled = dHidden W1, written over dGate (no longer needed); dIn = dOut * a + dPooled / spatial
        backend.sgemm(false, false, n, channels, reduced, 1f, dh.segment(), 0, reduced, state.value(w1).segment(), 0,
                channels, 0f, dgs, 0, channels);
        MemorySegment dxs = dIn.segment();
        for (int p = 0; p < n * channels; p++) {
            float a = hsigmoid(gs.getAtIndex(F, p));
            float share = dgs.getAtIndex(F, p) / spatial;
            long base = (long) p * spatial;
            for (int k = 0; k < spatial; k++) {
                dxs.setAtIndex(F, base + k, dys.getAtIndex(F, base + k) * a + share);
            }
        }
    }
}
