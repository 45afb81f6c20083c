package io.mpsl.kernels.cpu;

import io.mpsl.kernels.ConvSpec;
import java.lang.foreign.MemorySegment;

/**
 * Depthwise convolution (groups == inChannels == outChannels) computed directly, one plane at a time:
 * out[n,c,y,x] = sum_{i,j} in[n,c,y*s-p+i,x*s-p+j] * w[c,i,j]. With stride 1 along x every tap is a vector
 * axpy (forward, backward data) or dot product (backward weights) over a contiguous run of a row; other
 * strides fall back to scalar loops. Forward and backward data split planes over the workers, backward
 * weights splits channels.
 */
final class DepthwiseConvolution {
    private static final int FORWARD = 0;
    private static final int BACKWARD_DATA = 1;
    private static final int BACKWARD_WEIGHTS = 2;

    private final WorkerPool pool;
    private final PlaneJob job = new PlaneJob();

    DepthwiseConvolution(WorkerPool pool) {
        this.pool = pool;
    }

    static boolean applies(ConvSpec s) {
        return s.groups() > 1 && s.groups() == s.inChannels() && s.groups() == s.outChannels();
    }

    void forward(MemorySegment out, MemorySegment in, MemorySegment weight, ConvSpec s) {
        run(FORWARD, out, in, weight, s, s.batch() * s.inChannels());
    }

    void backwardData(MemorySegment dIn, MemorySegment dOut, MemorySegment weight, ConvSpec s) {
        run(BACKWARD_DATA, dOut, dIn, weight, s, s.batch() * s.inChannels());
    }

    void backwardWeights(MemorySegment dWeight, MemorySegment dOut, MemorySegment in, ConvSpec s) {
        run(BACKWARD_WEIGHTS, dOut, in, dWeight, s, s.inChannels());
    }

    private void run(int mode, MemorySegment out, MemorySegment in, MemorySegment weight, ConvSpec s, int count) {
        job.mode = mode;
        job.out = out;
        job.in = in;
        job.weight = weight;
        job.spec = s;
        pool.run(job, count, 1);
    }

    private static final class PlaneJob extends WorkerPool.Job {
        int mode;
        MemorySegment out; // forward output, or dOut
        MemorySegment in; // forward input, or dIn
        MemorySegment weight; // weight, or dWeight
        ConvSpec spec;

        @Override
        void run(int from, int to) {
            for (int q = from; q < to; q++) {
                switch (mode) {
                    case FORWARD -> forwardPlane(q);
                    case BACKWARD_DATA -> backwardDataPlane(q);
                    default -> backwardWeightsChannel(q);
                }
            }
        }

        private void forwardPlane(int plane) {
            ConvSpec s = spec;
            int c = plane % s.inChannels();
            long inAt = (long) plane * s.inH() * s.inW();
            long outAt = (long) plane * s.outH() * s.outW();
            VectorOps.fill(out, outAt, s.outH() * s.outW(), 0f);
            for (int y = 0; y < s.outH(); y++) {
                long outRow = outAt + (long) y * s.outW();
                for (int i = 0; i < s.kernelH(); i++) {
                    int iy = y * s.strideH() - s.padH() + i;
                    if (iy < 0 || iy >= s.inH()) {
                        continue;
                    }
                    long inRow = inAt + (long) iy * s.inW();
                    for (int j = 0; j < s.kernelW(); j++) {
                        float w = VectorOps.get(weight, ((long) c * s.kernelH() + i) * s.kernelW() + j);
                        int x0 = Im2Col.firstX(s.strideW(), s.padW(), j);
                        int x1 = Im2Col.endX(s.outW(), s.inW(), s.strideW(), s.padW(), j);
                        if (x0 >= x1) {
                            continue;
                        }
                        if (s.strideW() == 1) {
                            VectorOps.axpyAt(out, outRow + x0, w, in, inRow + x0 - s.padW() + j, x1 - x0);
                        } else {
                            for (int x = x0; x < x1; x++) {
                                long at = outRow + x;
                                float v = VectorOps.get(in, inRow + (long) x * s.strideW() - s.padW() + j);
                                VectorOps.set(out, at, Math.fma(w, v, VectorOps.get(out, at)));
                            }
                        }
                    }
                }
            }
        }

        private void backwardDataPlane(int plane) {
            ConvSpec s = spec;
            int c = plane % s.inChannels();
            long inAt = (long) plane * s.inH() * s.inW();
            long outAt = (long) plane * s.outH() * s.outW();
            VectorOps.fill(in, inAt, s.inH() * s.inW(), 0f);
            for (int y = 0; y < s.outH(); y++) {
                long outRow = outAt + (long) y * s.outW();
                for (int i = 0; i < s.kernelH(); i++) {
                    int iy = y * s.strideH() - s.padH() + i;
                    if (iy < 0 || iy >= s.inH()) {
                        continue;
                    }
                    long inRow = inAt + (long) iy * s.inW();
                    for (int j = 0; j < s.kernelW(); j++) {
                        float w = VectorOps.get(weight, ((long) c * s.kernelH() + i) * s.kernelW() + j);
                        int x0 = Im2Col.firstX(s.strideW(), s.padW(), j);
                        int x1 = Im2Col.endX(s.outW(), s.inW(), s.strideW(), s.padW(), j);
                        if (x0 >= x1) {
                            continue;
                        }
                        if (s.strideW() == 1) {
                            VectorOps.axpyAt(in, inRow + x0 - s.padW() + j, w, out, outRow + x0, x1 - x0);
                        } else {
                            for (int x = x0; x < x1; x++) {
                                long at = inRow + (long) x * s.strideW() - s.padW() + j;
                                VectorOps.set(in, at, Math.fma(w, VectorOps.get(out, outRow + x), VectorOps.get(in, at)));
                            }
                        }
                    }
                }
            }
        }

        private void backwardWeightsChannel(int c) {
            ConvSpec s = spec;
            for (int i = 0; i < s.kernelH(); i++) {
                for (int j = 0; j < s.kernelW(); j++) {
                    int x0 = Im2Col.firstX(s.strideW(), s.padW(), j);
                    int x1 = Im2Col.endX(s.outW(), s.inW(), s.strideW(), s.padW(), j);
                    double sum = 0;
                    for (int n = 0; n < s.batch() && x0 < x1; n++) {
                        long plane = (long) n * s.inChannels() + c;
                        long inAt = plane * s.inH() * s.inW();
                        long outAt = plane * s.outH() * s.outW();
                        for (int y = 0; y < s.outH(); y++) {
                            int iy = y * s.strideH() - s.padH() + i;
                            if (iy < 0 || iy >= s.inH()) {
                                continue;
                            }
                            long outRow = outAt + (long) y * s.outW();
                            long inRow = inAt + (long) iy * s.inW() - s.padW() + j;
                            if (s.strideW() == 1) {
                                sum += VectorOps.dot(out, outRow + x0, in, inRow + x0, x1 - x0);
                            } else {
                                float rowSum = 0f;
                                for (int x = x0; x < x1; x++) {
                                    rowSum = Math.fma(VectorOps.get(out, outRow + x),
                                            VectorOps.get(in, inRow + (long) x * s.strideW()), rowSum);
                                }
                                sum += rowSum;
                            }
                        }
                    }
                    long at = ((long) c * s.kernelH() + i) * s.kernelW() + j;
                    VectorOps.set(weight, at, (float) (VectorOps.get(weight, at) + sum));
                }
            }
        }
    }
}
