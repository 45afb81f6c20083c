package io.mpsl.kernels.openblas;

import io.mpsl.kernels.Gemm;
import java.lang.foreign.MemorySegment;

/**
 * {@link Gemm} through OpenBLAS's {@code cblas_sgemm}. OpenBLAS's process-wide pool is set to this engine's
 * thread count before each call (a no-op when it already is), so the calling thread plus {@code threads - 1}
 * OpenBLAS workers run inside a GEMM, and nothing of OpenBLAS runs outside one. The engine's own parallel
 * loops (elementwise ops, im2col) run between GEMM calls, never nested in them, so the cores are shared in
 * time, not oversubscribed; inside such a loop each worker may run its own one-thread product
 * ({@link #sgemmPart}).
 */
public final class OpenBlasGemm implements Gemm {
    private final OpenBlas blas;
    private final int threads;

    public OpenBlasGemm(OpenBlas blas, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.blas = blas;
        this.threads = threads;
    }

    @Override
    public String name() {
        return "openblas";
    }

    @Override
    public int threads() {
        return threads;
    }

    /** The library this engine calls. */
    public OpenBlas library() {
        return blas;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a,
            long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset,
            int ldc) {
        blas.setThreads(threads);
        blas.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    /**
     * With OpenBLAS's pool set to one thread, {@code cblas_sgemm} runs on the calling thread with its own
     * buffers, so the engine's workers can each call it at once; the next {@link #sgemm} sets the pool back.
     */
    @Override
    public void sgemmPart(int part, boolean transA, boolean transB, int m, int n, int k, float alpha,
            MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c,
            long cOffset, int ldc) {
        if (part < 0 || part >= threads) {
            throw new IllegalArgumentException("part " + part + " outside [0, " + threads + ")");
        }
        blas.setThreads(1);
        blas.sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }
}
