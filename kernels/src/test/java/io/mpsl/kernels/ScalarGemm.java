package io.mpsl.kernels;

import io.mpsl.kernels.scalar.ScalarBackend;
import java.lang.foreign.MemorySegment;

/** The scalar oracle's GEMM as a {@link Gemm} engine, so a CPU backend can be tested without a fast GEMM. */
public final class ScalarGemm implements Gemm {
    private final ScalarBackend oracle = new ScalarBackend();

    @Override
    public String name() {
        return "scalar-gemm";
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a,
            long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset,
            int ldc) {
        oracle.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }
}
