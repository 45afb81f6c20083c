package io.mpsl.kernels.cpu;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import io.mpsl.kernels.openblas.OpenBlas;
import io.mpsl.kernels.openblas.OpenBlasGemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

public final class TmpBreakdown {
    private TmpBreakdown() {
    }

    public static void main(String[] args) {
        Gemm gemm = new OpenBlasGemm(OpenBlas.shared().library(), 2);
        WorkerPool pool = new WorkerPool("t", 2);
        Arena arena = Arena.ofShared();
        int[][] layers = {{64, 32, 7}, {128, 16, 28}, {256, 8, 28}};
        for (int[] l : layers) {
            int c = l[0];
            int hw = l[1];
            int b = l[2];
            ConvSpec s = ConvSpec.of(64, c, hw, hw, c, 3, 1, 1);
            int p = hw * hw;
            int k = c * 9;
            MemorySegment in = arena.allocate((long) 64 * c * p * 4, 64);
            MemorySegment cols = arena.allocate((long) k * b * p * 4, 64);
            MemorySegment w = arena.allocate((long) c * k * 4, 64);
            MemorySegment yT = arena.allocate((long) c * b * p * 4, 64);
            double tIm = 1e9;
            double tGemm = 1e9;
            double tCol = 1e9;
            for (int r = 0; r < 15; r++) {
                long t0 = System.nanoTime();
                Im2Col.im2col(cols, in, s, 0, b, 0, k);
                long t1 = System.nanoTime();
                gemm.sgemm(true, true, b * p, c, k, 1f, cols, 0, b * p, w, 0, k, 0f, yT, 0, c);
                long t2 = System.nanoTime();
                Im2Col.col2im(in, cols, s, 0, b, 0, c);
                long t3 = System.nanoTime();
                tIm = Math.min(tIm, (t1 - t0) * 1e-6);
                tGemm = Math.min(tGemm, (t2 - t1) * 1e-6);
                tCol = Math.min(tCol, (t3 - t2) * 1e-6);
            }
            System.out.printf("c=%d b=%d: im2col (1 thread) %.2f ms (%.1f GB/s written), gemm %.2f ms (%.1f GFLOP/s), col2im (1 thread) %.2f ms%n",
                    c, b, tIm, (double) k * b * p * 4 / tIm * 1e-6, tGemm, 2.0 * b * p * c * k / tGemm * 1e-6, tCol);
        }
        pool.close();
    }
}
