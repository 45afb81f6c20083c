package io.mpsl.kernels.cpu;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * Stride-1, one-group convolution as one GEMM per kernel tap over a gapped channels-last copy of the images,
 * with no im2col panel. A group of images goes channels-last into rows of Ws = inW + gW pixels, the last gW =
 * max(padW, kernelW - 1 - padW) of them zero, and Hs = inH + gH rows per image, the last gH = max(padH,
 * kernelH - 1 - padH) of them zero (plus padH zero rows and padW zero pixels in front): every zero the padding
 * asks for is then a gap pixel. Output pixel (t, y, x) is row q = (t * Hs + y) * Ws + x, and tap (i, j) reads
 * the copy's row q + i * Ws + j, so
 * <pre>
 *   forward:          Y(q, o)      = sum_{i,j} sum_c Xg(q + i*Ws + j, c) * weight[o, c, i, j]
 * </pre>
 * is kernelH * kernelW GEMMs (m = rows, n = O, k = C) whose operand Xg is read in place at a shifted offset.
 * Rows q with x >= outW or y >= outH are computed and dropped: Hs * Ws / (outH * outW) - 1 extra work, so
 * only maps where that is small go this way ({@link #applies}). Backward weights, dW[o, c, i, j] += sum over
 * output pixels of Xg(q + i*Ws + j, c) * dY(pixel, o), is one GEMM per chunk of output pixels over a small
 * im2row panel copied from Xg (kernelW * C contiguous floats per pixel and kernel row): that packs better
 * than one GEMM per tap and drops no rows.
 * The data gradient of a stride-1 convolution is the forward of one with the kernel transposed and rotated by
 * 180 degrees and padding kernel - 1 - pad ({@link #backwardData}).
 *
 * <p>Each worker takes whole groups of images: it builds its group's copy, runs the tap GEMMs on its own
 * thread ({@link Gemm#sgemmPart}) and writes the result, so copy and product stay in its core's L2 and the
 * workers never wait for each other inside a call. Backward weights sums into one (taps, C, O) buffer per
 * worker; the buffers are added in worker order, so a thread count gives one result, bit for bit.
 */
final class ShiftedConvolution implements AutoCloseable {
    /** Largest extra work (computed rows / output pixels) for which this beats im2col. */
    static final double MAX_WASTE = 1.2;
    /** Fewest input and output channels: the depth of each tap's product. */
    static final int MIN_CHANNELS = 16;
    /** Floats of one worker's image copy plus product rows: about half of this CPU's 2 MiB L2. */
    static final long GROUP_BUDGET_FLOATS = 1L << 18;
    /** Floats of one worker's im2row panel chunk (1 MiB, in L2 with its operands). */
    static final long PANEL_BUDGET_FLOATS = 1L << 18;
    /** Fewest rows of a panel chunk, so the other operand's packing is shared by enough rows. */
    static final int MIN_PANEL_ROWS = 128;
    /** Floats a transpose moves through its heap buffer at once. */
    private static final int BLOCK_FLOATS = 1 << 14;

    private final Gemm gemm;
    private final WorkerPool pool;
    private final Part[] parts;
    private final Workspace tapWeights = new Workspace();
    private final TapJob job = new TapJob();
    /** The convolution whose data gradient {@link #gradientSpec} describes, kept between calls. */
    private ConvSpec gradientOf;
    private ConvSpec gradientSpec;

    ShiftedConvolution(Gemm gemm, WorkerPool pool) {
        this.gemm = gemm;
        this.pool = pool;
        this.parts = new Part[pool.threads()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = new Part();
        }
    }

    /**
     * Whether this runs {@code s} and its data gradient: one group, stride 1, padding below the kernel, at least
     * {@link #MIN_CHANNELS} channels in and out (each tap's product has k = channels), and at most
     * {@link #MAX_WASTE} computed rows per output pixel. Small deep maps do better as im2col over the whole batch,
     * where one product shares the packing of the large weight matrix among many images.
     */
    static boolean applies(ConvSpec s) {
        if (s.groups() != 1 || s.strideH() != 1 || s.strideW() != 1 || s.padH() >= s.kernelH()
                || s.padW() >= s.kernelW() || s.inChannels() < MIN_CHANNELS || s.outChannels() < MIN_CHANNELS) {
            return false;
        }
        long rows = (long) (s.inH() + gap(s.padH(), s.kernelH())) * (s.inW() + gap(s.padW(), s.kernelW()));
        return rows <= MAX_WASTE * s.outH() * s.outW();
    }

    private static int gap(int pad, int kernel) {
        return Math.max(pad, kernel - 1 - pad);
    }

    /** out = conv(in, weight); {@code s} must satisfy {@link #applies}. */
    void forward(MemorySegment out, MemorySegment in, MemorySegment weight, ConvSpec s) {
        run(TapJob.FORWARD, out, in, weight, s, false);
    }

    /**
     * out = conv(in, weight) + bias[o] ({@code bias} null: none), then max(out, 0) when {@code relu}, both applied
     * as each group's product is written back to NCHW; {@code s} must satisfy {@link #applies}.
     */
    void forward(MemorySegment out, MemorySegment in, MemorySegment weight, MemorySegment bias, boolean relu,
            ConvSpec s) {
        TapJob j = job;
        if (bias != null) {
            if (j.bias.length < s.outChannels()) {
                j.bias = new float[s.outChannels()];
            }
            MemorySegment.copy(bias, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, j.bias, 0, s.outChannels());
        }
        j.hasBias = bias != null;
        j.relu = relu;
        try {
            run(TapJob.FORWARD, out, in, weight, s, false);
        } finally {
            j.hasBias = false;
            j.relu = false;
        }
    }

    /** dIn = the data gradient of conv(., weight) at dOut; {@code s} must satisfy {@link #applies}. */
    void backwardData(MemorySegment dIn, MemorySegment dOut, MemorySegment weight, ConvSpec s) {
        if (!s.equals(gradientOf)) {
            gradientOf = s;
            gradientSpec = s.dataGradientAsConvolution();
        }
        run(TapJob.FORWARD, dIn, dOut, weight, gradientSpec, true);
    }

    /** dWeight += the weight gradient at dOut for input in; {@code s} must satisfy {@link #applies}. */
    void backwardWeights(MemorySegment dWeight, MemorySegment dOut, MemorySegment in, ConvSpec s) {
        run(TapJob.WEIGHTS, dWeight, in, dOut, s, false);
    }

    /**
     * FORWARD: target = out, source = in, other = weight (flipped: the weight of the convolution this is the
     * data gradient of). WEIGHTS: target = dWeight, source = in, other = dOut.
     */
    private void run(int mode, MemorySegment target, MemorySegment source, MemorySegment other, ConvSpec s,
            boolean flipped) {
        TapJob j = job;
        j.geometry(s, parts.length);
        int kk = s.kernelH() * s.kernelW();
        long tapFloats = (long) kk * s.inChannels() * s.outChannels();
        j.mode = mode;
        j.target = target;
        j.source = source;
        j.other = other;
        if (mode == TapJob.FORWARD) {
            j.taps = tapWeights.floats(tapFloats);
            reorder(j.taps, other, s, flipped);
        } else {
            for (Part p : parts) {
                p.weightGrad = p.weightGradSpace.floats(tapFloats);
                VectorOps.fill(p.weightGrad, 0, Math.toIntExact(tapFloats), 0f);
            }
        }
        try {
            if (mode == TapJob.FORWARD) {
                pool.runClaimed(j, j.groupCount, 1); // groups are independent: any thread may take any
            } else {
                pool.run(j, j.groupCount, 1); // each worker sums into its own buffer: a fixed split
            }
        } finally {
            j.target = null;
            j.source = null;
            j.other = null;
        }
        if (mode == TapJob.WEIGHTS) {
            addWeightGradients(target, s, Math.min(parts.length, j.groupCount));
        }
    }

    /**
     * taps[q, c, o] = weight[o, c, q] (q = i * kernelW + j); flipped, the weight is (C, O, kk) of the
     * convolution whose data gradient this is: taps[q, c, o] = weight[c, o, kk - 1 - q].
     */
    private static void reorder(MemorySegment taps, MemorySegment weight, ConvSpec s, boolean flipped) {
        int c = s.inChannels();
        int o = s.outChannels();
        int kk = s.kernelH() * s.kernelW();
        long co = (long) c * o;
        for (int oc = 0; oc < o; oc++) {
            for (int ci = 0; ci < c; ci++) {
                long dst = (long) ci * o + oc;
                if (flipped) {
                    long src = ((long) ci * o + oc) * kk + kk - 1;
                    for (int q = 0; q < kk; q++) {
                        VectorOps.set(taps, q * co + dst, VectorOps.get(weight, src - q));
                    }
                } else {
                    long src = ((long) oc * c + ci) * kk;
                    for (int q = 0; q < kk; q++) {
                        VectorOps.set(taps, q * co + dst, VectorOps.get(weight, src + q));
                    }
                }
            }
        }
    }

    /** dWeight[o, c, q] += sum over parts p < used of part p's grad[q, c, o], parts in order. */
    private void addWeightGradients(MemorySegment dWeight, ConvSpec s, int used) {
        int c = s.inChannels();
        int o = s.outChannels();
        int kk = s.kernelH() * s.kernelW();
        long co = (long) c * o;
        for (int oc = 0; oc < o; oc++) {
            for (int ci = 0; ci < c; ci++) {
                long dst = ((long) oc * c + ci) * kk;
                long src = (long) ci * o + oc;
                for (int q = 0; q < kk; q++) {
                    float sum = VectorOps.get(dWeight, dst + q);
                    for (int p = 0; p < used; p++) {
                        sum += VectorOps.get(parts[p].weightGrad, q * co + src);
                    }
                    VectorOps.set(dWeight, dst + q, sum);
                }
            }
        }
    }

    /** dst[dstAt + i] = src[srcAt + i] for i in [0, n): whole vectors, then a bulk copy of the rest. */
    private static void copy(MemorySegment dst, long dstAt, MemorySegment src, long srcAt, int n) {
        int i = 0;
        for (int end = VectorOps.SPECIES.loopBound(n); i < end; i += VectorOps.LANES) {
            VectorOps.store(VectorOps.load(src, srcAt + i), dst, dstAt + i);
        }
        Im2Col.copy(dst, dstAt + i, src, srcAt + i, n - i);
    }

    @Override
    public void close() {
        tapWeights.close();
        for (Part p : parts) {
            p.image.close();
            p.rows.close();
            p.panel.close();
            p.weightGradSpace.close();
        }
    }

    /** One worker's buffers. */
    private static final class Part {
        final Workspace image = new Workspace();
        final Workspace rows = new Workspace();
        final Workspace panel = new Workspace();
        final Workspace weightGradSpace = new Workspace();
        MemorySegment weightGrad;
        float[] buffer = new float[BLOCK_FLOATS];
        final int[] offsets = new int[VectorOps.LANES];
        int offsetStride = -1;

        /** offsets[i] = i * stride. */
        int[] offsets(int stride) {
            if (stride != offsetStride) {
                for (int i = 0; i < offsets.length; i++) {
                    offsets[i] = i * stride;
                }
                offsetStride = stride;
            }
            return offsets;
        }

        float[] buffer(int floats) {
            if (buffer.length < floats) {
                buffer = new float[floats];
            }
            return buffer;
        }
    }

    /** The work of one call over groups of images [from, to), each worker with its own {@link Part}. */
    private final class TapJob extends WorkerPool.Job {
        static final int FORWARD = 0;
        static final int WEIGHTS = 1;
        int mode;
        MemorySegment target;
        MemorySegment source;
        MemorySegment other;
        MemorySegment taps;
        /** Forward epilogue: bias[k] added when {@link #hasBias}, then max(., 0) when {@link #relu}. */
        float[] bias = new float[0];
        boolean hasBias;
        boolean relu;
        int batch;
        int c;
        int o;
        int inH;
        int inW;
        int outH;
        int outW;
        int kernelH;
        int kernelW;
        int padH;
        int padW;
        /** Rows per image and pixels per row of the gapped copy. */
        int hs;
        int ws;
        int groupImages;
        int groupCount;

        void geometry(ConvSpec s, int threads) {
            batch = s.batch();
            c = s.inChannels();
            o = s.outChannels();
            inH = s.inH();
            inW = s.inW();
            outH = s.outH();
            outW = s.outW();
            kernelH = s.kernelH();
            kernelW = s.kernelW();
            padH = s.padH();
            padW = s.padW();
            hs = inH + gap(padH, kernelH);
            ws = inW + gap(padW, kernelW);
            long perImage = (long) hs * ws * (c + o);
            int perThread = (batch + threads - 1) / threads;
            groupImages = (int) Math.max(1, Math.min(perThread, GROUP_BUDGET_FLOATS / perImage));
            groupCount = (batch + groupImages - 1) / groupImages;
        }

        @Override
        void run(int from, int to) {
            runPart(0, from, to);
        }

        @Override
        void runPart(int part, int from, int to) {
            Part p = parts[part];
            long pixels = (long) groupImages * hs * ws;
            long imageFloats = (pixels + (long) (kernelH - 1) * ws + kernelW) * c;
            MemorySegment xg = p.image.floats(imageFloats);
            MemorySegment rows = p.rows.floats(pixels * o);
            for (int g = from; g < to; g++) {
                int n0 = g * groupImages;
                int b = Math.min(groupImages, batch - n0);
                int m = b * hs * ws;
                VectorOps.fill(xg, 0, Math.toIntExact(((long) m + (long) (kernelH - 1) * ws + kernelW) * c), 0f);
                toGapped(p, xg, padW + (long) padH * ws, source, n0, b, c, inH, inW, hs, ws);
                if (mode == FORWARD) {
                    for (int i = 0; i < kernelH; i++) {
                        for (int j = 0; j < kernelW; j++) {
                            int q = i * kernelW + j;
                            gemm.sgemmPart(part, false, false, m, o, c, 1f, xg, ((long) i * ws + j) * c, c, taps,
                                    (long) q * c * o, o, q == 0 ? 0f : 1f, rows, 0, o);
                        }
                    }
                    fromGapped(p, target, rows, n0, b, hs, ws);
                } else {
                    toGapped(p, rows, 0, other, n0, b, o, outH, outW, outH, outW);
                    weightProducts(part, p, xg, rows, b);
                }
            }
        }

        /**
         * grad(K, O) += R^T x dY over the b * outH * outW output pixels r = (t, y, x) of a group, in chunks of
         * rows that keep the panel in L2: R[r, (i * kernelW + j) * C + c] = Xg[(t * hs + y) * ws + x + i * ws + j,
         * c] (one copy of kernelW * C floats per kernel row), dY[r, o] = dOut channels-last (no dropped rows).
         */
        private void weightProducts(int part, Part p, MemorySegment xg, MemorySegment dy, int b) {
            int k = kernelH * kernelW * c;
            int pixels = b * outH * outW;
            int chunk = panelRows(k);
            MemorySegment panel = p.panel.floats((long) chunk * k);
            for (int r0 = 0; r0 < pixels; r0 += chunk) {
                int r1 = Math.min(pixels, r0 + chunk);
                panel(panel, xg, r0, r1);
                gemm.sgemmPart(part, true, false, k, o, r1 - r0, 1f, panel, 0, k, dy, (long) r0 * o, o, 1f,
                        p.weightGrad, 0, o);
            }
        }

        private static int panelRows(int k) {
            return (int) Math.max(MIN_PANEL_ROWS, PANEL_BUDGET_FLOATS / k);
        }

        /** Panel rows for output pixels [r0, r1) of the group: R[r - r0, (i * kernelW + j) * C + c]. */
        private void panel(MemorySegment panel, MemorySegment xg, int r0, int r1) {
            int k = kernelH * kernelW * c;
            int span = kernelW * c;
            int plane = outH * outW;
            for (int r = r0; r < r1; r++) {
                int t = r / plane;
                int y = (r % plane) / outW;
                int x = r % outW;
                long q = ((long) t * hs + y) * ws + x;
                long dst = (long) (r - r0) * k;
                for (int i = 0; i < kernelH; i++) {
                    copy(panel, dst + (long) i * span, xg, (q + (long) i * ws) * c, span);
                }
            }
        }

        /**
         * dst[at + ((t * imageRows + y) * rowPixels + x) * ch + k] = src[n0 + t, k, y, x] for t < b, y < h,
         * x < w: NCHW images into a (gapped) channels-last layout, whose gaps the caller has zeroed. Blocks of
         * rows of one image are copied channel by channel into the heap buffer, then each pixel's channels are
         * gathered from it.
         */
        private void toGapped(Part p, MemorySegment dst, long at, MemorySegment src, int n0, int b, int ch, int h,
                int w, int imageRows, int rowPixels) {
            int plane = h * w;
            int blockRows = Math.max(1, Math.min(h, BLOCK_FLOATS / (ch * w)));
            float[] buf = p.buffer(blockRows * w * ch);
            boolean vector = ch % VectorOps.LANES == 0;
            for (int t = 0; t < b; t++) {
                long image = (long) (n0 + t) * ch * plane;
                for (int y0 = 0; y0 < h; y0 += blockRows) {
                    int rowsNow = Math.min(blockRows, h - y0);
                    int span = rowsNow * w;
                    for (int k = 0; k < ch; k++) {
                        MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED,
                                (image + (long) k * plane + (long) y0 * w) * Float.BYTES, buf, k * span, span);
                    }
                    int[] offsets = p.offsets(span);
                    for (int r = 0; r < rowsNow; r++) {
                        long row = at + ((long) t * imageRows + y0 + r) * rowPixels;
                        for (int x = 0; x < w; x++) {
                            long d = (row + x) * ch;
                            int s = r * w + x;
                            int k = 0;
                            if (vector) {
                                for (; k < ch; k += VectorOps.LANES) {
                                    VectorOps.store(
                                            FloatVector.fromArray(VectorOps.SPECIES, buf, k * span + s, offsets, 0),
                                            dst, d + k);
                                }
                            }
                            for (; k < ch; k++) {
                                VectorOps.set(dst, d + k, buf[k * span + s]);
                            }
                        }
                    }
                }
            }
        }

        /**
         * out[n0 + t, k, y, x] = rows[((t * imageRows + y) * rowPixels + x) * o + k] for the output pixels
         * (y, x): the product rows back to NCHW.
         */
        private void fromGapped(Part p, MemorySegment out, MemorySegment rows, int n0, int b, int imageRows,
                int rowPixels) {
            int ws = rowPixels;
            int plane = outH * outW;
            int blockRows = Math.max(1, Math.min(outH, BLOCK_FLOATS / (ws * o)));
            float[] buf = p.buffer(blockRows * ws * o);
            int[] offsets = p.offsets(o);
            int lanes = VectorOps.LANES;
            for (int t = 0; t < b; t++) {
                long image = (long) (n0 + t) * o * plane;
                for (int y0 = 0; y0 < outH; y0 += blockRows) {
                    int rowsNow = Math.min(blockRows, outH - y0);
                    MemorySegment.copy(rows, ValueLayout.JAVA_FLOAT_UNALIGNED,
                            ((long) t * imageRows + y0) * ws * o * Float.BYTES, buf, 0, rowsNow * ws * o);
                    for (int k = 0; k < o; k++) {
                        float add = hasBias ? bias[k] : 0f;
                        for (int r = 0; r < rowsNow; r++) {
                            long d = image + (long) k * plane + (long) (y0 + r) * outW;
                            int s = r * ws * o + k;
                            int x = 0;
                            for (int end = outW - outW % lanes; x < end; x += lanes) {
                                FloatVector v = FloatVector.fromArray(VectorOps.SPECIES, buf, s + x * o, offsets, 0);
                                if (hasBias) {
                                    v = v.add(add);
                                }
                                if (relu) {
                                    v = v.max(0f);
                                }
                                VectorOps.store(v, out, d + x);
                            }
                            for (; x < outW; x++) {
                                float v = hasBias ? buf[s + x * o] + add : buf[s + x * o];
                                VectorOps.set(out, d + x, relu ? Math.max(v, 0f) : v);
                            }
                        }
                    }
                }
            }
        }
    }
}
