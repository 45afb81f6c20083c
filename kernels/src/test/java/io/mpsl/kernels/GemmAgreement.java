package io.mpsl.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * Checks a {@link Gemm} against a naive triple loop accumulating in double, on fresh random inputs: every
 * transpose combination, alpha/beta (beta = 0 over a NaN-filled C), offsets, leading dimensions wider than
 * the matrices (whose gaps must stay untouched), and awkward sizes.
 */
public final class GemmAgreement {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** {m, n, k}: ones, primes, not multiples of 16, non-square, k = 1, edges of every tile shape. */
    public static final int[][] AWKWARD = {{1, 1, 1}, {7, 13, 31}, {13, 7, 1}, {31, 67, 13}, {67, 31, 67},
            {16, 32, 256}, {17, 33, 257}, {9, 47, 16}, {8, 300, 20}, {300, 8, 20}, {129, 65, 300}, {2, 1, 700}};
    /** {alpha, beta}. */
    public static final float[][] SCALARS = {{1f, 0f}, {1.5f, -0.75f}, {-0.5f, 1f}, {0f, 0.5f}};

    private GemmAgreement() {
    }

    /** Runs every size, transpose and scalar case; returns the largest difference seen. */
    public static double checkAll(Gemm gemm, int[][] sizes, long seed) {
        Random random = new Random(seed);
        double worst = 0;
        for (int[] s : sizes) {
            for (int t = 0; t < 4; t++) {
                for (float[] ab : SCALARS) {
                    worst = Math.max(worst, check(gemm, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], ab[0], ab[1],
                            random));
                }
            }
        }
        System.out.printf("%s (%d threads): largest difference from the double reference %.3e%n", gemm.name(),
                gemm.threads(), worst);
        return worst;
    }

    /** One product with offsets and padded leading dimensions; asserts and returns the largest difference. */
    public static double check(Gemm gemm, boolean transA, boolean transB, int m, int n, int k, float alpha,
            float beta, Random random) {
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        int lda = aCols + 1 + random.nextInt(5);
        int ldb = bCols + 1 + random.nextInt(5);
        int ldc = n + 1 + random.nextInt(5);
        long aOff = random.nextInt(7);
        long bOff = random.nextInt(7);
        long cOff = random.nextInt(7);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, aOff + (long) aRows * lda, random);
            MemorySegment b = random(arena, bOff + (long) bRows * ldb, random);
            MemorySegment c = random(arena, cOff + (long) m * ldc, random);
            if (beta == 0f) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        c.setAtIndex(F32, cOff + (long) i * ldc + j, Float.NaN);
                    }
                }
            }
            float[] before = c.toArray(F32);
            gemm.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            double worst = 0;
            double tolerance = 2e-6 * (k + 8) * (Math.abs(alpha) + 1) + 1e-6;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) {
                        double x = a.getAtIndex(F32, aOff + (transA ? (long) p * lda + i : (long) i * lda + p));
                        double y = b.getAtIndex(F32, bOff + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                        acc += x * y;
                    }
                    long idx = cOff + (long) i * ldc + j;
                    double expected = alpha * acc + (beta == 0f ? 0 : beta * (double) before[(int) idx]);
                    float got = c.getAtIndex(F32, idx);
                    double diff = Math.abs(expected - got);
                    if (!(diff <= tolerance)) {
                        throw new AssertionError(String.format(
                                "%s: C[%d][%d] = %s, expected %s (diff %.3e > %.3e) for transA=%b transB=%b m=%d n=%d"
                                        + " k=%d alpha=%s beta=%s lda=%d ldb=%d ldc=%d",
                                gemm.name(), i, j, got, expected, diff, tolerance, transA, transB, m, n, k, alpha, beta,
                                lda, ldb, ldc));
                    }
                    worst = Math.max(worst, diff);
                }
            }
            // nothing outside the C window may change: offsets, row gaps of ldc > n, the tail
            for (int idx = 0; idx < before.length; idx++) {
                long rel = idx - cOff;
                boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
                if (!inside) {
                    assertEquals(Float.floatToRawIntBits(before[idx]), Float.floatToRawIntBits(c.getAtIndex(F32, idx)),
                            gemm.name() + " wrote outside C at index " + idx + " (ldc " + ldc + ", offset " + cOff + ")");
                }
            }
            assertTrue(worst <= tolerance);
            return worst;
        }
    }

    private static MemorySegment random(Arena arena, long floats, Random random) {
        MemorySegment s = arena.allocate(Math.max(floats, 1) * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(F32, i, random.nextFloat() * 2 - 1);
        }
        return s;
    }
}
