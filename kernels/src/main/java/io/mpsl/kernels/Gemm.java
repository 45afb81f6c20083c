package io.mpsl.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A single-precision matrix multiply engine, the heart of every CPU backend: dense layers call it directly
 * and convolutions call it on im2col panels. Implementations carry their own worker threads.
 */
public interface Gemm extends AutoCloseable {

    /** Short name for logs and benchmark tables, e.g. "openblas", "vector". */
    String name();

    /** Worker threads used inside one call. */
    int threads();

    /**
     * C = alpha * op(A) * op(B) + beta * C, row-major; op(X) = X or X^T. op(A) is (m, k), op(B) is (k, n),
     * C is (m, n). Offsets and leading dimensions are in elements. When beta == 0, C is not read (NaNs in C
     * do not leak into the result).
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, long aOffset,
            int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset, int ldc);

    /**
     * The same product as {@link #sgemm}, computed on the calling thread alone with the scratch memory of
     * worker {@code part} (0 <= part < {@link #threads()}), so several threads may each run their own products
     * at once, one part each. Engines whose {@code sgemm} keeps no state between calls need not override this.
     */
    default void sgemmPart(int part, boolean transA, boolean transB, int m, int n, int k, float alpha,
            MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c,
            long cOffset, int ldc) {
        sgemm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    @Override
    default void close() {
    }
}
