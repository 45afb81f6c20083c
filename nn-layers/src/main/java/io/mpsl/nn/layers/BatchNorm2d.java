package io.mpsl.nn.layers;

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
 * Batch normalisation over (batch, height, width) per channel, PyTorch semantics:
 * out = gamma * (in - mean) / sqrt(var + eps) + beta. Training uses the micro-batch's mean and biased variance
 * and updates running = (1 - momentum) running + momentum * batch (unbiased variance); evaluation uses the
 * running statistics. Running statistics are per-participant buffers ("running_mean", "running_var"). Sums are
 * taken in double, in a fixed order, with plain loops (the Backend has no batch-norm op).
 */
public final class BatchNorm2d implements Layer {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public record Spec(float eps, float momentum) implements LayerSpec {
        /** PyTorch's defaults: eps 1e-5, momentum 0.1. */
        public Spec() {
            this(1e-5f, 0.1f);
        }

        @Override
        public String kind() {
            return "bn";
        }

        @Override
        public boolean keepsInput() {
            return false;
        }

        @Override
        public Shape outputShape(Shape in) {
            return Shapes.requireImage(in, "batch norm");
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new BatchNorm2d(b, in, this);
        }
    }

    private final Shape shape;
    private final int channels;
    private final int spatial;
    private final float eps;
    private final float momentum;
    private final int gamma;
    private final int beta;
    private final int runningMean;
    private final int runningVar;
    private final int output;
    private final int normalised; // x-hat, kept
    private final int invStd; // (channels) kept; plus one flag float: 1 if the forward was training
    private final int sums; // (2 * channels) scratch for backward

    BatchNorm2d(LayerBuilder b, Shape in, Spec spec) {
        this.shape = spec.outputShape(in);
        this.channels = in.dim(0);
        this.spatial = in.dim(1) * in.dim(2);
        this.eps = spec.eps();
        this.momentum = spec.momentum();
        this.gamma = b.parameter("weight", Shape.of(channels), Init.ONES, 1, 1);
        this.beta = b.parameter("bias", Shape.of(channels), Init.ZEROS, 1, 1);
        this.runningMean = b.buffer("running_mean", Shape.of(channels), 0f);
        this.runningVar = b.buffer("running_var", Shape.of(channels), 1f);
        this.output = b.output(shape);
        this.normalised = b.kept(shape);
        this.invStd = b.keptFixed(Shape.of(channels + 1));
        this.sums = b.scratchFixed(Shape.of(2 * channels));
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
        int n = in.shape().dim(0);
        Tensor y = ctx.tensor(output);
        MemorySegment x = in.segment();
        MemorySegment xh = ctx.tensor(normalised).segment();
        MemorySegment out = y.segment();
        MemorySegment inv = ctx.tensor(invStd).segment();
        MemorySegment g = state.value(gamma).segment();
        MemorySegment bt = state.value(beta).segment();
        MemorySegment rm = state.buffer(runningMean).segment();
        MemorySegment rv = state.buffer(runningVar).segment();
        long count = (long) n * spatial;
        for (int c = 0; c < channels; c++) {
            float mean;
            float istd;
            if (training) {
                double sum = 0;
                for (int s = 0; s < n; s++) {
                    long base = ((long) s * channels + c) * spatial;
                    for (int k = 0; k < spatial; k++) {
                        sum += x.getAtIndex(F, base + k);
                    }
                }
                double m = sum / count;
                double sq = 0;
                for (int s = 0; s < n; s++) {
                    long base = ((long) s * channels + c) * spatial;
                    for (int k = 0; k < spatial; k++) {
                        double d = x.getAtIndex(F, base + k) - m;
                        sq += d * d;
                    }
                }
                double var = sq / count;
                mean = (float) m;
                istd = (float) (1.0 / Math.sqrt(var + eps));
                double unbiased = count > 1 ? sq / (count - 1) : var;
                rm.setAtIndex(F, c, (float) ((1 - momentum) * rm.getAtIndex(F, c) + momentum * m));
                rv.setAtIndex(F, c, (float) ((1 - momentum) * rv.getAtIndex(F, c) + momentum * unbiased));
            } else {
                mean = rm.getAtIndex(F, c);
                istd = (float) (1.0 / Math.sqrt(rv.getAtIndex(F, c) + (double) eps));
            }
            inv.setAtIndex(F, c, istd);
            float gc = g.getAtIndex(F, c);
            float bc = bt.getAtIndex(F, c);
            for (int s = 0; s < n; s++) {
                long base = ((long) s * channels + c) * spatial;
                for (int k = 0; k < spatial; k++) {
                    float h = (x.getAtIndex(F, base + k) - mean) * istd;
                    xh.setAtIndex(F, base + k, h);
                    out.setAtIndex(F, base + k, gc * h + bc);
                }
            }
        }
        inv.setAtIndex(F, channels, training ? 1f : 0f);
        return y;
    }

    /**
     * dGamma += sum dOut * xhat; dBeta += sum dOut; training: dIn = gamma istd / M (M dOut - sum dOut - xhat sum
     * dOut xhat); evaluation: dIn = gamma istd dOut.
     */
    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        int n = dOut.shape().dim(0);
        MemorySegment dy = dOut.segment();
        MemorySegment xh = ctx.tensor(normalised).segment();
        MemorySegment inv = ctx.tensor(invStd).segment();
        MemorySegment sum = ctx.tensor(sums).segment();
        MemorySegment g = state.value(gamma).segment();
        MemorySegment dg = state.grad(gamma).segment();
        MemorySegment db = state.grad(beta).segment();
        boolean training = inv.getAtIndex(F, channels) != 0f;
        long count = (long) n * spatial;
        for (int c = 0; c < channels; c++) {
            double sdy = 0;
            double sdyx = 0;
            for (int s = 0; s < n; s++) {
                long base = ((long) s * channels + c) * spatial;
                for (int k = 0; k < spatial; k++) {
                    float d = dy.getAtIndex(F, base + k);
                    sdy += d;
                    sdyx += d * xh.getAtIndex(F, base + k);
                }
            }
            sum.setAtIndex(F, 2 * c, (float) sdy);
            sum.setAtIndex(F, 2 * c + 1, (float) sdyx);
            dg.setAtIndex(F, c, dg.getAtIndex(F, c) + (float) sdyx);
            db.setAtIndex(F, c, db.getAtIndex(F, c) + (float) sdy);
            if (dIn == null) {
                continue;
            }
            MemorySegment dx = dIn.segment();
            float scale = g.getAtIndex(F, c) * inv.getAtIndex(F, c);
            float meanDy = (float) (sdy / count);
            float meanDyx = (float) (sdyx / count);
            for (int s = 0; s < n; s++) {
                long base = ((long) s * channels + c) * spatial;
                for (int k = 0; k < spatial; k++) {
                    float d = dy.getAtIndex(F, base + k);
                    float v = training ? scale * (d - meanDy - xh.getAtIndex(F, base + k) * meanDyx) : scale * d;
                    dx.setAtIndex(F, base + k, v);
                }
            }
        }
    }
}
