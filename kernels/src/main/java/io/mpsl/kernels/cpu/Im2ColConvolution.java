package io.mpsl.kernels.cpu;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * Convolution as GEMM over chunks of images, so each GEMM is large even for small deep feature maps. For a
 * chunk of b images, P = outH * outW, K = inChannels * kernelH * kernelW:
 * <pre>
 *   forward, one group:   chunk -> channels-last; rows(bP, K) = im2row;  Y^T(bP, O) = rows x W'^T
 *                         (W' = weight reordered to (O, kernelH, kernelW, C)); Y^T -> out (NCHW)
 *   forward, groups:      cols(K, bP) = im2col;  per group Y^T(bP, O_g) = cols_g^T x W_g^T;  Y^T -> out
 *   backward data, stride 1, one group: the forward above on dOut with the kernel transposed and rotated by
 *                         180 degrees and padding kernel - 1 - pad (no col2im)
 *   backward data, other: dY(O, bP) = dOut gathered;  dCols_g(K_g, bP) = W_g^T x dY_g;  col2im -> dIn
 *   backward weights:     cols = im2col, dY gathered;  dW_g^T(K_g, O_g) += cols_g x dY_g^T over chunks;
 *                         then dW += (dW^T)^T once
 * </pre>
 * The products are oriented so the long pixel dimension is GEMM's m (forward, data) or k (weights): on the
 * VGG shapes with OpenBLAS this measured 1.5-3x faster than (O, bP) outputs, whose m is small. A one-image
 * chunk reads dOut in place instead of gathering it. Engine-side loops (layout changes, im2col, im2row,
 * col2im) run on the backend's worker pool between GEMM calls; the GEMM runs on its own threads.
 */
final class Im2ColConvolution implements AutoCloseable {
    private final long panelBudgetFloats;
    private final Gemm gemm;
    private final WorkerPool pool;
    private final Workspace panel = new Workspace();
    private final Workspace rows = new Workspace();
    private final Workspace transposed = new Workspace();
    private final Workspace channelsLast = new Workspace();
    private final PanelJob panelJob = new PanelJob();
    /** The convolution whose stride-1 data gradient {@link #gradientSpec} describes, kept between calls. */
    private ConvSpec gradientOf;
    private ConvSpec gradientSpec;
    private final LayoutJob layoutJob = new LayoutJob();
    /** Largest product depth K for which {@link #byImage} holds. */
    static final int IMAGE_MAX_K = 64;
    /** Per worker: one image's (K, P) column panel, and its (O, K) weight gradient sum. */
    private final Workspace[] imagePanels;
    private final Workspace[] weightSums;
    private final ImageJob imageJob;

    /** @param panelBudgetFloats largest column panel of a chunk, unless one image alone needs more */
    Im2ColConvolution(Gemm gemm, WorkerPool pool, long panelBudgetFloats) {
        this.panelBudgetFloats = panelBudgetFloats;
        this.gemm = gemm;
        this.pool = pool;
        this.imagePanels = new Workspace[pool.threads()];
        this.weightSums = new Workspace[pool.threads()];
        for (int i = 0; i < imagePanels.length; i++) {
            imagePanels[i] = new Workspace();
            weightSums[i] = new Workspace();
        }
        this.imageJob = new ImageJob();
    }

    /**
     * Whether {@code s} runs image by image ({@link ImageJob}): one group and a short product depth K = C * kh * kw
     * (at most {@link #IMAGE_MAX_K}, e.g. a first layer on RGB images), where one (O, K) x (K, P) product per image
     * writes NCHW directly and a batch-wide one would spend more on layout copies than on arithmetic.
     */
    static boolean byImage(ConvSpec s) {
        return s.groups() == 1 && (long) s.inChannels() * s.kernelH() * s.kernelW() <= IMAGE_MAX_K;
    }

    /** Number of chunks the batch is cut into: as few as keep each panel within the budget, sizes even. */
    int chunks(ConvSpec s) {
        long perImage = (long) s.inChannels() * s.kernelH() * s.kernelW() * s.outH() * s.outW();
        long maxImages = Math.max(1, panelBudgetFloats / perImage);
        return (int) ((s.batch() + maxImages - 1) / maxImages);
    }

    private static int chunkStart(ConvSpec s, int chunk, int chunks) {
        return (int) ((long) s.batch() * chunk / chunks);
    }

    void forward(MemorySegment out, MemorySegment in, MemorySegment weight, ConvSpec s) {
        if (byImage(s)) {
            runByImage(ImageJob.FORWARD, out, in, weight, null, false, s);
            return;
        }
        if (s.groups() == 1) {
            forwardChannelsLast(out, in, weight, s, false);
            return;
        }
        int chunks = chunks(s);
        int p = s.outH() * s.outW();
        int k = s.inChannels() * s.kernelH() * s.kernelW();
        int maxB = chunkStart(s, 1, chunks) + 1;
        MemorySegment cols = panel.floats((long) k * maxB * p);
        MemorySegment yT = rows.floats((long) s.outChannels() * maxB * p);
        int groups = s.groups();
        int kg = k / groups;
        int og = s.outChannels() / groups;
        for (int ch = 0; ch < chunks; ch++) {
            int n0 = chunkStart(s, ch, chunks);
            int b = chunkStart(s, ch + 1, chunks) - n0;
            runIm2Col(cols, in, s, n0, b);
            int ld = b * p;
            for (int gr = 0; gr < groups; gr++) {
                gemm.sgemm(true, true, ld, og, kg, 1f, cols, (long) gr * kg * ld, ld, weight, (long) gr * og * kg, kg,
                        0f, yT, (long) gr * og, s.outChannels());
            }
            runLayout(LayoutJob.TRANSPOSE_OUT, yT, out, s.outChannels(), p, n0, b);
        }
    }

    /**
     * One group: the chunk goes channels-last, then a pixel-major panel rows(bP, K) with K ordered (i, j, c)
     * makes the forward product Y^T = rows x W'^T with both operands in GEMM's favoured orientation (W' is
     * the weight reordered to (O, kernelH, kernelW, C)). With {@code flipped}, {@code weight} is the weight
     * of the convolution this one is the data gradient of, (C, O, kernelH, kernelW), read transposed and
     * rotated by 180 degrees.
     */
    private void forwardChannelsLast(MemorySegment out, MemorySegment in, MemorySegment weight, ConvSpec s,
            boolean flipped) {
        int chunks = chunks(s);
        int p = s.outH() * s.outW();
        int plane = s.inH() * s.inW();
        int c = s.inChannels();
        int kk = s.kernelH() * s.kernelW();
        int k = c * kk;
        int o = s.outChannels();
        int maxB = chunkStart(s, 1, chunks) + 1;
        MemorySegment pixelRows = panel.floats((long) k * maxB * p);
        MemorySegment yT = rows.floats((long) o * maxB * p);
        MemorySegment nhwc = channelsLast.floats((long) c * maxB * plane);
        MemorySegment reordered = transposed.floats((long) o * k);
        for (int oc = 0; oc < o; oc++) {
            for (int ci = 0; ci < c; ci++) {
                for (int q = 0; q < kk; q++) {
                    long from = flipped ? ((long) ci * o + oc) * kk + (kk - 1 - q) : (long) oc * k + (long) ci * kk + q;
                    VectorOps.set(reordered, (long) oc * k + (long) q * c + ci, VectorOps.get(weight, from));
                }
            }
        }
        for (int ch = 0; ch < chunks; ch++) {
            int n0 = chunkStart(s, ch, chunks);
            int b = chunkStart(s, ch + 1, chunks) - n0;
            runLayout(LayoutJob.TO_CHANNELS_LAST, nhwc, in, c, plane, n0, b);
            panelJob.set(PanelJob.IM2ROW, pixelRows, nhwc, s, 0, b);
            pool.run(panelJob, b * p, 16);
            gemm.sgemm(false, true, b * p, o, k, 1f, pixelRows, 0, k, reordered, 0, k, 0f, yT, 0, o);
            runLayout(LayoutJob.TRANSPOSE_OUT, yT, out, o, p, n0, b);
        }
    }

    void backwardData(MemorySegment dIn, MemorySegment dOut, MemorySegment weight, ConvSpec s) {
        if (s.groups() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padH() < s.kernelH()
                && s.padW() < s.kernelW()) {
            // stride 1: dIn = dOut correlated with the transposed, 180-degree rotated kernel, padding k - 1 - p
            if (!s.equals(gradientOf)) {
                gradientOf = s;
                gradientSpec = new ConvSpec(s.batch(), s.outChannels(), s.outH(), s.outW(), s.inChannels(),
                        s.kernelH(), s.kernelW(), 1, 1, s.kernelH() - 1 - s.padH(), s.kernelW() - 1 - s.padW(), 1);
            }
            forwardChannelsLast(dIn, dOut, weight, gradientSpec, true);
            return;
        }
        int chunks = chunks(s);
        int p = s.outH() * s.outW();
        int k = s.inChannels() * s.kernelH() * s.kernelW();
        int maxB = chunkStart(s, 1, chunks) + 1;
        MemorySegment dCols = panel.floats((long) k * maxB * p);
        MemorySegment dY = chunks < s.batch() ? rows.floats((long) s.outChannels() * maxB * p) : null;
        int groups = s.groups();
        int kg = k / groups;
        int og = s.outChannels() / groups;
        for (int ch = 0; ch < chunks; ch++) {
            int n0 = chunkStart(s, ch, chunks);
            int b = chunkStart(s, ch + 1, chunks) - n0;
            MemorySegment g = dOut;
            long gAt = (long) n0 * s.outChannels() * p;
            if (b > 1) {
                runLayout(LayoutJob.GATHER, dY, dOut, s.outChannels(), p, n0, b);
                g = dY;
                gAt = 0;
            }
            int ld = b * p;
            for (int gr = 0; gr < groups; gr++) {
                gemm.sgemm(true, false, kg, ld, og, 1f, weight, (long) gr * og * kg, kg, g, gAt + (long) gr * og * ld,
                        ld, 0f, dCols, (long) gr * kg * ld, ld);
            }
            panelJob.set(PanelJob.COL2IM, dCols, dIn, s, n0, b);
            pool.run(panelJob, s.inChannels(), 1);
        }
    }

    void backwardWeights(MemorySegment dWeight, MemorySegment dOut, MemorySegment in, ConvSpec s) {
        if (byImage(s)) {
            runByImage(ImageJob.WEIGHTS, dOut, in, null, null, false, s);
            int used = Math.min(imagePanels.length, s.batch());
            int size = Math.toIntExact(s.weightSize());
            for (int p = 0; p < used; p++) {
                VectorOps.add(dWeight, dWeight, imageJob.sums[p], 0, size);
            }
            return;
        }
        int chunks = chunks(s);
        int p = s.outH() * s.outW();
        int k = s.inChannels() * s.kernelH() * s.kernelW();
        int maxB = chunkStart(s, 1, chunks) + 1;
        MemorySegment cols = panel.floats((long) k * maxB * p);
        MemorySegment dY = chunks < s.batch() ? rows.floats((long) s.outChannels() * maxB * p) : null;
        int groups = s.groups();
        int kg = k / groups;
        int og = s.outChannels() / groups;
        MemorySegment dWT = transposed.floats((long) k * og); // per group g: (K_g, O_g) at g * K_g * O_g
        for (int ch = 0; ch < chunks; ch++) {
            int n0 = chunkStart(s, ch, chunks);
            int b = chunkStart(s, ch + 1, chunks) - n0;
            runIm2Col(cols, in, s, n0, b);
            MemorySegment g = dOut;
            long gAt = (long) n0 * s.outChannels() * p;
            if (b > 1) {
                runLayout(LayoutJob.GATHER, dY, dOut, s.outChannels(), p, n0, b);
                g = dY;
                gAt = 0;
            }
            int ld = b * p;
            for (int gr = 0; gr < groups; gr++) {
                gemm.sgemm(false, true, kg, og, ld, 1f, cols, (long) gr * kg * ld, ld, g, gAt + (long) gr * og * ld, ld,
                        ch == 0 ? 0f : 1f, dWT, (long) gr * kg * og, og);
            }
        }
        addTransposed(dWeight, dWT, groups, og, kg);
    }

    /**
     * dW[g*O_g + o, j] += dWT[g*K_g*O_g + j*O_g + o]. With K_g a multiple of the vector length, LANES rows of
     * dWT at a time go into a heap buffer in one copy and each vector of dW is one gather from it.
     */
    private void addTransposed(MemorySegment dWeight, MemorySegment dWT, int groups, int og, int kg) {
        int lanes = VectorOps.LANES;
        boolean vector = kg % lanes == 0;
        if (vector) {
            layoutJob.prepareBlocks(lanes, og);
        }
        float[] buf = vector ? LayoutJob.buffer(lanes * og) : null;
        for (int gr = 0; gr < groups; gr++) {
            long block = (long) gr * kg * og;
            if (vector) {
                for (int j0 = 0; j0 < kg; j0 += lanes) {
                    MemorySegment.copy(dWT, ValueLayout.JAVA_FLOAT_UNALIGNED, (block + (long) j0 * og) * Float.BYTES, buf, 0,
                            lanes * og);
                    for (int o = 0; o < og; o++) {
                        long at = (long) (gr * og + o) * kg + j0;
                        VectorOps.store(VectorOps.load(dWeight, at).add(
                                FloatVector.fromArray(VectorOps.SPECIES, buf, o, layoutJob.laneOffsets, 0)), dWeight, at);
                    }
                }
                continue;
            }
            for (int o = 0; o < og; o++) {
                long row = (long) (gr * og + o) * kg;
                for (int j = 0; j < kg; j++) {
                    long at = row + j;
                    VectorOps.set(dWeight, at, VectorOps.get(dWeight, at) + VectorOps.get(dWT, block + (long) j * og + o));
                }
            }
        }
    }

    private void runIm2Col(MemorySegment cols, MemorySegment in, ConvSpec s, int n0, int b) {
        panelJob.set(PanelJob.IM2COL, cols, in, s, n0, b);
        pool.run(panelJob, s.inChannels() * s.kernelH() * s.kernelW(), 1);
    }

    private void runLayout(int direction, MemorySegment y, MemorySegment nchw, int channels, int p, int n0, int b) {
        layoutJob.direction = direction;
        layoutJob.rows = y;
        layoutJob.nchw = nchw;
        layoutJob.channels = channels;
        layoutJob.p = p;
        layoutJob.n0 = n0;
        layoutJob.b = b;
        if (direction != LayoutJob.GATHER && p % VectorOps.LANES == 0 && channels % VectorOps.LANES == 0) {
            int width = VectorOps.LANES;
            while (width < LayoutJob.MAX_BLOCK && p % (2 * width) == 0) {
                width *= 2;
            }
            layoutJob.prepareBlocks(width, direction == LayoutJob.TRANSPOSE_OUT ? channels : width);
            pool.run(layoutJob, b * (p / width), 1);
        } else {
            layoutJob.blocks = false;
            pool.run(layoutJob, channels, 1);
        }
    }

    /**
     * out = conv(in, weight) + bias[o] ({@code bias} null: none), then max(out, 0) when {@code relu}, for a
     * convolution that runs {@link #byImage}: each image's bias and ReLU right after its product, while its
     * output is still in cache.
     */
    void forwardByImage(MemorySegment out, MemorySegment in, MemorySegment weight, MemorySegment bias, boolean relu,
            ConvSpec s) {
        runByImage(ImageJob.FORWARD, out, in, weight, bias, relu, s);
    }

    /**
     * FORWARD: out = target, weight = other (+ bias when not null); WEIGHTS: dOut = target, each worker's sum
     * into its own buffer.
     */
    private void runByImage(int mode, MemorySegment target, MemorySegment in, MemorySegment other,
            MemorySegment bias, boolean relu, ConvSpec s) {
        ImageJob j = imageJob;
        j.mode = mode;
        j.bias = bias;
        j.relu = relu;
        j.target = target;
        j.in = in;
        j.weight = other;
        j.spec = s;
        long k = (long) s.inChannels() * s.kernelH() * s.kernelW();
        long p = (long) s.outH() * s.outW();
        for (int i = 0; i < imagePanels.length; i++) {
            j.panels[i] = imagePanels[i].floats(k * p);
            j.sums[i] = mode == ImageJob.WEIGHTS ? weightSums[i].floats(k * s.outChannels()) : null;
        }
        try {
            if (mode == ImageJob.FORWARD) {
                pool.runClaimed(j, s.batch(), 1); // images are independent: any thread may take any
            } else {
                pool.run(j, s.batch(), 1); // each worker sums into its own buffer: a fixed split
            }
        } finally {
            j.target = null;
            j.in = null;
            j.weight = null;
            j.bias = null;
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < imagePanels.length; i++) {
            imagePanels[i].close();
            weightSums[i].close();
        }
        panel.close();
        rows.close();
        transposed.close();
        channelsLast.close();
    }

    /**
     * One image at a time per worker, P = outH * outW, K = C * kh * kw: cols(K, P) = im2col of the image, then
     * FORWARD out_n(O, P) = weight(O, K) x cols; WEIGHTS sum_w(O, K) += dOut_n(O, P) x cols^T over the worker's
     * images (its first image overwrites). The caller adds the workers' sums in worker order.
     */
    private final class ImageJob extends WorkerPool.Job {
        static final int FORWARD = 0;
        static final int WEIGHTS = 1;
        int mode;
        MemorySegment target;
        MemorySegment in;
        MemorySegment weight;
        MemorySegment bias;
        boolean relu;
        ConvSpec spec;
        final MemorySegment[] panels = new MemorySegment[imagePanels.length];
        final MemorySegment[] sums = new MemorySegment[imagePanels.length];

        @Override
        void run(int from, int to) {
            runPart(0, from, to);
        }

        @Override
        void runPart(int part, int from, int to) {
            ConvSpec s = spec;
            int k = s.inChannels() * s.kernelH() * s.kernelW();
            int p = s.outH() * s.outW();
            int o = s.outChannels();
            MemorySegment cols = panels[part];
            for (int n = from; n < to; n++) {
                Im2Col.im2col(cols, in, s, n, 1, 0, k);
                long at = (long) n * o * p;
                if (mode == FORWARD) {
                    gemm.sgemmPart(part, false, false, o, p, k, 1f, weight, 0, k, cols, 0, p, 0f, target, at, p);
                    if (bias != null) {
                        for (int ch = 0; ch < o; ch++) {
                            VectorOps.addScalar(target, at + (long) ch * p, p, VectorOps.get(bias, ch));
                        }
                    }
                    if (relu) {
                        VectorOps.relu(target, target, at, at + (long) o * p);
                    }
                } else {
                    gemm.sgemmPart(part, false, true, o, k, p, 1f, target, at, p, cols, 0, p, n == from ? 0f : 1f,
                            sums[part], 0, k);
                }
            }
        }
    }

    /** im2col over panel rows, or col2im over input channels. */
    private static final class PanelJob extends WorkerPool.Job {
        static final int IM2COL = 0;
        static final int COL2IM = 1;
        static final int IM2ROW = 2;
        int mode;
        MemorySegment cols;
        MemorySegment image;
        ConvSpec spec;
        int n0;
        int b;

        void set(int mode, MemorySegment cols, MemorySegment image, ConvSpec spec, int n0, int b) {
            this.mode = mode;
            this.cols = cols;
            this.image = image;
            this.spec = spec;
            this.n0 = n0;
            this.b = b;
        }

        @Override
        void run(int from, int to) {
            if (mode == IM2COL) {
                Im2Col.im2col(cols, image, spec, n0, b, from, to);
            } else if (mode == IM2ROW) {
                Im2Col.im2row(cols, image, spec, from, to);
            } else {
                Im2Col.col2im(image, cols, spec, n0, b, from, to);
            }
        }
    }

    /**
     * Moves data between the GEMM layouts and the NCHW images [n0, n0 + b), over a range of channels:
     * GATHER copies dOut into rows (channels, b * P); TRANSPOSE_OUT writes out[n0+t, o, p] = yT[t*P + p, o]
     * from yT (b * P, channels); TO_CHANNELS_LAST is its reverse, rows[t*P + p, c] = in[n0+t, c, p]. The
     * transposes go in tiles so both sides stay in cache. When P and the channel count are multiples of the
     * vector length, the transposes instead run over blocks of up to MAX_BLOCK pixels of one image: the block
     * is copied into a heap buffer in bulk and each vector of the other side is one gather from it.
     */
    private static final class LayoutJob extends WorkerPool.Job {
        static final int GATHER = 0;
        static final int TRANSPOSE_OUT = 1;
        static final int TO_CHANNELS_LAST = 2;
        private static final int TILE = 16;
        int direction;
        MemorySegment rows;
        MemorySegment nchw;
        int channels;
        int p;
        int n0;
        int b;
        /** Whether run's range counts (image, pixel block) pairs rather than channels. */
        boolean blocks;
        /** Pixels per block: a multiple of LANES dividing P, at most MAX_BLOCK. */
        int blockWidth;
        static final int MAX_BLOCK = 64;
        /** Gather offsets into a block buffer: lane i reads element i * stride. */
        final int[] laneOffsets = new int[VectorOps.LANES];
        private int laneStride = -1;
        private static final ThreadLocal<float[][]> BUFFER = ThreadLocal.withInitial(() -> new float[1][0]);

        void prepareBlocks(int width, int stride) {
            blocks = true;
            blockWidth = width;
            if (stride != laneStride) {
                for (int i = 0; i < laneOffsets.length; i++) {
                    laneOffsets[i] = i * stride;
                }
                laneStride = stride;
            }
        }

        static float[] buffer(int floats) {
            float[][] holder = BUFFER.get();
            if (holder[0].length < floats) {
                holder[0] = new float[floats];
            }
            return holder[0];
        }

        /**
         * Blocks [from, to) of W = blockWidth pixels, block u = image t * (P / W) + q0 / W. TRANSPOSE_OUT copies
         * yT rows [t*P + q0, +W) (contiguous) into buf and gathers each channel's pixels, LANES at a time, with
         * stride channels; TO_CHANNELS_LAST copies each channel's W pixels into buf[c * W + i] and gathers each
         * pixel's channel vectors with stride W.
         */
        private void runBlocks(int from, int to) {
            int lanes = VectorOps.LANES;
            int w = blockWidth;
            int perImage = p / w;
            int span = w * channels;
            float[] buf = buffer(span);
            for (int u = from; u < to; u++) {
                int t = u / perImage;
                int q0 = (u % perImage) * w;
                long image = (long) (n0 + t) * channels * p;
                long pixelRow = (long) t * p + q0;
                if (direction == TRANSPOSE_OUT) {
                    MemorySegment.copy(rows, ValueLayout.JAVA_FLOAT_UNALIGNED, pixelRow * channels * Float.BYTES, buf, 0,
                            span);
                    for (int o = 0; o < channels; o++) {
                        long dst = image + (long) o * p + q0;
                        for (int v = 0; v < w; v += lanes) {
                            VectorOps.store(FloatVector.fromArray(VectorOps.SPECIES, buf, v * channels + o, laneOffsets, 0),
                                    nchw, dst + v);
                        }
                    }
                } else {
                    for (int c = 0; c < channels; c++) {
                        MemorySegment.copy(nchw, ValueLayout.JAVA_FLOAT_UNALIGNED, (image + (long) c * p + q0) * Float.BYTES,
                                buf, c * w, w);
                    }
                    for (int q = 0; q < w; q++) {
                        long dst = (pixelRow + q) * channels;
                        for (int c0 = 0; c0 < channels; c0 += lanes) {
                            VectorOps.store(FloatVector.fromArray(VectorOps.SPECIES, buf, c0 * w + q, laneOffsets, 0),
                                    rows, dst + c0);
                        }
                    }
                }
            }
        }

        @Override
        void run(int from, int to) {
            if (blocks) {
                runBlocks(from, to);
                return;
            }
            long ld = (long) b * p;
            for (int t = 0; t < b; t++) {
                long image = (long) (n0 + t) * channels * p;
                if (direction == GATHER) {
                    for (int o = from; o < to; o++) {
                        Im2Col.copy(rows, o * ld + (long) t * p, nchw, image + (long) o * p, p);
                    }
                } else {
                    long src = (long) t * p * channels;
                    for (int o0 = from; o0 < to; o0 += TILE) {
                        int o1 = Math.min(to, o0 + TILE);
                        for (int p0 = 0; p0 < p; p0 += TILE) {
                            int p1 = Math.min(p, p0 + TILE);
                            if (direction == TRANSPOSE_OUT) {
                                for (int o = o0; o < o1; o++) {
                                    long dst = image + (long) o * p;
                                    for (int q = p0; q < p1; q++) {
                                        VectorOps.set(nchw, dst + q, VectorOps.get(rows, src + (long) q * channels + o));
                                    }
                                }
                            } else {
                                for (int q = p0; q < p1; q++) {
                                    long dst = src + (long) q * channels;
                                    for (int o = o0; o < o1; o++) {
                                        VectorOps.set(rows, dst + o, VectorOps.get(nchw, image + (long) o * p + q));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
