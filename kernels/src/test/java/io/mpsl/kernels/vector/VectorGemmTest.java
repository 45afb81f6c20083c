package io.mpsl.kernels.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mpsl.kernels.GemmAgreement;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorGemmTest {

    @Test
    void shouldMatchDoubleReferenceOnAwkwardShapesSingleThreaded() {
        try (VectorGemm g = new VectorGemm(1)) {
            GemmAgreement.checkAll(g, GemmAgreement.AWKWARD, System.nanoTime());
        }
    }

    @Test
    void shouldMatchDoubleReferenceOnAwkwardShapesWithThreeThreads() {
        try (VectorGemm g = new VectorGemm(3)) {
            GemmAgreement.checkAll(g, GemmAgreement.AWKWARD, System.nanoTime());
        }
    }

    @Test
    void shouldMatchDoubleReferenceAcrossBlockBoundariesMultiThreaded() {
        // larger than KC in depth, than MC in rows (tall) and than NC in columns (wide), split over threads
        int[][] sizes = {{VectorGemm.MC + 37, 45, VectorGemm.KC + 19}, {23, VectorGemm.NC + 51, 2 * VectorGemm.KC + 3}};
        try (VectorGemm g = new VectorGemm(2)) {
            Random r = new Random(System.nanoTime());
            for (int[] s : sizes) {
                for (int t = 0; t < 4; t++) {
                    GemmAgreement.check(g, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 0.5f, -1f, r);
                }
            }
        }
    }

    @Test
    void shouldGiveTheSameBitsWhateverTheThreadCount() {
        int m = 150;
        int n = 170;
        int k = 300;
        try (Arena arena = Arena.ofShared(); VectorGemm one = new VectorGemm(1); VectorGemm four = new VectorGemm(4)) {
            Random r = new Random(System.nanoTime());
            MemorySegment a = arena.allocate((long) m * k * 4);
            MemorySegment b = arena.allocate((long) k * n * 4);
            for (long i = 0; i < (long) m * k; i++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
            }
            for (long i = 0; i < (long) k * n; i++) {
                b.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
            }
            MemorySegment c1 = arena.allocate((long) m * n * 4);
            MemorySegment c4 = arena.allocate((long) m * n * 4);
            one.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c1, 0, n);
            four.sgemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c4, 0, n);
            assertEquals(-1L, c1.mismatch(c4), "results differ between 1 and 4 threads");
        }
    }

    @Test
    void shouldRejectLeadingDimensionSmallerThanWidth() {
        try (Arena arena = Arena.ofShared(); VectorGemm g = new VectorGemm(1)) {
            MemorySegment s = arena.allocate(4096);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> g.sgemm(false, false, 4, 8, 4, 1f, s, 0, 4, s, 0, 7, 0f, s, 0, 8));
            System.out.println(e.getMessage());
        }
    }
}
