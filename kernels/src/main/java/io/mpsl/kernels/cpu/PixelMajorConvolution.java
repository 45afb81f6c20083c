package io.mpsl.kernels.cpu;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Stride-1, one-group convolution of small maps as GEMMs over a pixel-major copy of the whole batch, with no
 * product of a padding zero. The batch goes to layout (H, W, N, C): row (y, x, n) holds the C channels of pixel
 * (y, x) of image n. Tap (i, j) takes output pixel (y, x) to input pixel (y + di, x + dj), di = i - padH,
 * dj = j - padW, the same for every image, so for one output row y the pixels whose input lies inside the map
 * are one run of rows in both copies (valid x, every n):
 * <pre>
 *   forward:          Y[(y, x, n), o] += sum_c X[(y + di, x + dj, n), c] * weight[o, c, i, j]   (valid y, x)
 *   backward weights: dW_q[o, c]       = sum over valid (y, x, n) of dY[(y, x, n), o] * X[(y + di, x + dj, n), c]
 * </pre>
 * One GEMM per tap and output row (m = valid x * N, k = C, n = O), or per tap when dj = 0 and the widths match
 * (then the valid rows of all y are one run). A 3x3 kernel with padding 1 computes on a 4x4 map 100 of the 144
 * tap-pixel products im2col computes, on a 2x2 map 16 of 36, on 8x8 484 of 576; the zeros are never multiplied.
 * The data gradient is the forward of the convolution with the kernel transposed and rotated by 180 degrees
 * and padding kernel - 1 - pad.
 *
 * <p>Workers claim chunks in turn ({@link WorkerPool#runClaimed}): the layout copies take chunks of images, the
 * forward one output row y at a time (its own one-thread GEMMs, {@link Gemm#sgemmPart}, into rows no other
 * worker writes), backward weights one tap at a time, longest first. The chunks are the same whatever the
 * threads, so each output element is summed in one fixed order; a late or slower worker just claims less.
 */
final class PixelMajorConvolution implements AutoCloseable {
    /** Largest output map (outH * outW) this path takes; larger maps go to {@link ShiftedConvolution}. */
    static final int MAX_PIXELS = 64;
    /** Fewest input and output channels: the depth of each tap's product. */
    static final int MIN_CHANNELS = 16;
    /** Output channels of a weight block the reorder moves through a worker's heap buffer at once. */
    static final int REORDER_BLOCK = 16;

    private final Gemm gemm;
    private final WorkerPool pool;
    private final Part[] parts;
    private final Workspace sourceSpace = new Workspace();
    private final Workspace targetSpace = new Workspace();
    private final Workspace tapSpace = new Workspace();
    private final Job job = new Job();
    /** The convolution whose data gradient {@link #gradientSpec} describes, kept between calls. */
    private ConvSpec gradientOf;
    private ConvSpec gradientSpec;

    PixelMajorConvolution(Gemm gemm, WorkerPool pool) {
        this.gemm = gemm;
        this.pool = pool;
        this.parts = new Part[pool.threads()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = new Part();
        }
    }

    /**
     * Whether this runs {@code s} and its data gradient: one group, stride 1, padding below the kernel, at least
     * {@link #MIN_CHANNELS} channels in and out, an output map of at most {@link #MAX_PIXELS} pixels.
     */
    static boolean applies(ConvSpec s) {
        return s.groups() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padH() < s.kernelH()
                && s.padW() < s.kernelW() && s.inChannels() >= MIN_CHANNELS && s.outChannels() >= MIN_CHANNELS
                && (long) s.outH() * s.outW() <= MAX_PIXELS;
    }

    /** out = conv(in, weight); {@code s} must satisfy {@link #applies}. */
    void forward(MemorySegment out, MemorySegment in, MemorySegment weight, ConvSpec s) {
        forward(out, in, weight, null, false, s);
    }

    /**
     * out = conv(in, weight) + bias[o] ({@code bias} null: none), then max(out, 0) when {@code relu}, both applied
     * while the output is written back from the pixel-major layout; {@code s} must satisfy {@link #applies}.
     */
    void forward(MemorySegment out, MemorySegment in, MemorySegment weight, MemorySegment bias, boolean relu,
            ConvSpec s) {
        Job j = job;
        j.geometry(s);
        try {
            j.setBias(bias);
            j.relu = relu;
            runForward(out, in, sourceSpace.floats((long) j.n * j.inP * j.c), targetSpace, weight, false);
        } finally {
            j.release();
        }
    }

    /** dIn = the data gradient of conv(., weight) at dOut; {@code s} must satisfy {@link #applies}. */
    void backwardData(MemorySegment dIn, MemorySegment dOut, MemorySegment weight, ConvSpec s) {
        Job j = job;
        j.geometry(gradientSpec(s));
        try {
            runForward(dIn, dOut, sourceSpace.floats((long) j.n * j.inP * j.c), targetSpace, weight, true);
        } finally {
            j.release();
        }
    }

    private ConvSpec gradientSpec(ConvSpec s) {
        if (!s.equals(gradientOf)) {
            gradientOf = s;
            gradientSpec = s.dataGradientAsConvolution();
        }
        return gradientSpec;
    }

    /**
     * The forward pass for the job's geometry: {@code in} (NCHW) to the pixel-major {@code x} (skipped when
     * {@code in} is null: x already holds it), the tap products into a pixel-major buffer of {@code outSpace},
     * back to NCHW {@code out}. With {@code flipped}, {@code weight} is the (C', O', kh, kw) weight of the
     * convolution whose data gradient the geometry is, read transposed and rotated by 180 degrees.
     */
    private void runForward(MemorySegment out, MemorySegment in, MemorySegment x, Workspace outSpace,
            MemorySegment weight, boolean flipped) {
        Job j = job;
        j.x = x;
        j.y = outSpace.floats((long) j.n * j.outP * j.o);
        j.taps = tapSpace.floats((long) j.kk * j.o * j.c);
        j.weight = weight;
        j.flipped = flipped;
        j.nchwIn = in;
        j.nchwOut = out;
        int images = pool.chunkFor(j.n, 1);
        j.mode = Job.PREPARE_FORWARD;
        pool.runClaimed(j, j.n, images);
        j.mode = Job.FORWARD;
        pool.runClaimed(j, j.outH, 1);
        j.mode = Job.FINISH_FORWARD;
        pool.runClaimed(j, j.n, images);
    }

    /** dWeight += the weight gradient at dOut for input in; {@code s} must satisfy {@link #applies}. */
    void backwardWeights(MemorySegment dWeight, MemorySegment dOut, MemorySegment in, ConvSpec s) {
        backward(dWeight, null, null, dOut, in, null, s);
    }

    /**
     * A convolution's backward with dOut converted once: dBias += its sums per channel (summed while it is
     * converted; {@code dBias} null: none), dWeight += the weight gradient, then dIn = the data gradient (null:
     * none) as the forward of {@link ConvSpec#dataGradientAsConvolution} over the converted dOut, its output in
     * the buffer the input's copy used. {@code s} must satisfy {@link #applies}.
     */
    void backward(MemorySegment dWeight, MemorySegment dBias, MemorySegment dIn, MemorySegment dOut,
            MemorySegment in, MemorySegment weight, ConvSpec s) {
        Job j = job;
        j.geometry(s);
        MemorySegment x = sourceSpace.floats((long) j.n * j.inP * j.c);
        MemorySegment y = targetSpace.floats((long) j.n * j.outP * j.o);
        j.x = x;
        j.y = y;
        j.taps = tapSpace.floats((long) j.kk * j.o * j.c);
        j.nchwIn = in;
        j.nchwOut = dOut;
        j.weight = dWeight;
        j.orderTaps(s);
        try {
            j.sumBias(dBias != null);
            j.mode = Job.PREPARE_WEIGHTS;
            pool.runClaimed(j, j.n, pool.chunkFor(j.n, 1));
            j.mode = Job.WEIGHTS;
            pool.runClaimed(j, j.kk, 1);
            j.mode = Job.FINISH_WEIGHTS;
            pool.runClaimed(j, j.o, pool.chunkFor(j.o, REORDER_BLOCK));
            if (dBias != null) {
                j.addBiasGradient(dBias);
            }
            if (dIn != null) {
                j.sumBias(false);
                j.geometry(gradientSpec(s));
                // the gradient's input is dOut, already pixel-major in y; its output takes x's place
                runForward(dIn, null, y, sourceSpace, weight, true);
            }
        } finally {
            j.release();
        }
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    @Override
    public void close() {
        sourceSpace.close();
        targetSpace.close();
        tapSpace.close();
    }

    /** One worker's heap buffer and gather offsets for the layout copies. */
    private static final class Part {
        float[] buffer = new float[0];
        final int[] offsets = new int[VectorOps.LANES];
        long offsetKey = -1;

        /**
         * Gather offsets: {@code offsets[i] = i * stride} or, {@code periodic}, {@code (i % period) * stride +
         * i / period} (the lanes of {@code lanes / period} channels of a {@code period}-pixel plane).
         */
        int[] offsets(int stride, int period, boolean periodic) {
            long key = ((long) stride << 32) | ((long) period << 1) | (periodic ? 1 : 0);
            if (key != offsetKey) {
                for (int i = 0; i < offsets.length; i++) {
                    offsets[i] = periodic ? (i % period) * stride + i / period : i * stride;
                }
                offsetKey = key;
            }
            return offsets;
        }

        private int[][] tables = new int[0][];
        private long tablesKey = -1;

        /**
         * For a (C, kk) block read from buf[q * C + ci]: tables[v][i] is the buffer offset of element
         * v * lanes + i of a period of lcm(kk, lanes) elements, relative to the period's first channel.
         */
        int[][] tables(int kk, int c) {
            long key = ((long) kk << 32) | c;
            if (key != tablesKey) {
                int lanes = VectorOps.LANES;
                int period = lanes / gcd(kk, lanes) * kk;
                tables = new int[period / lanes][lanes];
                for (int v = 0; v < tables.length; v++) {
                    for (int i = 0; i < lanes; i++) {
                        int l = v * lanes + i;
                        tables[v][i] = (l % kk) * c + l / kk;
                    }
                }
                tablesKey = key;
            }
            return tables;
        }

        private float[] row = new float[0];

        /** A second heap buffer, for one row of a layout change. */
        float[] row(int floats) {
            if (row.length < floats) {
                row = new float[floats];
            }
            return row;
        }

        float[] buffer(int floats) {
            if (buffer.length < floats) {
                buffer = new float[floats];
            }
            return buffer;
        }
    }

    /** Every parallel step of a call, selected by {@link #mode}; parameters are set before a run. */
    private final class Job extends WorkerPool.Job {
        static final int PREPARE_FORWARD = 0;
        static final int FORWARD = 1;
        static final int FINISH_FORWARD = 2;
        static final int PREPARE_WEIGHTS = 3;
        static final int WEIGHTS = 4;
        static final int FINISH_WEIGHTS = 5;
        int mode;
        int n;
        int c;
        int o;
        int inH;
        int inW;
        int outH;
        int outW;
        int inP;
        int outP;
        int kernelH;
        int kernelW;
        int kk;
        int padH;
        int padW;
        /** Pixel-major input (inH, inW, N, C) and output or output gradient (outH, outW, N, O). */
        MemorySegment x;
        MemorySegment y;
        /** Forward: per tap the (O, C) weight; weights: per tap the (O, C) gradient. */
        MemorySegment taps;
        MemorySegment weight;
        MemorySegment nchwIn;
        MemorySegment nchwOut;
        boolean flipped;
        /** The bias to add to the forward output ({@link #hasBias}), copied once per call. */
        float[] bias = new float[0];
        boolean hasBias;
        /** Whether the forward output is max(., 0). */
        boolean relu;
        /** Per image t, the per-channel sums of its dOut at [t * O, (t + 1) * O) ({@link #sumBias}). */
        float[] biasSums = new float[0];
        boolean sumBias;
        /** Taps by decreasing work, the order backward weights claims them in, for the geometry {@link #orderedFor}. */
        int[] tapOrder = new int[0];
        private ConvSpec orderedFor;

        void geometry(ConvSpec s) {
            n = s.batch();
            c = s.inChannels();
            o = s.outChannels();
            inH = s.inH();
            inW = s.inW();
            outH = s.outH();
            outW = s.outW();
            inP = inH * inW;
            outP = outH * outW;
            kernelH = s.kernelH();
            kernelW = s.kernelW();
            kk = kernelH * kernelW;
            padH = s.padH();
            padW = s.padW();
        }

        void release() {
            weight = null;
            nchwIn = null;
            nchwOut = null;
            hasBias = false;
            relu = false;
            sumBias = false;
        }

        void setBias(MemorySegment b) {
            hasBias = b != null;
            if (hasBias) {
                if (bias.length < o) {
                    bias = new float[o];
                }
                MemorySegment.copy(b, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, bias, 0, o);
            }
        }

        /** Starts (or, with {@code on} false, stops) summing dOut per image and channel into cleared rows. */
        void sumBias(boolean on) {
            sumBias = on;
            if (!on) {
                return;
            }
            int floats = Math.multiplyExact(n, o);
            if (biasSums.length < floats) {
                biasSums = new float[floats];
            }
            Arrays.fill(biasSums, 0, floats, 0f);
        }

        /** dBias[k] += the images' sums, in image order (so the result does not depend on the threads). */
        void addBiasGradient(MemorySegment dBias) {
            for (int k = 0; k < o; k++) {
                float total = 0f;
                for (int t = 0; t < n; t++) {
                    total += biasSums[t * o + k];
                }
                VectorOps.set(dBias, k, VectorOps.get(dBias, k) + total);
            }
        }

        /** Valid output rows of tap row i: [lowY(i), highY(i)). */
        int lowY(int i) {
            return Math.max(0, padH - i);
        }

        int highY(int i) {
            return Math.min(outH, inH + padH - i);
        }

        int lowX(int jj) {
            return Math.max(0, padW - jj);
        }

        int highX(int jj) {
            return Math.min(outW, inW + padW - jj);
        }

        /** Taps by decreasing work (ties by index), so the longest products are claimed first; kept per geometry. */
        void orderTaps(ConvSpec s) {
            if (s.equals(orderedFor)) {
                return;
            }
            if (tapOrder.length < kk) {
                tapOrder = new int[kk];
            }
            for (int q = 0; q < kk; q++) {
                int at = q;
                while (at > 0 && work(tapOrder[at - 1]) < work(q)) {
                    tapOrder[at] = tapOrder[at - 1];
                    at--;
                }
                tapOrder[at] = q;
            }
            orderedFor = s;
        }

        private long work(int q) {
            int i = q / kernelW;
            int jj = q % kernelW;
            return (long) Math.max(0, highY(i) - lowY(i)) * Math.max(0, highX(jj) - lowX(jj));
        }

        @Override
        void run(int from, int to) {
            runPart(0, from, to);
        }

        @Override
        void runPart(int part, int from, int to) {
            switch (mode) {
                case PREPARE_FORWARD -> {
                    if (nchwIn != null) {
                        toPixelMajor(parts[part], x, nchwIn, from, to, c, inP, null);
                    }
                    reorder(parts[part], from, to);
                }
                case FORWARD -> forwardRows(part, from, to);
                case FINISH_FORWARD -> fromPixelMajor(parts[part], nchwOut, y, from, to, o, outP, hasBias ? bias : null,
                        relu);
                case PREPARE_WEIGHTS -> {
                    toPixelMajor(parts[part], x, nchwIn, from, to, c, inP, null);
                    toPixelMajor(parts[part], y, nchwOut, from, to, o, outP, sumBias ? biasSums : null);
                }
                case WEIGHTS -> {
                    for (int i = from; i < to; i++) {
                        weightTap(part, tapOrder[i]);
                    }
                }
                case FINISH_WEIGHTS -> addWeightGradients(parts[part], from, to);
                default -> throw new IllegalStateException("unknown mode " + mode);
            }
        }

        /**
         * taps[q, o, c] = weight[o, c, q] for the output channels proportional to images [from, to); flipped,
         * weight is (O', C', kk) with O' = c and C' = o: taps[q, o, c] = weight[c, o, kk - 1 - q]. Blocks of
         * {@link #REORDER_BLOCK} output channels go to the worker's heap buffer in bulk copies, then each tap row
         * of one output channel is picked from it into a second buffer in a plain array loop and copied out in
         * bulk.
         */
        private void reorder(Part part, int from, int to) {
            int o0 = (int) ((long) o * from / n);
            int o1 = (int) ((long) o * to / n);
            float[] buf = part.buffer(REORDER_BLOCK * c * kk);
            for (int b0 = o0; b0 < o1; b0 += REORDER_BLOCK) {
                int b = Math.min(REORDER_BLOCK, o1 - b0);
                int stride;
                int perOutput;
                if (flipped) {
                    // buf[ci * b * kk + ol * kk + t] = weight[(ci * o + b0 + ol) * kk + t]
                    for (int ci = 0; ci < c; ci++) {
                        MemorySegment.copy(weight, ValueLayout.JAVA_FLOAT_UNALIGNED,
                                ((long) ci * o + b0) * kk * Float.BYTES, buf, ci * b * kk, b * kk);
                    }
                    stride = b * kk;
                    perOutput = kk;
                } else {
                    // buf[ol * c * kk + ci * kk + t] = weight[((b0 + ol) * c + ci) * kk + t]
                    MemorySegment.copy(weight, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) b0 * c * kk * Float.BYTES, buf,
                            0, b * c * kk);
                    stride = kk;
                    perOutput = c * kk;
                }
                float[] row = part.row(c);
                for (int q = 0; q < kk; q++) {
                    int t = flipped ? kk - 1 - q : q;
                    for (int ol = 0; ol < b; ol++) {
                        int base = ol * perOutput + t;
                        for (int ci = 0; ci < c; ci++) {
                            row[ci] = buf[base + ci * stride];
                        }
                        MemorySegment.copy(row, 0, taps, ValueLayout.JAVA_FLOAT_UNALIGNED,
                                ((long) q * o + b0 + ol) * c * Float.BYTES, c);
                    }
                }
            }
        }

        /** buf[at + k] = max(buf[at + k] + add[k], 0) for k in [0, ch), the add when not null, the max when relu. */
        private static void epilogue(float[] buf, int at, int ch, float[] add, boolean relu) {
            int k = 0;
            FloatVector zero = FloatVector.zero(VectorOps.SPECIES);
            for (int end = VectorOps.SPECIES.loopBound(ch); k < end; k += VectorOps.LANES) {
                FloatVector v = FloatVector.fromArray(VectorOps.SPECIES, buf, at + k);
                if (add != null) {
                    v = v.add(FloatVector.fromArray(VectorOps.SPECIES, add, k));
                }
                if (relu) {
                    v = v.max(zero);
                }
                v.intoArray(buf, at + k);
            }
            for (; k < ch; k++) {
                float v = add != null ? buf[at + k] + add[k] : buf[at + k];
                buf[at + k] = relu ? Math.max(v, 0f) : v;
            }
        }

        /** Output rows [y0, y1): every tap's product into the pixel-major output, the centre tap first. */
        private void forwardRows(int part, int y0, int y1) {
            int ci = padH;
            int cj = padW;
            boolean centreCovers = ci < kernelH && cj < kernelW && outH <= inH && outW <= inW;
            if (centreCovers) {
                tapProducts(part, ci * kernelW + cj, y0, y1, 0f);
            } else {
                VectorOps.fill(y, (long) y0 * outW * n * o, Math.toIntExact((long) (y1 - y0) * outW * n * o), 0f);
            }
            for (int q = 0; q < kk; q++) {
                if (!centreCovers || q != ci * kernelW + cj) {
                    tapProducts(part, q, y0, y1, 1f);
                }
            }
        }

        /** Y[(y, x, n), :] = beta * Y + X[(y + di, x + dj, n), :] * taps[q]^T over output rows [y0, y1). */
        private void tapProducts(int part, int q, int y0, int y1, float beta) {
            int i = q / kernelW;
            int jj = q % kernelW;
            int di = i - padH;
            int dj = jj - padW;
            int ya = Math.max(y0, lowY(i));
            int yb = Math.min(y1, highY(i));
            int xa = lowX(jj);
            int xb = highX(jj);
            if (ya >= yb || xa >= xb) {
                return;
            }
            long tap = (long) q * o * c;
            if (xa == 0 && xb == outW && outW == inW) {
                int m = (yb - ya) * outW * n;
                long xRow = ((long) (ya + di) * inW + dj) * n;
                long yRow = (long) ya * outW * n;
                gemm.sgemmPart(part, false, true, m, o, c, 1f, x, xRow * c, c, taps, tap, c, beta, y, yRow * o, o);
                return;
            }
            int m = (xb - xa) * n;
            for (int yy = ya; yy < yb; yy++) {
                long xRow = ((long) (yy + di) * inW + xa + dj) * n;
                long yRow = ((long) yy * outW + xa) * n;
                gemm.sgemmPart(part, false, true, m, o, c, 1f, x, xRow * c, c, taps, tap, c, beta, y, yRow * o, o);
            }
        }

        /** taps[q] (O, C) = sum over the tap's valid rows of dY^T X. */
        private void weightTap(int part, int q) {
            int i = q / kernelW;
            int jj = q % kernelW;
            int di = i - padH;
            int dj = jj - padW;
            int ya = lowY(i);
            int yb = highY(i);
            int xa = lowX(jj);
            int xb = highX(jj);
            long tap = (long) q * o * c;
            if (ya >= yb || xa >= xb) {
                VectorOps.fill(taps, tap, o * c, 0f);
                return;
            }
            if (xa == 0 && xb == outW && outW == inW) {
                int k = (yb - ya) * outW * n;
                long xRow = ((long) (ya + di) * inW + dj) * n;
                long yRow = (long) ya * outW * n;
                gemm.sgemmPart(part, true, false, o, c, k, 1f, y, yRow * o, o, x, xRow * c, c, 0f, taps, tap, c);
                return;
            }
            int k = (xb - xa) * n;
            for (int yy = ya; yy < yb; yy++) {
                long xRow = ((long) (yy + di) * inW + xa + dj) * n;
                long yRow = ((long) yy * outW + xa) * n;
                gemm.sgemmPart(part, true, false, o, c, k, 1f, y, yRow * o, o, x, xRow * c, c, yy == ya ? 0f : 1f,
                        taps, tap, c);
            }
        }

        /**
         * dWeight[oc, ci, q] += taps[q, oc, ci] for output channels [o0, o1). Per output channel the kk rows of
         * taps go to the worker's heap buffer as buf[q * C + ci]; the channel's (C, kk) block of dWeight is then
         * read and written in whole vectors, element ci * kk + q gathered from buf[q * C + ci]: the gather
         * offsets repeat every lcm(kk, lanes) elements, so a few offset tables serve the whole block.
         */
        private void addWeightGradients(Part part, int o0, int o1) {
            int lanes = VectorOps.LANES;
            int block = c * kk;
            int period = lanes / gcd(kk, lanes) * kk; // lcm(kk, lanes) elements: period / kk channels
            boolean vector = block % period == 0;
            int[][] tables = vector ? part.tables(kk, c) : null;
            float[] buf = part.buffer(block);
            long tapFloats = (long) o * c;
            for (int k = o0; k < o1; k++) {
                for (int q = 0; q < kk; q++) {
                    MemorySegment.copy(taps, ValueLayout.JAVA_FLOAT_UNALIGNED, (q * tapFloats + (long) k * c) * Float.BYTES,
                            buf, q * c, c);
                }
                long dst = (long) k * block;
                if (vector) {
                    int vectors = period / lanes;
                    for (int l = 0, base = 0; l < block; l += period, base += period / kk) {
                        for (int v = 0; v < vectors; v++) {
                            long at = dst + l + (long) v * lanes;
                            VectorOps.store(VectorOps.load(weight, at).add(
                                    FloatVector.fromArray(VectorOps.SPECIES, buf, base, tables[v], 0)), weight, at);
                        }
                    }
                } else {
                    for (int ci = 0; ci < c; ci++) {
                        for (int q = 0; q < kk; q++) {
                            long at = dst + (long) ci * kk + q;
                            VectorOps.set(weight, at, VectorOps.get(weight, at) + buf[q * c + ci]);
                        }
                    }
                }
            }
        }

        /**
         * dst[(p * N + t) * ch + k] = src[(t * ch + k) * plane + p] for images t in [from, to): each image's
         * (ch, plane) block goes to the worker's heap buffer in one copy, then each pixel's channels are one
         * gather from it. With {@code sums}, also sums[t * ch + k] += every value of image t's channel k.
         */
        private void toPixelMajor(Part part, MemorySegment dst, MemorySegment src, int from, int to, int ch,
                int plane, float[] sums) {
            int lanes = VectorOps.LANES;
            float[] buf = part.buffer(ch * plane);
            int[] offsets = part.offsets(plane, 1, false);
            int vectorEnd = ch - ch % lanes;
            for (int t = from; t < to; t++) {
                MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) t * ch * plane * Float.BYTES, buf, 0,
                        ch * plane);
                for (int p = 0; p < plane; p++) {
                    long d = ((long) p * n + t) * ch;
                    int k = 0;
                    int row = t * ch;
                    for (; k < vectorEnd; k += lanes) {
                        FloatVector v = FloatVector.fromArray(VectorOps.SPECIES, buf, k * plane + p, offsets, 0);
                        VectorOps.store(v, dst, d + k);
                        if (sums != null) {
                            FloatVector.fromArray(VectorOps.SPECIES, sums, row + k).add(v).intoArray(sums, row + k);
                        }
                    }
                    for (; k < ch; k++) {
                        VectorOps.set(dst, d + k, buf[k * plane + p]);
                        if (sums != null) {
                            sums[row + k] += buf[k * plane + p];
                        }
                    }
                }
            }
        }

        /**
         * dst[(t * ch + k) * plane + p] = src[(p * N + t) * ch + k] (+ add[k] when {@code add} is not null; then
         * max(., 0) when {@code relu}) for images t in [from, to): the image's pixel rows go to the heap buffer as
         * buf[p * ch + k] (the bias added and the ReLU applied to each row there), then the image's (ch, plane) block is written in whole vectors, each one gather:
         * along p when plane is a multiple of the vector length, over several channels when plane divides it.
         */
        private void fromPixelMajor(Part part, MemorySegment dst, MemorySegment src, int from, int to, int ch,
                int plane, float[] add, boolean relu) {
            int lanes = VectorOps.LANES;
            float[] buf = part.buffer(ch * plane);
            boolean alongPixels = plane % lanes == 0;
            boolean acrossChannels = !alongPixels && lanes % plane == 0 && (ch * plane) % lanes == 0;
            int[] offsets = alongPixels ? part.offsets(ch, 1, false)
                    : acrossChannels ? part.offsets(ch, plane, true) : null;
            for (int t = from; t < to; t++) {
                for (int p = 0; p < plane; p++) {
                    MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED, ((long) p * n + t) * ch * Float.BYTES, buf,
                            p * ch, ch);
                    if (add != null || relu) {
                        epilogue(buf, p * ch, ch, add, relu);
                    }
                }
                long image = (long) t * ch * plane;
                if (alongPixels) {
                    for (int k = 0; k < ch; k++) {
                        for (int p = 0; p < plane; p += lanes) {
                            VectorOps.store(FloatVector.fromArray(VectorOps.SPECIES, buf, p * ch + k, offsets, 0), dst,
                                    image + (long) k * plane + p);
                        }
                    }
                } else if (acrossChannels) {
                    int per = lanes / plane;
                    for (int l = 0, k = 0; l < ch * plane; l += lanes, k += per) {
                        VectorOps.store(FloatVector.fromArray(VectorOps.SPECIES, buf, k, offsets, 0), dst, image + l);
                    }
                } else {
                    for (int k = 0; k < ch; k++) {
                        for (int p = 0; p < plane; p++) {
                            VectorOps.set(dst, image + (long) k * plane + p, buf[p * ch + k]);
                        }
                    }
                }
            }
        }
    }
}
