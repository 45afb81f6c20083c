package io.mpsl.kernels.cpu;

import io.mpsl.kernels.PoolSpec;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * Max and average pooling, planes split over the workers. Windows are small strided gathers, which the
 * Vector API does not speed up, so the window loops are scalar; the backward passes clear each input plane
 * with a vector fill and then scatter into it. Max pooling 2x2 with stride 2 (the VGG case) has its own loop
 * without the general one's per-element window bounds and mode switch (about 10x faster measured), in whole
 * vectors when the output rows are multiples of half a vector.
 */
final class Pooling {
    private static final int MAX_FORWARD = 0;
    private static final int MAX_BACKWARD = 1;
    private static final int AVG_FORWARD = 2;
    private static final int AVG_BACKWARD = 3;
    /** Two-vector shuffles (indices >= LANES select from the second vector): even and odd lanes of a pair. */
    private static final VectorShuffle<Float> EVENS = shuffle(0);
    private static final VectorShuffle<Float> ODDS = shuffle(1);
    /** Lanes 0, L, 1, L + 1, ... of a pair (the low halves interleaved), and the same from LANES / 2. */
    private static final VectorShuffle<Float> INTERLEAVE_LOW = interleave(0);
    private static final VectorShuffle<Float> INTERLEAVE_HIGH = interleave(VectorOps.LANES / 2);
    /** {@code BLOCKS[k]}: the block shuffles for output rows of {@code 1 << k} pixels (k below log2(LANES / 2)). */
    private static final BlockShuffles[] BLOCKS = blockShuffles();

    private final WorkerPool pool;
    private final PlaneJob job = new PlaneJob();

    Pooling(WorkerPool pool) {
        this.pool = pool;
    }

    private static VectorShuffle<Float> shuffle(int first) {
        int[] index = new int[VectorOps.LANES];
        for (int i = 0; i < index.length; i++) {
            index[i] = 2 * i + first;
        }
        return VectorShuffle.fromArray(VectorOps.SPECIES, index, 0);
    }

    /**
     * For a vector pair read as blocks of {@code w} lanes: {@code even} gathers blocks 0, 2, 4, ... into one
     * vector, {@code odd} blocks 1, 3, 5, ...; {@code unblockLow} and {@code unblockHigh} undo it (lanes 0..L-1
     * and L..2L-1 of the pair, from the pair (even, odd)).
     */
    private record BlockShuffles(VectorShuffle<Float> even, VectorShuffle<Float> odd, VectorShuffle<Float> unblockLow,
            VectorShuffle<Float> unblockHigh) {
    }

    private static BlockShuffles[] blockShuffles() {
        int lanes = VectorOps.LANES;
        BlockShuffles[] all = new BlockShuffles[Math.max(0, Integer.numberOfTrailingZeros(lanes) - 1)];
        for (int k = 0; k < all.length; k++) {
            int w = 1 << k;
            int[] even = new int[lanes];
            int[] odd = new int[lanes];
            int[] low = new int[lanes];
            int[] high = new int[lanes];
            for (int i = 0; i < lanes; i++) {
                even[i] = 2 * (i / w) * w + i % w;
                odd[i] = (2 * (i / w) + 1) * w + i % w;
                low[i] = unblock(i, w, lanes);
                high[i] = unblock(i + lanes, w, lanes);
            }
            all[k] = new BlockShuffles(VectorShuffle.fromArray(VectorOps.SPECIES, even, 0),
                    VectorShuffle.fromArray(VectorOps.SPECIES, odd, 0), VectorShuffle.fromArray(VectorOps.SPECIES, low, 0),
                    VectorShuffle.fromArray(VectorOps.SPECIES, high, 0));
        }
        return all;
    }

    /** Where lane j of a block-interleaved pair comes from in the pair (even blocks, odd blocks). */
    private static int unblock(int j, int w, int lanes) {
        int block = j / w;
        int at = (block / 2) * w + j % w;
        return block % 2 == 0 ? at : lanes + at;
    }

    private static VectorShuffle<Float> interleave(int start) {
        int[] index = new int[VectorOps.LANES];
        for (int i = 0; i < index.length; i++) {
            index[i] = start + i / 2 + (i % 2 == 0 ? 0 : VectorOps.LANES);
        }
        return VectorShuffle.fromArray(VectorOps.SPECIES, index, 0);
    }

    void maxForward(MemorySegment out, MemorySegment in, PoolSpec s) {
        run(MAX_FORWARD, out, in, null, s);
    }

    void maxBackward(MemorySegment dIn, MemorySegment dOut, MemorySegment in, PoolSpec s) {
        run(MAX_BACKWARD, dOut, in, dIn, s);
    }

    void avgForward(MemorySegment out, MemorySegment in, PoolSpec s) {
        run(AVG_FORWARD, out, in, null, s);
    }

    void avgBackward(MemorySegment dIn, MemorySegment dOut, PoolSpec s) {
        run(AVG_BACKWARD, dOut, null, dIn, s);
    }

    private void run(int mode, MemorySegment out, MemorySegment in, MemorySegment dIn, PoolSpec s) {
        job.mode = mode;
        job.out = out;
        job.in = in;
        job.dIn = dIn;
        job.spec = s;
        int planeWork = s.outH() * s.outW() * s.kernelH() * s.kernelW();
        int planes = s.batch() * s.channels();
        pool.runClaimed(job, planes, pool.chunkFor(planes, (1 << 14) / Math.max(1, planeWork)));
    }

    private static final class PlaneJob extends WorkerPool.Job {
        int mode;
        MemorySegment out; // out, or dOut
        MemorySegment in;
        MemorySegment dIn;
        PoolSpec spec;

        @Override
        void run(int from, int to) {
            PoolSpec s = spec;
            if ((mode == MAX_FORWARD || mode == MAX_BACKWARD) && isTwoByTwo(s)) {
                if (vectorTwoByTwo(s)) {
                    maxTwoByTwoVector(from, to);
                } else if (shortRows(s)) {
                    maxTwoByTwoShortRows(from, to);
                } else {
                    maxTwoByTwo(from, to);
                }
                return;
            }
            int inPlane = s.inH() * s.inW();
            float inverseArea = 1f / (s.kernelH() * s.kernelW());
            for (int plane = from; plane < to; plane++) {
                long inAt = (long) plane * inPlane;
                long outAt = (long) plane * s.outH() * s.outW();
                if (mode == MAX_BACKWARD || mode == AVG_BACKWARD) {
                    VectorOps.fill(dIn, inAt, inPlane, 0f);
                }
                for (int y = 0; y < s.outH(); y++) {
                    int y0 = Math.max(0, y * s.strideH() - s.padH());
                    int y1 = Math.min(s.inH(), y * s.strideH() - s.padH() + s.kernelH());
                    for (int x = 0; x < s.outW(); x++) {
                        int x0 = Math.max(0, x * s.strideW() - s.padW());
                        int x1 = Math.min(s.inW(), x * s.strideW() - s.padW() + s.kernelW());
                        long o = outAt + (long) y * s.outW() + x;
                        switch (mode) {
                            case MAX_FORWARD -> VectorOps.set(out, o, VectorOps.get(in, firstMax(inAt, y0, y1, x0, x1)));
                            case MAX_BACKWARD -> {
                                long at = firstMax(inAt, y0, y1, x0, x1);
                                VectorOps.set(dIn, at, VectorOps.get(dIn, at) + VectorOps.get(out, o));
                            }
                            case AVG_FORWARD -> {
                                float sum = 0f;
                                for (int iy = y0; iy < y1; iy++) {
                                    for (int ix = x0; ix < x1; ix++) {
                                        sum += VectorOps.get(in, inAt + (long) iy * s.inW() + ix);
                                    }
                                }
                                VectorOps.set(out, o, sum * inverseArea);
                            }
                            default -> {
                                float g = VectorOps.get(out, o) * inverseArea;
                                for (int iy = y0; iy < y1; iy++) {
                                    for (int ix = x0; ix < x1; ix++) {
                                        long at = inAt + (long) iy * s.inW() + ix;
                                        VectorOps.set(dIn, at, VectorOps.get(dIn, at) + g);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        private static boolean isTwoByTwo(PoolSpec s) {
            return s.kernelH() == 2 && s.kernelW() == 2 && s.strideH() == 2 && s.strideW() == 2 && s.padH() == 0
                    && s.padW() == 0;
        }

        /**
         * Whether the vector loop takes a 2x2 stride-2 pooling: every input covered by a window, each half
         * vector of outputs inside one output row (outW a multiple of LANES / 2) and whole vectors per plane.
         */
        private static boolean vectorTwoByTwo(PoolSpec s) {
            int half = VectorOps.LANES / 2;
            return s.inH() == 2 * s.outH() && s.inW() == 2 * s.outW() && s.outW() % half == 0
                    && (s.outH() * s.outW()) % VectorOps.LANES == 0;
        }

        /**
         * Whether the short-row vector loop takes a 2x2 stride-2 pooling: every input covered by a window and
         * output rows shorter than half a vector, of a length dividing it (1, 2, 4 pixels with 16 lanes).
         */
        private static boolean shortRows(PoolSpec s) {
            int half = VectorOps.LANES / 2;
            int w = s.outW();
            return s.inH() == 2 * s.outH() && s.inW() == 2 * w && w < half && half % w == 0;
        }

        /**
         * The 2x2 stride-2 loop in vectors for short output rows (the 8x8, 4x4 and 2x2 maps of a VGG), over the
         * flat outputs of planes [from, to): with inW = 2 outW and inH = 2 outH, output k of row r = k / outW
         * reads the 4 outW inputs from 4 k on (the row's top input row, then its bottom one), so LANES outputs
         * read four whole vectors. Even and odd lanes of each vector pair give each row's horizontal maxima
         * (a or b, c or d: the right one where strictly greater), whose blocks of outW alternate top and bottom
         * rows; the even and odd blocks of that pair are the windows' top and bottom maxima, the bottom taken
         * where strictly greater: the same first maximum as {@link #maxTwoByTwo}. Backward inverts both shuffles.
         */
        private void maxTwoByTwoShortRows(int from, int to) {
            PoolSpec s = spec;
            int lanes = VectorOps.LANES;
            int outW = s.outW();
            BlockShuffles blocks = BLOCKS[Integer.numberOfTrailingZeros(outW)];
            long outPlane = (long) s.outH() * outW;
            long end = to * outPlane;
            boolean forward = mode == MAX_FORWARD;
            FloatVector zero = FloatVector.zero(VectorOps.SPECIES);
            long k = from * outPlane;
            for (; k + lanes <= end; k += lanes) {
                long i = 4 * k;
                FloatVector v0 = VectorOps.load(in, i);
                FloatVector v1 = VectorOps.load(in, i + lanes);
                FloatVector v2 = VectorOps.load(in, i + 2L * lanes);
                FloatVector v3 = VectorOps.load(in, i + 3L * lanes);
                FloatVector l1 = v0.rearrange(EVENS, v1);
                FloatVector r1 = v0.rearrange(ODDS, v1);
                FloatVector l2 = v2.rearrange(EVENS, v3);
                FloatVector r2 = v2.rearrange(ODDS, v3);
                VectorMask<Float> right1 = r1.compare(VectorOperators.GT, l1);
                VectorMask<Float> right2 = r2.compare(VectorOperators.GT, l2);
                FloatVector h1 = l1.blend(r1, right1);
                FloatVector h2 = l2.blend(r2, right2);
                FloatVector top = h1.rearrange(blocks.even(), h2);
                FloatVector bottom = h1.rearrange(blocks.odd(), h2);
                VectorMask<Float> below = bottom.compare(VectorOperators.GT, top);
                if (forward) {
                    VectorOps.store(top.blend(bottom, below), out, k);
                    continue;
                }
                FloatVector g = VectorOps.load(out, k);
                FloatVector gTop = g.blend(zero, below);
                FloatVector gBottom = zero.blend(g, below);
                FloatVector g1 = gTop.rearrange(blocks.unblockLow(), gBottom);
                FloatVector g2 = gTop.rearrange(blocks.unblockHigh(), gBottom);
                FloatVector left1 = g1.blend(zero, right1);
                FloatVector rightG1 = zero.blend(g1, right1);
                FloatVector left2 = g2.blend(zero, right2);
                FloatVector rightG2 = zero.blend(g2, right2);
                VectorOps.store(left1.rearrange(INTERLEAVE_LOW, rightG1), dIn, i);
                VectorOps.store(left1.rearrange(INTERLEAVE_HIGH, rightG1), dIn, i + lanes);
                VectorOps.store(left2.rearrange(INTERLEAVE_LOW, rightG2), dIn, i + 2L * lanes);
                VectorOps.store(left2.rearrange(INTERLEAVE_HIGH, rightG2), dIn, i + 3L * lanes);
            }
            for (; k < end; k++) {
                long top = 4L * outW * (k / outW) + 2L * (k % outW);
                window(k, top, top + 2L * outW, forward);
            }
        }

        /**
         * One 2x2 window: out[o] = its first maximum (a, b of the top row at {@code top}, then c, d of the
         * bottom row at {@code bottom}; strictly greater replaces), or backward the gradient at it and zeros.
         */
        private void window(long o, long top, long bottom, boolean forward) {
            float a = VectorOps.get(in, top);
            float b = VectorOps.get(in, top + 1);
            float c = VectorOps.get(in, bottom);
            float d = VectorOps.get(in, bottom + 1);
            int which = 0;
            float m = a;
            if (b > m) {
                m = b;
                which = 1;
            }
            if (c > m) {
                m = c;
                which = 2;
            }
            if (d > m) {
                m = d;
                which = 3;
            }
            if (forward) {
                VectorOps.set(out, o, m);
                return;
            }
            float g = VectorOps.get(out, o);
            VectorOps.set(dIn, top, which == 0 ? g : 0f);
            VectorOps.set(dIn, top + 1, which == 1 ? g : 0f);
            VectorOps.set(dIn, bottom, which == 2 ? g : 0f);
            VectorOps.set(dIn, bottom + 1, which == 3 ? g : 0f);
        }

        /**
         * The 2x2 stride-2 loop in vectors, same first-maximum rule as {@link #maxTwoByTwo}: LANES outputs come
         * from two half vectors of an output row, whose top and bottom input rows are LANES contiguous floats
         * each; even lanes of the two top loads are the windows' a, odd lanes b (likewise c, d from the bottom).
         * Backward: the winner masks pick the gradient or zero for a, b, c, d, interleaved back into the rows.
         */
        private void maxTwoByTwoVector(int from, int to) {
            PoolSpec s = spec;
            int lanes = VectorOps.LANES;
            int half = lanes / 2;
            int inW = s.inW();
            int outW = s.outW();
            int outPlane = s.outH() * outW;
            int inPlane = s.inH() * inW;
            boolean forward = mode == MAX_FORWARD;
            for (int plane = from; plane < to; plane++) {
                long inAt = (long) plane * inPlane;
                long outAt = (long) plane * outPlane;
                for (int o = 0; o < outPlane; o += lanes) {
                    long top1 = inAt + 2L * (o / outW) * inW + 2L * (o % outW);
                    int o2 = o + half;
                    long top2 = inAt + 2L * (o2 / outW) * inW + 2L * (o2 % outW);
                    FloatVector t1 = VectorOps.load(in, top1);
                    FloatVector t2 = VectorOps.load(in, top2);
                    FloatVector b1 = VectorOps.load(in, top1 + inW);
                    FloatVector b2 = VectorOps.load(in, top2 + inW);
                    FloatVector a = t1.rearrange(EVENS, t2);
                    FloatVector b = t1.rearrange(ODDS, t2);
                    FloatVector c = b1.rearrange(EVENS, b2);
                    FloatVector d = b1.rearrange(ODDS, b2);
                    VectorMask<Float> pickB = b.compare(VectorOperators.GT, a);
                    FloatVector m = a.blend(b, pickB);
                    VectorMask<Float> pickC = c.compare(VectorOperators.GT, m);
                    m = m.blend(c, pickC);
                    VectorMask<Float> pickD = d.compare(VectorOperators.GT, m);
                    if (forward) {
                        VectorOps.store(m.blend(d, pickD), out, outAt + o);
                        continue;
                    }
                    FloatVector g = VectorOps.load(out, outAt + o);
                    FloatVector zero = FloatVector.zero(VectorOps.SPECIES);
                    VectorMask<Float> notD = pickD.not();
                    VectorMask<Float> winC = pickC.and(notD);
                    VectorMask<Float> winB = pickB.and(pickC.not()).and(notD);
                    VectorMask<Float> winA = pickB.or(pickC).or(pickD).not();
                    FloatVector ga = zero.blend(g, winA);
                    FloatVector gb = zero.blend(g, winB);
                    FloatVector gc = zero.blend(g, winC);
                    FloatVector gd = zero.blend(g, pickD);
                    VectorOps.store(ga.rearrange(INTERLEAVE_LOW, gb), dIn, top1);
                    VectorOps.store(ga.rearrange(INTERLEAVE_HIGH, gb), dIn, top2);
                    VectorOps.store(gc.rearrange(INTERLEAVE_LOW, gd), dIn, top1 + inW);
                    VectorOps.store(gc.rearrange(INTERLEAVE_HIGH, gd), dIn, top2 + inW);
                }
            }
        }

        /**
         * Max pooling 2x2, stride 2, no padding, over planes [from, to): the windows do not overlap, so the
         * backward pass writes each window's four inputs (the gradient at the first maximum, zeros elsewhere)
         * and clears only the row and column no window covers (odd sizes). Same first-maximum rule as
         * {@link #firstMax}: a, b of the top row, then c, d of the bottom, strictly greater replaces.
         */
        private void maxTwoByTwo(int from, int to) {
            PoolSpec s = spec;
            int inW = s.inW();
            int outH = s.outH();
            int outW = s.outW();
            int inPlane = s.inH() * inW;
            boolean forward = mode == MAX_FORWARD;
            boolean uncovered = s.inH() != 2 * outH || inW != 2 * outW;
            for (int plane = from; plane < to; plane++) {
                long inAt = (long) plane * inPlane;
                long outAt = (long) plane * outH * outW;
                if (!forward && uncovered) {
                    VectorOps.fill(dIn, inAt, inPlane, 0f);
                }
                for (int y = 0; y < outH; y++) {
                    long top = inAt + 2L * y * inW;
                    long o = outAt + (long) y * outW;
                    for (int x = 0; x < outW; x++) {
                        window(o + x, top + 2L * x, top + inW + 2L * x, forward);
                    }
                }
            }
        }

        /** Flat index of the first maximum, rows then columns, of in[y0..y1) x [x0..x1) of one plane. */
        private long firstMax(long inAt, int y0, int y1, int x0, int x1) {
            long best = inAt + (long) y0 * spec.inW() + x0;
            float bestValue = VectorOps.get(in, best);
            for (int iy = y0; iy < y1; iy++) {
                for (int ix = x0; ix < x1; ix++) {
                    long at = inAt + (long) iy * spec.inW() + ix;
                    float v = VectorOps.get(in, at);
                    if (v > bestValue) {
                        best = at;
                        bestValue = v;
                    }
                }
            }
            return best;
        }
    }
}
