package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10FileTest {
    @TempDir
    Path dir;

    /** Writes {@code labels.length} records in the CIFAR-10 binary format, pixels from {@code rng}; returns pixels. */
    private static byte[][] writeBatch(Path file, int[] labels, Random rng) throws IOException {
        byte[] out = new byte[labels.length * 3073];
        byte[][] pixels = new byte[labels.length][3072];
        for (int r = 0; r < labels.length; r++) {
            rng.nextBytes(pixels[r]);
            out[r * 3073] = (byte) labels[r];
            System.arraycopy(pixels[r], 0, out, r * 3073 + 1, 3072);
        }
        Files.write(file, out);
        return pixels;
    }

    @Test
    void shouldReadRecordsAsLabelThenRedGreenBluePlanes() throws IOException {
        Random rng = new Random(5);
        Path sub = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        byte[][][] train = new byte[5][][];
        int[][] trainLabels = new int[5][];
        for (int b = 0; b < 5; b++) {
            trainLabels[b] = new int[] {b, 9 - b, (b * 3) % 10};
            train[b] = writeBatch(sub.resolve("data_batch_" + (b + 1) + ".bin"), trainLabels[b], rng);
        }
        byte[][] test = writeBatch(sub.resolve("test_batch.bin"), new int[] {4, 2}, rng);
        try (DatasetPair d = Datasets.load("cifar10", dir, MemoryAccount.root("t"))) {
            assertEquals(Shape.of(15, 3, 32, 32), d.train().images().shape());
            assertEquals(Shape.of(2, 3, 32, 32), d.test().images().shape());
            assertArrayEquals(new int[] {0, 9, 0, 1, 8, 3, 2, 7, 6, 3, 6, 9, 4, 5, 2}, d.train().labels().toIntArray());
            assertArrayEquals(new int[] {4, 2}, d.test().labels().toIntArray());
            float[] mean = Normalization.CIFAR10.mean();
            float[] std = Normalization.CIFAR10.std();
            for (int b = 0; b < 5; b++) {
                for (int r = 0; r < 3; r++) {
                    int i = b * 3 + r;
                    for (int c = 0; c < 3; c++) {
                        for (int y = 0; y < 32; y += 7) {
                            for (int x = 0; x < 32; x += 5) {
                                int p = train[b][r][c * 1024 + y * 32 + x] & 0xff;
                                float expected = (p / 255f - mean[c]) / std[c];
                                assertEquals(expected, d.train().images().get(((i * 3L + c) * 32 + y) * 32 + x), 1e-5f);
                            }
                        }
                    }
                }
            }
            int p = test[1][2 * 1024 + 31 * 32 + 31] & 0xff;
            assertEquals((p / 255f - mean[2]) / std[2], d.test().images().get(2 * 3072 - 1), 1e-5f);
        }
    }

    @Test
    void shouldRejectTruncatedBatchNamingTheFile() throws IOException {
        Path f = dir.resolve("test_batch.bin");
        writeBatch(f, new int[] {1, 2}, new Random(1));
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 10));
        DataFileException e = assertThrows(DataFileException.class, () -> Cifar10File.read(f, "fix it"));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("size 6136 bytes is not a whole number of CIFAR-10 records of 3073 bytes"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("; fix it"), e.getMessage());
    }

    @Test
    void shouldRejectLabelsAboveNine() throws IOException {
        Path f = dir.resolve("data_batch_1.bin");
        writeBatch(f, new int[] {1, 57}, new Random(1));
        DataFileException e = assertThrows(DataFileException.class, () -> Cifar10File.read(f, ""));
        assertTrue(e.getMessage().contains("record 1 has label 57, expected 0..9"), e.getMessage());
    }

    @Test
    void shouldSayWhereToGetCifarWhenMissing() {
        DataFileException e = assertThrows(DataFileException.class,
                () -> Datasets.load("cifar10", dir, MemoryAccount.root("t")));
        assertTrue(e.getMessage().contains("data_batch_1.bin: file not found"), e.getMessage());
        assertTrue(e.getMessage().contains("cifar-10-binary.tar.gz"), e.getMessage());
    }
}
