package io.mpsl.kernels.scalar;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.PoolSpec;
import io.mpsl.tensor.DType;
import io.mpsl.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The test oracle: every operation as the plainest loop that follows its formula, one element at a time,
 * accumulating sums in double. Slow on purpose and kept forever; every other backend is checked against it.
 * It shares no code with the fast backends. Single-threaded.
 */
public final class ScalarBackend implements Backend {
    public static final String NAME = "scalar";

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int threads() {
        return 1;
    }

    // ---------------------------------------------------------------- dense linear algebra

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a,
            long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset,
            int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    float av = a.getAtIndex(F32, aOffset + (transA ? (long) p * lda + i : (long) i * lda + p));
                    float bv = b.getAtIndex(F32, bOffset + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                    sum += (double) av * bv;
                }
                long ci = cOffset + (long) i * ldc + j;
                double old = beta == 0f ? 0 : (double) beta * c.getAtIndex(F32, ci);
                c.setAtIndex(F32, ci, (float) (alpha * sum + old));
            }
        }
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public void conv2dForward(Tensor out, Tensor in, Tensor weight, ConvSpec s) {
        checkConv(s, out, s.outputSize(), in, s.inputSize(), weight, s.weightSize(), "out", "in");
        int cinG = s.inChannels() / s.groups();
        int coutG = s.outChannels() / s.groups();
        int oh = s.outH();
        int ow = s.outW();
        for (int n = 0; n < s.batch(); n++) {
            for (int o = 0; o < s.outChannels(); o++) {
                int g = o / coutG;
                for (int y = 0; y < oh; y++) {
                    for (int x = 0; x < ow; x++) {
                        double sum = 0;
                        for (int c = 0; c < cinG; c++) {
                            for (int i = 0; i < s.kernelH(); i++) {
                                for (int j = 0; j < s.kernelW(); j++) {
                                    int iy = y * s.strideH() - s.padH() + i;
                                    int ix = x * s.strideW() - s.padW() + j;
                                    if (iy >= 0 && iy < s.inH() && ix >= 0 && ix < s.inW()) {
                                        sum += (double) in.get(inIndex(s, n, g * cinG + c, iy, ix))
                                                * weight.get(weightIndex(s, o, c, i, j));
                                    }
                                }
                            }
                        }
                        out.set(outIndex(s, n, o, y, x), (float) sum);
                    }
                }
            }
        }
    }

    /** dIn[n,ci,iy,ix] = sum over the outputs (o, y, x) and taps (i, j) that read in[n,ci,iy,ix]. */
    @Override
    public void conv2dBackwardData(Tensor dIn, Tensor dOut, Tensor weight, ConvSpec s) {
        checkConv(s, dIn, s.inputSize(), dOut, s.outputSize(), weight, s.weightSize(), "dIn", "dOut");
        int cinG = s.inChannels() / s.groups();
        int coutG = s.outChannels() / s.groups();
        for (int n = 0; n < s.batch(); n++) {
            for (int ci = 0; ci < s.inChannels(); ci++) {
                int g = ci / cinG;
                int c = ci - g * cinG;
                for (int iy = 0; iy < s.inH(); iy++) {
                    for (int ix = 0; ix < s.inW(); ix++) {
                        double sum = 0;
                        for (int o = g * coutG; o < (g + 1) * coutG; o++) {
                            for (int i = 0; i < s.kernelH(); i++) {
                                for (int j = 0; j < s.kernelW(); j++) {
                                    int ty = iy + s.padH() - i;
                                    int tx = ix + s.padW() - j;
                                    if (ty < 0 || tx < 0 || ty % s.strideH() != 0 || tx % s.strideW() != 0) {
                                        continue;
                                    }
                                    int y = ty / s.strideH();
                                    int x = tx / s.strideW();
                                    if (y < s.outH() && x < s.outW()) {
                                        sum += (double) dOut.get(outIndex(s, n, o, y, x))
                                                * weight.get(weightIndex(s, o, c, i, j));
                                    }
                                }
                            }
                        }
                        dIn.set(inIndex(s, n, ci, iy, ix), (float) sum);
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardWeights(Tensor dWeight, Tensor dOut, Tensor in, ConvSpec s) {
        checkConv(s, dWeight, s.weightSize(), dOut, s.outputSize(), in, s.inputSize(), "dWeight", "dOut");
        int cinG = s.inChannels() / s.groups();
        int coutG = s.outChannels() / s.groups();
        for (int o = 0; o < s.outChannels(); o++) {
            int g = o / coutG;
            for (int c = 0; c < cinG; c++) {
                for (int i = 0; i < s.kernelH(); i++) {
                    for (int j = 0; j < s.kernelW(); j++) {
                        double sum = 0;
                        for (int n = 0; n < s.batch(); n++) {
                            for (int y = 0; y < s.outH(); y++) {
                                for (int x = 0; x < s.outW(); x++) {
                                    int iy = y * s.strideH() - s.padH() + i;
                                    int ix = x * s.strideW() - s.padW() + j;
                                    if (iy >= 0 && iy < s.inH() && ix >= 0 && ix < s.inW()) {
                                        sum += (double) dOut.get(outIndex(s, n, o, y, x))
                                                * in.get(inIndex(s, n, g * cinG + c, iy, ix));
                                    }
                                }
                            }
                        }
                        long wi = weightIndex(s, o, c, i, j);
                        dWeight.set(wi, (float) (dWeight.get(wi) + sum));
                    }
                }
            }
        }
    }

    private static long inIndex(ConvSpec s, int n, int c, int y, int x) {
        return (((long) n * s.inChannels() + c) * s.inH() + y) * s.inW() + x;
    }

    private static long outIndex(ConvSpec s, int n, int o, int y, int x) {
        return (((long) n * s.outChannels() + o) * s.outH() + y) * s.outW() + x;
    }

    private static long weightIndex(ConvSpec s, int o, int c, int i, int j) {
        return (((long) o * (s.inChannels() / s.groups()) + c) * s.kernelH() + i) * s.kernelW() + j;
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public void maxPoolForward(Tensor out, Tensor in, PoolSpec s) {
        checkPool(out, in, s);
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            for (int y = 0; y < s.outH(); y++) {
                for (int x = 0; x < s.outW(); x++) {
                    out.set(poolOutIndex(s, plane, y, x), in.get(firstMaxIndex(in, s, plane, y, x)));
                }
            }
        }
    }

    @Override
    public void maxPoolBackward(Tensor dIn, Tensor dOut, Tensor in, PoolSpec s) {
        checkPool(dOut, in, s);
        checkSize(dIn, (long) s.batch() * s.channels() * s.inH() * s.inW(), "dIn", s);
        dIn.zero();
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            for (int y = 0; y < s.outH(); y++) {
                for (int x = 0; x < s.outW(); x++) {
                    long at = firstMaxIndex(in, s, plane, y, x);
                    dIn.set(at, dIn.get(at) + dOut.get(poolOutIndex(s, plane, y, x)));
                }
            }
        }
    }

    /** Flat index of the first maximum (rows then columns) of the window of output (y, x) in one plane. */
    private static long firstMaxIndex(Tensor in, PoolSpec s, int plane, int y, int x) {
        long best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < s.kernelH(); i++) {
            for (int j = 0; j < s.kernelW(); j++) {
                int iy = y * s.strideH() - s.padH() + i;
                int ix = x * s.strideW() - s.padW() + j;
                if (iy >= 0 && iy < s.inH() && ix >= 0 && ix < s.inW()) {
                    long at = ((long) plane * s.inH() + iy) * s.inW() + ix;
                    float v = in.get(at);
                    if (best < 0 || v > bestValue) {
                        best = at;
                        bestValue = v;
                    }
                }
            }
        }
        return best;
    }

    @Override
    public void avgPoolForward(Tensor out, Tensor in, PoolSpec s) {
        checkPool(out, in, s);
        double divisor = (double) s.kernelH() * s.kernelW();
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            for (int y = 0; y < s.outH(); y++) {
                for (int x = 0; x < s.outW(); x++) {
                    double sum = 0;
                    for (int i = 0; i < s.kernelH(); i++) {
                        for (int j = 0; j < s.kernelW(); j++) {
                            int iy = y * s.strideH() - s.padH() + i;
                            int ix = x * s.strideW() - s.padW() + j;
                            if (iy >= 0 && iy < s.inH() && ix >= 0 && ix < s.inW()) {
                                sum += in.get(((long) plane * s.inH() + iy) * s.inW() + ix);
                            }
                        }
                    }
                    out.set(poolOutIndex(s, plane, y, x), (float) (sum / divisor));
                }
            }
        }
    }

    @Override
    public void avgPoolBackward(Tensor dIn, Tensor dOut, PoolSpec s) {
        checkSize(dOut, (long) s.batch() * s.channels() * s.outH() * s.outW(), "dOut", s);
        checkSize(dIn, (long) s.batch() * s.channels() * s.inH() * s.inW(), "dIn", s);
        double divisor = (double) s.kernelH() * s.kernelW();
        for (int plane = 0; plane < s.batch() * s.channels(); plane++) {
            for (int iy = 0; iy < s.inH(); iy++) {
                for (int ix = 0; ix < s.inW(); ix++) {
                    double sum = 0;
                    for (int i = 0; i < s.kernelH(); i++) {
                        for (int j = 0; j < s.kernelW(); j++) {
                            int ty = iy + s.padH() - i;
                            int tx = ix + s.padW() - j;
                            if (ty < 0 || tx < 0 || ty % s.strideH() != 0 || tx % s.strideW() != 0) {
                                continue;
                            }
                            int y = ty / s.strideH();
                            int x = tx / s.strideW();
                            if (y < s.outH() && x < s.outW()) {
                                sum += dOut.get(poolOutIndex(s, plane, y, x));
                            }
                        }
                    }
                    dIn.set(((long) plane * s.inH() + iy) * s.inW() + ix, (float) (sum / divisor));
                }
            }
        }
    }

    private static long poolOutIndex(PoolSpec s, int plane, int y, int x) {
        return ((long) plane * s.outH() + y) * s.outW() + x;
    }

    @Override
    public void globalAvgPoolForward(Tensor out, Tensor in, int batch, int channels, int spatial) {
        checkSize(out, (long) batch * channels, "out", batch + "x" + channels);
        checkSize(in, (long) batch * channels * spatial, "in", batch + "x" + channels + "x" + spatial);
        for (long plane = 0; plane < (long) batch * channels; plane++) {
            double sum = 0;
            for (int p = 0; p < spatial; p++) {
                sum += in.get(plane * spatial + p);
            }
            out.set(plane, (float) (sum / spatial));
        }
    }

    @Override
    public void globalAvgPoolBackward(Tensor dIn, Tensor dOut, int batch, int channels, int spatial) {
        checkSize(dOut, (long) batch * channels, "dOut", batch + "x" + channels);
        checkSize(dIn, (long) batch * channels * spatial, "dIn", batch + "x" + channels + "x" + spatial);
        for (long plane = 0; plane < (long) batch * channels; plane++) {
            float g = (float) ((double) dOut.get(plane) / spatial);
            for (int p = 0; p < spatial; p++) {
                dIn.set(plane * spatial + p, g);
            }
        }
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void reluForward(Tensor out, Tensor in) {
        checkSame(out, in, "out", "in");
        for (long i = 0; i < in.size(); i++) {
            float v = in.get(i);
            out.set(i, v > 0f ? v : 0f);
        }
    }

    @Override
    public void reluBackward(Tensor dIn, Tensor dOut, Tensor in) {
        checkSame(dIn, dOut, "dIn", "dOut");
        checkSame(dIn, in, "dIn", "in");
        for (long i = 0; i < in.size(); i++) {
            dIn.set(i, in.get(i) > 0f ? dOut.get(i) : 0f);
        }
    }

    @Override
    public void hswishForward(Tensor out, Tensor in) {
        checkSame(out, in, "out", "in");
        for (long i = 0; i < in.size(); i++) {
            double v = in.get(i);
            double relu6 = Math.min(Math.max(v + 3, 0), 6);
            out.set(i, (float) (v * relu6 / 6));
        }
    }

    @Override
    public void hswishBackward(Tensor dIn, Tensor dOut, Tensor in) {
        checkSame(dIn, dOut, "dIn", "dOut");
        checkSame(dIn, in, "dIn", "in");
        for (long i = 0; i < in.size(); i++) {
            double v = in.get(i);
            double slope = v < -3 ? 0 : v > 3 ? 1 : (2 * v + 3) / 6;
            dIn.set(i, (float) (dOut.get(i) * slope));
        }
    }

    // ---------------------------------------------------------------- bias

    @Override
    public void biasAdd(Tensor out, Tensor bias, int batch, int channels, int spatial) {
        checkSize(out, (long) batch * channels * spatial, "out", batch + "x" + channels + "x" + spatial);
        checkSize(bias, channels, "bias", "channels " + channels);
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < spatial; p++) {
                    long at = ((long) n * channels + c) * spatial + p;
                    out.set(at, out.get(at) + bias.get(c));
                }
            }
        }
    }

    @Override
    public void biasBackward(Tensor dBias, Tensor dOut, int batch, int channels, int spatial) {
        checkSize(dOut, (long) batch * channels * spatial, "dOut", batch + "x" + channels + "x" + spatial);
        checkSize(dBias, channels, "dBias", "channels " + channels);
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int n = 0; n < batch; n++) {
                for (int p = 0; p < spatial; p++) {
                    sum += dOut.get(((long) n * channels + c) * spatial + p);
                }
            }
            dBias.set(c, (float) (dBias.get(c) + sum));
        }
    }

    // ---------------------------------------------------------------- loss

    @Override
    public double softmaxCrossEntropyForward(Tensor probs, Tensor logits, Tensor labels) {
        int batch = checkLoss(probs, logits, labels);
        int classes = (int) (logits.size() / batch);
        double loss = 0;
        for (int n = 0; n < batch; n++) {
            long row = (long) n * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                max = Math.max(max, logits.get(row + k));
            }
            double sum = 0;
            for (int k = 0; k < classes; k++) {
                sum += Math.exp(logits.get(row + k) - max);
            }
            for (int k = 0; k < classes; k++) {
                probs.set(row + k, (float) (Math.exp(logits.get(row + k) - max) / sum));
            }
            int label = label(labels, n, classes);
            loss += Math.log(sum) - (logits.get(row + label) - max);
        }
        return loss;
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor dLogits, Tensor probs, Tensor labels, float scale) {
        int batch = checkLoss(dLogits, probs, labels);
        int classes = (int) (probs.size() / batch);
        for (int n = 0; n < batch; n++) {
            int label = label(labels, n, classes);
            for (int k = 0; k < classes; k++) {
                long at = (long) n * classes + k;
                double target = k == label ? 1 : 0;
                dLogits.set(at, (float) ((double) scale * (probs.get(at) - target)));
            }
        }
    }

    private static int checkLoss(Tensor out, Tensor in, Tensor labels) {
        if (labels.dtype() != DType.I32) {
            throw new IllegalArgumentException("labels must be I32, got " + labels);
        }
        checkSame(out, in, "probabilities", "logits");
        int batch = Math.toIntExact(labels.size());
        if (batch == 0 || in.size() % batch != 0) {
            throw new IllegalArgumentException("logits " + in.shape() + " do not split into " + batch + " rows");
        }
        return batch;
    }

    private static int label(Tensor labels, int n, int classes) {
        int label = labels.getInt(n);
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " of row " + n + " is not in [0, " + classes + ")");
        }
        return label;
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay) {
        checkSame(param, grad, "param", "grad");
        if (momentum != 0f) {
            checkSame(param, velocity, "param", "velocity");
        }
        for (long i = 0; i < param.size(); i++) {
            double p = param.get(i);
            double g = grad.get(i) + (double) weightDecay * p;
            if (momentum != 0f) {
                double v = (double) momentum * velocity.get(i) + g;
                velocity.set(i, (float) v);
                g = v;
            }
            param.set(i, (float) (p - lr * g));
        }
    }

    @Override
    public void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2,
            float eps, float weightDecay, int t) {
        checkSame(param, grad, "param", "grad");
        checkSame(param, m, "param", "m");
        checkSame(param, v, "param", "v");
        if (t < 1) {
            throw new IllegalArgumentException("Adam step t counts from 1, got " + t);
        }
        double correction1 = 1 - Math.pow(beta1, t);
        double correction2 = 1 - Math.pow(beta2, t);
        for (long i = 0; i < param.size(); i++) {
            double p = param.get(i);
            double g = grad.get(i) + (double) weightDecay * p;
            double mi = beta1 * (double) m.get(i) + (1 - (double) beta1) * g;
            double vi = beta2 * (double) v.get(i) + (1 - (double) beta2) * g * g;
            m.set(i, (float) mi);
            v.set(i, (float) vi);
            param.set(i, (float) (p - lr * (mi / correction1) / (Math.sqrt(vi / correction2) + eps)));
        }
    }

    // ---------------------------------------------------------------- elementwise utilities

    @Override
    public void scaledSum(Tensor out, Tensor[] ins, float[] weights) {
        if (ins.length == 0 || ins.length != weights.length) {
            throw new IllegalArgumentException(ins.length + " inputs and " + weights.length + " weights");
        }
        for (Tensor in : ins) {
            checkSame(out, in, "out", "in");
        }
        for (long i = 0; i < out.size(); i++) {
            double sum = 0;
            for (int k = 0; k < ins.length; k++) {
                sum += (double) weights[k] * ins[k].get(i);
            }
            out.set(i, (float) sum);
        }
    }

    @Override
    public void axpy(Tensor y, float alpha, Tensor x) {
        checkSame(y, x, "y", "x");
        for (long i = 0; i < y.size(); i++) {
            y.set(i, (float) (y.get(i) + (double) alpha * x.get(i)));
        }
    }

    @Override
    public void add(Tensor out, Tensor a, Tensor b) {
        checkSame(out, a, "out", "a");
        checkSame(out, b, "out", "b");
        for (long i = 0; i < out.size(); i++) {
            out.set(i, a.get(i) + b.get(i));
        }
    }

    // ---------------------------------------------------------------- argument checks

    private static void checkConv(ConvSpec s, Tensor out, long outSize, Tensor in, long inSize, Tensor w,
            long wSize, String outName, String inName) {
        checkSize(out, outSize, outName, s);
        checkSize(in, inSize, inName, s);
        checkSize(w, wSize, "weight", s);
    }

    private static void checkPool(Tensor out, Tensor in, PoolSpec s) {
        checkSize(out, (long) s.batch() * s.channels() * s.outH() * s.outW(), "out", s);
        checkSize(in, (long) s.batch() * s.channels() * s.inH() * s.inW(), "in", s);
    }

    private static void checkSize(Tensor t, long size, String what, Object context) {
        if (t.size() != size) {
            throw new IllegalArgumentException(what + " " + t.shape() + " has " + t.size() + " elements, " + context
                    + " needs " + size);
        }
    }

    private static void checkSame(Tensor a, Tensor b, String aName, String bName) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(aName + " " + a.shape() + " and " + bName + " " + b.shape()
                    + " differ in size");
        }
    }
}
