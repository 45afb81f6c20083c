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
        pool.run(job, s.batch() * s.channels(), Math.max(1, (1 << 14) / Math.max(1, planeWork)));
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
            MemorySegment src = in;
            MemorySegment dst = forward ? out : dIn;
            MemorySegment grad = out;
            for (int plane = from; plane < to; plane++) {
                long inAt = (long) plane * inPlane;
                long outAt = (long) plane * outH * outW;
                if (!forward && uncovered) {
                    VectorOps.fill(dst, inAt, inPlane, 0f);
                }
                for (int y = 0; y < outH; y++) {
                    long top = inAt + 2L * y * inW;
                    long bottom = top + inW;
                    long o = outAt + (long) y * outW;
                    if (forward) {
                        for (int x = 0; x < outW; x++) {
                            long i = 2L * x;
                            float m = VectorOps.get(src, top + i);
                            float b = VectorOps.get(src, top + i + 1);
                            float c = VectorOps.get(src, bottom + i);
                            float d = VectorOps.get(src, bottom + i + 1);
                            m = b > m ? b : m;
                            m = c > m ? c : m;
                            m = d > m ? d : m;
                            VectorOps.set(dst, o + x, m);
                        }
                        continue;
                    }
                    for (int x = 0; x < outW; x++) {
                        long i = 2L * x;
                        float a = VectorOps.get(src, top + i);
                        float b = VectorOps.get(src, top + i + 1);
                        float c = VectorOps.get(src, bottom + i);
                        float d = VectorOps.get(src, bottom + i + 1);
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
                            which = 3;
                        }
                        float g = VectorOps.get(grad, o + x);
                        VectorOps.set(dst, top + i, which == 0 ? g : 0f);
                        VectorOps.set(dst, top + i + 1, which == 1 ? g : 0f);
                        VectorOps.set(dst, bottom + i, which == 2 ? g : 0f);
                        VectorOps.set(dst, bottom + i + 1, which == 3 ? g : 0f);
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
