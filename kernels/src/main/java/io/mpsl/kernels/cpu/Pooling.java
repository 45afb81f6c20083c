package io.mpsl.kernels.cpu;

import io.mpsl.kernels.PoolSpec;
import java.lang.foreign.MemorySegment;

/**
 * Max and average pooling, planes split over the workers. Windows are small strided gathers, which the
 * Vector API does not speed up, so the window loops are scalar; the backward passes clear each input plane
 * with a vector fill and then scatter into it. Max pooling 2x2 with stride 2 (the VGG case) has its own loop
 * without the general one's per-element window bounds and mode switch (about 10x faster measured).
 */
final class Pooling {
    private static final int MAX_FORWARD = 0;
    private static final int MAX_BACKWARD = 1;
    private static final int AVG_FORWARD = 2;
    private static final int AVG_BACKWARD = 3;

    private final WorkerPool pool;
    private final PlaneJob job = new PlaneJob();

    Pooling(WorkerPool pool) {
        this.pool = pool;
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
                maxTwoByTwo(from, to);
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
