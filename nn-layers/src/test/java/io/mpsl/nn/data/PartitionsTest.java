package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PartitionsTest {

    private static void assertEverySampleOnce(int[][] parts, int samples) {
        int[] hits = new int[samples];
        for (int[] p : parts) {
            for (int i : p) {
                hits[i]++;
            }
        }
        for (int i = 0; i < samples; i++) {
            assertEquals(1, hits[i], "sample " + i);
        }
    }

    private static int[] labels(int n, int classes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
        }
        return y;
    }

    /** Mean over owners of the total-variation distance between the owner's label mix and the global one. */
    private static double skew(int[][] parts, int[] labels, int classes) {
        double[] global = new double[classes];
        for (int y : labels) {
            global[y] += 1.0 / labels.length;
        }
        double sum = 0;
        int owners = 0;
        for (int[] p : parts) {
            if (p.length == 0) {
                continue;
            }
            double[] local = new double[classes];
            for (int i : p) {
                local[labels[i]] += 1.0 / p.length;
            }
            double tv = 0;
            for (int k = 0; k < classes; k++) {
                tv += Math.abs(local[k] - global[k]) / 2;
            }
            sum += tv;
            owners++;
        }
        return sum / owners;
    }

    @Test
    void shouldSplitIidEvenlyUsingEverySampleOnce() {
        int[][] parts = Partitions.iid(1003, 7, 11);
        assertEverySampleOnce(parts, 1003);
        for (int[] p : parts) {
            assertTrue(p.length == 143 || p.length == 144, "size " + p.length);
        }
        int[] y = labels(1003, 10, 1);
        assertTrue(skew(parts, y, 10) < 0.15, "iid skew " + skew(parts, y, 10));
        int[][] again = Partitions.iid(1003, 7, 11);
        for (int o = 0; o < 7; o++) {
            assertArrayEquals(parts[o], again[o]);
        }
        assertTrue(!java.util.Arrays.equals(parts[0], Partitions.iid(1003, 7, 12)[0]));
    }

    @Test
    void shouldSkewDirichletSplitsMoreAsAlphaShrinks() {
        int[] y = labels(5000, 10, 2);
        double previous = -1;
        for (double alpha : new double[] {1000, 1, 0.1, 0.01}) {
            int[][] parts = Partitions.dirichlet(y, 10, 8, alpha, 5);
            assertEverySampleOnce(parts, y.length);
            double s = skew(parts, y, 10);
            System.out.printf("alpha %-7s mean total-variation distance from the global label mix %.3f%n", alpha, s);
            assertTrue(s > previous, "skew " + s + " at alpha " + alpha + " not above " + previous);
            previous = s;
        }
        assertTrue(previous > 0.6, "alpha 0.01 should leave owners with about one class each: " + previous);
        int[][] a = Partitions.dirichlet(y, 10, 8, 0.5, 9);
        int[][] b = Partitions.dirichlet(y, 10, 8, 0.5, 9);
        for (int o = 0; o < 8; o++) {
            assertArrayEquals(a[o], b[o]);
        }
    }

    @Test
    void shouldDrawDirichletProportionsWithTheRightMean() {
        SplittableRandom r = new SplittableRandom(3);
        double[] p = new double[4];
        double[] mean = new double[4];
        int draws = 20000;
        for (int i = 0; i < draws; i++) {
            Partitions.dirichletSample(p, 0.3, r);
            double s = 0;
            for (int k = 0; k < 4; k++) {
                mean[k] += p[k] / draws;
                s += p[k];
            }
            assertEquals(1.0, s, 1e-9);
        }
        for (double m : mean) {
            assertEquals(0.25, m, 0.01);
        }
    }

    @Test
    void shouldApportionExactly() {
        assertArrayEquals(new int[] {3, 3, 4}, Partitions.apportion(10, new double[] {0.3, 0.3, 0.4}));
        assertArrayEquals(new int[] {4, 3, 3}, Partitions.apportion(10, new double[] {0.34, 0.33, 0.33}));
    }
}
