package io.mpsl.kernels.cpu;

import io.mpsl.kernels.PoolSpec;
import java.lang.foreign.MemorySegment;

/**
 * Max and average pooling, planes split over the workers. Windows are small strided gathers, which the
 * Vector API does not speed up, so the window loops are scalar; the backward passes clear each input plane
 * with a vector fill and then scatter into it.
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
