package io.mpsl.kernels.cpu;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import io.mpsl.kernels.PoolSpec;
import io.mpsl.tensor.DType;
import io.mpsl.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The CPU backend: matrix products go to a {@link Gemm} engine (OpenBLAS, Vector API). Convolutions:
 * depthwise ones run directly ({@link DepthwiseConvolution}); stride-1 ones on small maps (at most 64 output
 * pixels) are per-tap GEMMs over a pixel-major copy of the whole batch that skip the padding
 * ({@link PixelMajorConvolution}); stride-1 ones on larger maps become one GEMM per kernel tap over a
 * channels-last copy, each worker on its own images ({@link ShiftedConvolution}); the rest are GEMMs over
 * im2col panels, image by image for shallow ones such as an RGB first layer, else several images at once
 * ({@link Im2ColConvolution}). Everything else is
 * Vector API loops ({@link VectorOps}). Engine-side loops are split over a small worker pool of
 * {@code threads} threads (the caller included), never while a multi-thread GEMM runs (the GEMM uses its own
 * threads); inside such a loop each worker may run one-thread products ({@link Gemm#sgemmPart}). Workspaces
 * grow to the largest call seen and are reused, so calls after warm-up allocate nothing.
 */
public final class CpuBackend implements Backend {
    /** Default largest im2col panel of one GEMM, in floats (16 MiB): several images of a deep layer at once. */
    public static final long DEFAULT_PANEL_BUDGET_FLOATS = 1L << 22;
    /** Fewest elements per worker for an elementwise loop; smaller loops run on the caller alone. */
    private static final int ELEMENT_GRAIN = 1 << 15;

    private final String name;
    private final Gemm gemm;
    private final WorkerPool pool;
    private final Im2ColConvolution im2colConvolution;
    private final ShiftedConvolution shifted;
    private final PixelMajorConvolution pixelMajor;
    private final DepthwiseConvolution depthwise;
    private final Pooling pooling;
    private final ElementwiseJob elementwise;

    /**
     * @param name    provider name reported by {@link #name()}
     * @param gemm    the matrix multiply engine; closed with this backend
     * @param threads worker threads for engine-side loops, the caller included
     */
    public CpuBackend(String name, Gemm gemm, int threads) {
        this(name, gemm, threads, DEFAULT_PANEL_BUDGET_FLOATS);
    }

    /**
     * @param panelBudgetFloats largest im2col panel (K x images * outH * outW) a convolution builds at once;
     *                          a batch is cut into chunks of images that fit (at least one image per chunk)
     */
    public CpuBackend(String name, Gemm gemm, int threads, long panelBudgetFloats) {
        if (panelBudgetFloats < 1) {
            throw new IllegalArgumentException("panel budget must be positive, got " + panelBudgetFloats);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.name = name;
        this.gemm = gemm;
        this.pool = new WorkerPool("mpsl-" + name, threads);
        this.elementwise = new ElementwiseJob(threads);
        this.im2colConvolution = new Im2ColConvolution(gemm, pool, panelBudgetFloats);
        this.shifted = new ShiftedConvolution(gemm, pool);
        this.pixelMajor = new PixelMajorConvolution(gemm, pool);
        this.depthwise = new DepthwiseConvolution(pool);
        this.pooling = new Pooling(pool);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    /** The GEMM engine this backend delegates to. */
    public Gemm gemmEngine() {
        return gemm;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a,
            long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset,
            int ldc) {
        gemm.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    // ---------------------------------------------------------------- convolution

    @Override
    public void conv2dForward(Tensor out, Tensor in, Tensor weight, ConvSpec spec) {
        checkSize(out, spec.outputSize(), "out", spec);
        checkSize(in, spec.inputSize(), "in", spec);
        checkSize(weight, spec.weightSize(), "weight", spec);
        if (DepthwiseConvolution.applies(spec)) {
            depthwise.forward(out.segment(), in.segment(), weight.segment(), spec);
        } else if (PixelMajorConvolution.applies(spec)) {
            pixelMajor.forward(out.segment(), in.segment(), weight.segment(), spec);
        } else if (ShiftedConvolution.applies(spec)) {
            shifted.forward(out.segment(), in.segment(), weight.segment(), spec);
        } else {
            im2colConvolution.forward(out.segment(), in.segment(), weight.segment(), spec);
        }
    }

    @Override
    public void conv2dBackwardData(Tensor dIn, Tensor dOut, Tensor weight, ConvSpec spec) {
        checkSize(dIn, spec.inputSize(), "dIn", spec);
        checkSize(dOut, spec.outputSize(), "dOut", spec);
        checkSize(weight, spec.weightSize(), "weight", spec);
        if (DepthwiseConvolution.applies(spec)) {
            depthwise.backwardData(dIn.segment(), dOut.segment(), weight.segment(), spec);
        } else if (PixelMajorConvolution.applies(spec)) {
            pixelMajor.backwardData(dIn.segment(), dOut.segment(), weight.segment(), spec);
        } else if (ShiftedConvolution.applies(spec)) {
            shifted.backwardData(dIn.segment(), dOut.segment(), weight.segment(), spec);
        } else {
            im2colConvolution.backwardData(dIn.segment(), dOut.segment(), weight.segment(), spec);
        }
    }

    @Override
    public void conv2dBackwardWeights(Tensor dWeight, Tensor dOut, Tensor in, ConvSpec spec) {
        checkSize(dWeight, spec.weightSize(), "dWeight", spec);
        checkSize(dOut, spec.outputSize(), "dOut", spec);
        checkSize(in, spec.inputSize(), "in", spec);
        if (DepthwiseConvolution.applies(spec)) {
            depthwise.backwardWeights(dWeight.segment(), dOut.segment(), in.segment(), spec);
        } else if (PixelMajorConvolution.applies(spec)) {
            pixelMajor.backwardWeights(dWeight.segment(), dOut.segment(), in.segment(), spec);
        } else if (ShiftedConvolution.applies(spec)) {
            shifted.backwardWeights(dWeight.segment(), dOut.segment(), in.segment(), spec);
        } else {
            im2colConvolution.backwardWeights(dWeight.segment(), dOut.segment(), in.segment(), spec);
        }
    }

    /**
     * The pixel-major and shifted paths add the bias and apply the ReLU while they write the output back to NCHW,
     * the image-by-image one (an RGB first layer) after each image's product; the others make separate passes.
     */
    @Override
    public void conv2dForward(Tensor out, Tensor in, Tensor weight, Tensor bias, boolean relu, ConvSpec spec) {
        boolean pixels = PixelMajorConvolution.applies(spec);
        boolean shifts = !pixels && ShiftedConvolution.applies(spec);
        boolean images = !pixels && !shifts && Im2ColConvolution.byImage(spec);
        if ((bias == null && !relu) || DepthwiseConvolution.applies(spec) || !(pixels || shifts || images)) {
            Backend.super.conv2dForward(out, in, weight, bias, relu, spec);
            return;
        }
        checkSize(out, spec.outputSize(), "out", spec);
        checkSize(in, spec.inputSize(), "in", spec);
        checkSize(weight, spec.weightSize(), "weight", spec);
        if (bias != null) {
            checkSize(bias, spec.outChannels(), "bias", spec);
        }
        MemorySegment b = bias == null ? null : bias.segment();
        if (pixels) {
            pixelMajor.forward(out.segment(), in.segment(), weight.segment(), b, relu, spec);
        } else if (shifts) {
            shifted.forward(out.segment(), in.segment(), weight.segment(), b, relu, spec);
        } else {
            im2colConvolution.forwardByImage(out.segment(), in.segment(), weight.segment(), b, relu, spec);
        }
    }

    /**
     * The pixel-major path converts dOut to its layout once for the weight gradient, the bias gradient (summed
     * during the conversion) and the data gradient; the others make the three calls.
     */
    @Override
    public void conv2dBackward(Tensor dWeight, Tensor dBias, Tensor dIn, Tensor dOut, Tensor in, Tensor weight,
            ConvSpec spec) {
        if (DepthwiseConvolution.applies(spec) || !PixelMajorConvolution.applies(spec)) {
            Backend.super.conv2dBackward(dWeight, dBias, dIn, dOut, in, weight, spec);
            return;
        }
        checkSize(dWeight, spec.weightSize(), "dWeight", spec);
        checkSize(dOut, spec.outputSize(), "dOut", spec);
        checkSize(in, spec.inputSize(), "in", spec);
        checkSize(weight, spec.weightSize(), "weight", spec);
        if (dBias != null) {
            checkSize(dBias, spec.outChannels(), "dBias", spec);
        }
        if (dIn != null) {
            checkSize(dIn, spec.inputSize(), "dIn", spec);
        }
        pixelMajor.backward(dWeight.segment(), dBias == null ? null : dBias.segment(),
                dIn == null ? null : dIn.segment(), dOut.segment(), in.segment(), weight.segment(), spec);
    }

    // ---------------------------------------------------------------- pooling

    @Override
    public void maxPoolForward(Tensor out, Tensor in, PoolSpec spec) {
        checkPool(out, in, spec, "out", "in");
        pooling.maxForward(out.segment(), in.segment(), spec);
    }

    @Override
    public void maxPoolBackward(Tensor dIn, Tensor dOut, Tensor in, PoolSpec spec) {
        checkPool(dOut, in, spec, "dOut", "in");
        checkSize(dIn, in.size(), "dIn", spec);
        pooling.maxBackward(dIn.segment(), dOut.segment(), in.segment(), spec);
    }

    @Override
    public void avgPoolForward(Tensor out, Tensor in, PoolSpec spec) {
        checkPool(out, in, spec, "out", "in");
        pooling.avgForward(out.segment(), in.segment(), spec);
    }

    @Override
    public void avgPoolBackward(Tensor dIn, Tensor dOut, PoolSpec spec) {
        checkPool(dOut, dIn, spec, "dOut", "dIn");
        pooling.avgBackward(dIn.segment(), dOut.segment(), spec);
    }

    @Override
    public void globalAvgPoolForward(Tensor out, Tensor in, int batch, int channels, int spatial) {
        checkSize(out, (long) batch * channels, "out", batch + "x" + channels);
        checkSize(in, (long) batch * channels * spatial, "in", batch + "x" + channels + "x" + spatial);
        runPlanes(ElementwiseJob.GLOBAL_AVG, out, in, null, batch * channels, spatial);
    }

    @Override
    public void globalAvgPoolBackward(Tensor dIn, Tensor dOut, int batch, int channels, int spatial) {
        checkSize(dOut, (long) batch * channels, "dOut", batch + "x" + channels);
        checkSize(dIn, (long) batch * channels * spatial, "dIn", batch + "x" + channels + "x" + spatial);
        runPlanes(ElementwiseJob.GLOBAL_AVG_BACKWARD, dIn, dOut, null, batch * channels, spatial);
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void reluForward(Tensor out, Tensor in) {
        checkSame(out, in, "out", "in");
        runElements(ElementwiseJob.RELU, out, in, null, null);
    }

    @Override
    public void reluBackward(Tensor dIn, Tensor dOut, Tensor in) {
        checkSame(dIn, dOut, "dIn", "dOut");
        checkSame(dIn, in, "dIn", "in");
        runElements(ElementwiseJob.RELU_BACKWARD, dIn, dOut, in, null);
    }

    @Override
    public void hswishForward(Tensor out, Tensor in) {
        checkSame(out, in, "out", "in");
        runElements(ElementwiseJob.HSWISH, out, in, null, null);
    }

    @Override
    public void hswishBackward(Tensor dIn, Tensor dOut, Tensor in) {
        checkSame(dIn, dOut, "dIn", "dOut");
        checkSame(dIn, in, "dIn", "in");
        runElements(ElementwiseJob.HSWISH_BACKWARD, dIn, dOut, in, null);
    }

    // ---------------------------------------------------------------- bias

    @Override
    public void biasAdd(Tensor out, Tensor bias, int batch, int channels, int spatial) {
        checkSize(out, (long) batch * channels * spatial, "out", batch + "x" + channels + "x" + spatial);
        checkSize(bias, channels, "bias", "channels " + channels);
        elementwise.channels = channels;
        runPlanes(ElementwiseJob.BIAS_ADD, out, bias, null, batch * channels, spatial);
    }

    @Override
    public void biasBackward(Tensor dBias, Tensor dOut, int batch, int channels, int spatial) {
        checkSize(dOut, (long) batch * channels * spatial, "dOut", batch + "x" + channels + "x" + spatial);
        checkSize(dBias, channels, "dBias", "channels " + channels);
        elementwise.channels = channels;
        elementwise.batch = batch;
        // one index per channel; each sums batch * spatial elements
        runPlanes(ElementwiseJob.BIAS_BACKWARD, dBias, dOut, null, channels, batch * spatial);
    }

    // ---------------------------------------------------------------- loss

    /** Per row, in double: max, sum of exp, then probabilities; rows are short, so this loop is scalar. */
    @Override
    public double softmaxCrossEntropyForward(Tensor probs, Tensor logits, Tensor labels) {
        int batch = checkLoss(probs, logits, labels);
        int classes = (int) (logits.size() / batch);
        MemorySegment x = logits.segment();
        MemorySegment p = probs.segment();
        double loss = 0;
        for (int n = 0; n < batch; n++) {
            long row = (long) n * classes;
            float max = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                max = Math.max(max, VectorOps.get(x, row + k));
            }
            double sum = 0;
            for (int k = 0; k < classes; k++) {
                double e = Math.exp(VectorOps.get(x, row + k) - max);
                VectorOps.set(p, row + k, (float) e);
                sum += e;
            }
            double inverse = 1 / sum;
            for (int k = 0; k < classes; k++) {
                VectorOps.set(p, row + k, (float) (VectorOps.get(p, row + k) * inverse));
            }
            int label = label(labels, n, classes);
            loss += Math.log(sum) - (VectorOps.get(x, row + label) - max);
        }
        return loss;
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor dLogits, Tensor probs, Tensor labels, float scale) {
        int batch = checkLoss(dLogits, probs, labels);
        int classes = (int) (probs.size() / batch);
        runElements(ElementwiseJob.SCALE, dLogits, probs, null, null, scale);
        for (int n = 0; n < batch; n++) {
            long at = (long) n * classes + label(labels, n, classes);
            VectorOps.set(dLogits.segment(), at, VectorOps.get(dLogits.segment(), at) - scale);
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
        elementwise.f1 = momentum;
        elementwise.f2 = weightDecay;
        runElements(ElementwiseJob.SGD, param, grad, velocity, null, lr);
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
        elementwise.f1 = beta1;
        elementwise.f2 = beta2;
        elementwise.f3 = eps;
        elementwise.f4 = weightDecay;
        elementwise.f5 = (float) (1 / Math.sqrt(correction2));
        runElements(ElementwiseJob.ADAM, param, grad, m, v, (float) (lr / correction1));
    }

    // ---------------------------------------------------------------- elementwise utilities

    @Override
    public void scaledSum(Tensor out, Tensor[] ins, float[] weights) {
        if (ins.length == 0 || ins.length != weights.length) {
            throw new IllegalArgumentException(ins.length + " inputs and " + weights.length + " weights");
        }
        if (elementwise.segments.length < ins.length) {
            elementwise.segments = new MemorySegment[ins.length];
        }
        for (int k = 0; k < ins.length; k++) {
            checkSame(out, ins[k], "out", "in");
            elementwise.segments[k] = ins[k].segment();
        }
        elementwise.weights = weights;
        elementwise.inputs = ins.length;
        runElements(ElementwiseJob.SCALED_SUM, out, null, null, null);
    }

    /** Chunks of the tensor cleared by the workers (a model's gradients are tens of MB). */
    @Override
    public void zero(Tensor t) {
        runElements(ElementwiseJob.ZERO, t, null, null, null);
    }

    @Override
    public void axpy(Tensor y, float alpha, Tensor x) {
        checkSame(y, x, "y", "x");
        runElements(ElementwiseJob.AXPY, y, x, null, null, alpha);
    }

    @Override
    public void add(Tensor out, Tensor a, Tensor b) {
        checkSame(out, a, "out", "a");
        checkSame(out, b, "out", "b");
        runElements(ElementwiseJob.ADD, out, a, b, null);
    }

    @Override
    public void close() {
        pool.close();
        im2colConvolution.close();
        shifted.close();
        pixelMajor.close();
        gemm.close();
    }

    // ---------------------------------------------------------------- dispatch

    private void runElements(int op, Tensor a, Tensor b, Tensor c, Tensor d) {
        runElements(op, a, b, c, d, 0f);
    }

    private void runElements(int op, Tensor a, Tensor b, Tensor c, Tensor d, float f0) {
        ElementwiseJob job = elementwise;
        job.op = op;
        job.a = a.segment();
        job.b = b == null ? null : b.segment();
        job.c = c == null ? null : c.segment();
        job.d = d == null ? null : d.segment();
        job.f0 = f0;
        job.width = 1;
        int count = Math.toIntExact(a.size());
        pool.runClaimed(job, count, pool.chunkFor(count, ELEMENT_GRAIN));
    }

    /** Runs over {@code count} rows of {@code width} elements each. */
    private void runPlanes(int op, Tensor a, Tensor b, Tensor c, int count, int width) {
        ElementwiseJob job = elementwise;
        job.op = op;
        job.a = a.segment();
        job.b = b == null ? null : b.segment();
        job.c = c == null ? null : c.segment();
        job.width = width;
        pool.runClaimed(job, count, pool.chunkFor(count, ELEMENT_GRAIN / Math.max(1, width)));
    }

    private static void checkPool(Tensor out, Tensor in, PoolSpec s, String outName, String inName) {
        checkSize(out, (long) s.batch() * s.channels() * s.outH() * s.outW(), outName, s);
        checkSize(in, (long) s.batch() * s.channels() * s.inH() * s.inW(), inName, s);
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

    /** Every elementwise and per-plane loop, selected by {@link #op}; parameters are set before a run. */
    private static final class ElementwiseJob extends WorkerPool.Job {
        static final int RELU = 0;
        static final int RELU_BACKWARD = 1;
        static final int HSWISH = 2;
        static final int HSWISH_BACKWARD = 3;
        static final int AXPY = 4;
        static final int ADD = 5;
        static final int SCALED_SUM = 6;
        static final int SGD = 7;
        static final int ADAM = 8;
        static final int SCALE = 9;
        static final int BIAS_ADD = 10;
        static final int BIAS_BACKWARD = 11;
        static final int GLOBAL_AVG = 12;
        static final int GLOBAL_AVG_BACKWARD = 13;
        static final int ZERO = 14;

        int op;
        MemorySegment a;
        MemorySegment b;
        MemorySegment c;
        MemorySegment d;
        float f0;
        float f1;
        float f2;
        float f3;
        float f4;
        float f5;
        int width;
        int channels;
        int batch;
        MemorySegment[] segments = new MemorySegment[0];
        float[] weights;
        int inputs;
        /** Per worker, the running per-element sums of {@link #biasBackward}. */
        private final float[][] sums;

        ElementwiseJob(int threads) {
            sums = new float[threads][0];
        }


        /**
         * a[ch] += sum over images n and pixels p of b[n, ch, p], for channels [from, to): the channels' (to -
         * from) * spatial elements are one contiguous run in every image, so the worker adds the runs of all
         * images into its own array in whole vectors, then sums each channel's pixels in double.
         */
        private void biasBackward(int part, int from, int to) {
            int spatial = width / batch;
            int span = (to - from) * spatial;
            float[] acc = sums[part];
            if (acc.length < span) {
                acc = new float[span];
                sums[part] = acc;
            }
            Arrays.fill(acc, 0, span, 0f);
            int vectorEnd = VectorOps.SPECIES.loopBound(span);
            for (int n = 0; n < batch; n++) {
                long base = ((long) n * channels + from) * spatial;
                int i = 0;
                for (; i < vectorEnd; i += VectorOps.LANES) {
                    FloatVector.fromArray(VectorOps.SPECIES, acc, i).add(VectorOps.load(b, base + i)).intoArray(acc, i);
                }
                for (; i < span; i++) {
                    acc[i] += VectorOps.get(b, base + i);
                }
            }
            for (int ch = from; ch < to; ch++) {
                double total = 0;
                for (int i = (ch - from) * spatial, end = i + spatial; i < end; i++) {
                    total += acc[i];
                }
                VectorOps.set(a, ch, (float) (VectorOps.get(a, ch) + total));
            }
        }

        @Override
        void run(int from, int to) {
            runPart(0, from, to);
        }

        /** The op over [from, to), as worker {@code part} (whose own buffers it may use). */
        @Override
        void runPart(int part, int from, int to) {
            switch (op) {
                case RELU -> VectorOps.relu(a, b, from, to);
                case RELU_BACKWARD -> VectorOps.reluBackward(a, b, c, from, to);
                case HSWISH -> VectorOps.hswish(a, b, from, to);
                case HSWISH_BACKWARD -> VectorOps.hswishBackward(a, b, c, from, to);
                case AXPY -> VectorOps.axpy(a, f0, b, from, to);
                case ADD -> VectorOps.add(a, b, c, from, to);
                case SCALED_SUM -> VectorOps.scaledSum(a, segments, weights, inputs, from, to);
                case SGD -> VectorOps.sgd(a, b, c, f0, f1, f2, from, to);
                case ADAM -> VectorOps.adam(a, b, c, d, f0, f1, f2, f3, f4, f5, from, to);
                case SCALE -> VectorOps.scale(a, f0, b, from, to);
                case ZERO -> VectorOps.fill(a, from, to - from, 0f);
                case BIAS_ADD -> {
                    for (int plane = from; plane < to; plane++) {
                        VectorOps.addScalar(a, (long) plane * width, width, VectorOps.get(b, plane % channels));
                    }
                }
                case BIAS_BACKWARD -> biasBackward(part, from, to);
                case GLOBAL_AVG -> {
                    for (int plane = from; plane < to; plane++) {
                        VectorOps.set(a, plane, (float) (VectorOps.sum(b, (long) plane * width, width) / width));
                    }
                }
                case GLOBAL_AVG_BACKWARD -> {
                    for (int plane = from; plane < to; plane++) {
                        VectorOps.fill(a, (long) plane * width, width, VectorOps.get(b, plane) / width);
                    }
                }
                default -> throw new IllegalStateException("unknown elementwise op " + op);
            }
        }

    }
}
