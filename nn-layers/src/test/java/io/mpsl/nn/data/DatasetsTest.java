package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DatasetsTest {

    @Test
    void shouldLoadMnistWithTheLabelCountsOfTheReadme() throws IOException {
        Path dir = SharedData.dirWith("mnist");
        try (DatasetPair d = Datasets.load("mnist", dir, MemoryAccount.root("test"))) {
            assertEquals(Shape.of(60000, 1, 28, 28), d.train().images().shape());
            assertEquals(Shape.of(10000, 1, 28, 28), d.test().images().shape());
            assertArrayEquals(new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
                    d.train().labelCounts());
            assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
                    d.test().labelCounts());
            assertNormalized(d.train().images(), Normalization.MNIST);
        }
    }

    @Test
    void shouldLoadFashionMnistWithSixThousandPerClass() throws IOException {
        Path dir = SharedData.dirWith("fashion-mnist");
        try (DatasetPair d = Datasets.load("fashion-mnist", dir.resolve("fashion-mnist"), MemoryAccount.root("test"))) {
            int[] train = new int[10];
            int[] test = new int[10];
            java.util.Arrays.fill(train, 6000);
            java.util.Arrays.fill(test, 1000);
            assertArrayEquals(train, d.train().labelCounts());
            assertArrayEquals(test, d.test().labelCounts());
            assertNormalized(d.train().images(), Normalization.FASHION_MNIST);
        }
    }

    /** The training set's normalized pixels have mean about 0 and std about 1; min is (0 - mean) / std. */
    private static void assertNormalized(Tensor images, Normalization norm) {
        double sum = 0;
        double sq = 0;
        float min = Float.MAX_VALUE;
        long n = images.size();
        for (long i = 0; i < n; i++) {
            float v = images.get(i);
            sum += v;
            sq += (double) v * v;
            min = Math.min(min, v);
        }
        double mean = sum / n;
        double std = Math.sqrt(sq / n - mean * mean);
        System.out.printf("normalized mean %.4f std %.4f min %.4f%n", mean, std, min);
        assertTrue(Math.abs(mean) < 0.01, "mean " + mean);
        assertTrue(Math.abs(std - 1) < 0.01, "std " + std);
        assertEquals(-norm.mean()[0] / norm.std()[0], min, 1e-5);
    }
}
