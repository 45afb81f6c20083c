package io.mpsl.nn;

import io.mpsl.kernels.Gemm;
import io.mpsl.kernels.cpu.CpuBackend;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A plain-loop GEMM with cache-friendly loop orders, so tests can run {@link CpuBackend} (im2col convolutions)
 * on models too large for the scalar oracle. Deterministic: the same call gives the same bits.
 */
public final class LoopGemm implements Gemm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** A CPU backend on this engine with one thread, for deterministic tests of big models. */
    public static CpuBackend backend() {
        return new CpuBackend("cpu-loopgemm", new LoopGemm(), 1);
    }

    @Override
    public String name() {
        return "loops";
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, long aOffset,
            int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset, int ldc) {
        for (int i = 0; i < m; i++) {
            long row = cOffset + (long) i * ldc;
            for (int j = 0; j < n; j++) {
                float old = beta == 0f ? 0f : beta * c.getAtIndex(F, row + j);
                c.setAtIndex(F, row + j, old);
            }
            if (!transB) {
                // c[i, :] += alpha * a(i, p) * b[p, :], rows of b contiguous
                for (int p = 0; p < k; p++) {
                    float av = alpha * a.getAtIndex(F, aOffset + (transA ? (long) p * lda + i : (long) i * lda + p));
                    if (av == 0f) {
                        continue;
                    }
                    long brow = bOffset + (long) p * ldb;
                    for (int j = 0; j < n; j++) {
                        c.setAtIndex(F, row + j, c.getAtIndex(F, row + j) + av * b.getAtIndex(F, brow + j));
                    }
                }
            } else {
                // c[i, j] += alpha * dot(a(i, :), b[j, :])
                for (int j = 0; j < n; j++) {
                    long brow = bOffset + (long) j * ldb;
                    float sum = 0f;
                    for (int p = 0; p < k; p++) {
                        float av = a.getAtIndex(F, aOffset + (transA ? (long) p * lda + i : (long) i * lda + p));
                        sum += av * b.getAtIndex(F, brow + p);
                    }
                    c.setAtIndex(F, row + j, c.getAtIndex(F, row + j) + alpha * sum);
                }
            }
        }
    }
}
