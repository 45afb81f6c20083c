package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.MemoryAccount;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFileTest {
    private static final String REMEDY = Datasets.remedy("mnist", Path.of("/some/dir"));

    @TempDir
    Path dir;

    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(bo)) {
            o.write(raw);
        }
        return bo.toByteArray();
    }

    private static byte[] random(int n, int bound, long seed) {
        Random r = new Random(seed);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(bound);
        }
        return b;
    }

    @Test
    void shouldReadPlainAndGzippedFilesAlikeWhateverTheirName() throws IOException {
        byte[] px = random(3 * 28 * 28, 256, 1);
        Path plain = Files.write(dir.resolve("a.gz"), idx(8, new int[] {3, 28, 28}, px)); // plain despite the name
        Path gz = Files.write(dir.resolve("b"), gzip(idx(8, new int[] {3, 28, 28}, px)));
        IdxFile.Images a = IdxFile.readImages(plain, REMEDY);
        IdxFile.Images b = IdxFile.readImages(gz, REMEDY);
        assertEquals(3, a.count());
        assertEquals(28, b.rows());
        assertTrue(Arrays.equals(px, a.pixels()) && Arrays.equals(px, b.pixels()));
    }

    @Test
    void shouldLoadImagesNormalizedAndLabels() throws IOException {
        byte[] px = random(2 * 28 * 28, 256, 2);
        Path images = Files.write(dir.resolve("train-images-idx3-ubyte.gz"), gzip(idx(8, new int[] {2, 28, 28}, px)));
        Path labels = Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(8, new int[] {2}, new byte[] {7, 3}));
        try (Dataset d = Datasets.loadIdx("t", images, labels, Normalization.MNIST, 10, MemoryAccount.root("t"),
                REMEDY)) {
            assertEquals(7, d.label(0));
            assertEquals(3, d.label(1));
            for (int i = 0; i < px.length; i += 97) {
                float expected = ((px[i] & 0xff) / 255f - 0.1307f) / 0.3081f;
                assertEquals(expected, d.images().get(i), 1e-5f);
            }
        }
    }

    @Test
    void shouldRejectWrongMagicNamingFileAndExpectation() throws IOException {
        Path f = Files.write(dir.resolve("labels"), idx(8, new int[] {2, 2}, new byte[4])); // rank 2, not 1
        DataFileException e = assertThrows(DataFileException.class, () -> IdxFile.readLabels(f, REMEDY));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("wrong magic number 0x00000802, expected 0x00000801"), e.getMessage());
        assertTrue(e.getMessage().contains("./mpsl data fetch mnist --dir /some/dir"), e.getMessage());
    }

    @Test
    void shouldRejectTruncatedFiles() throws IOException {
        byte[] full = idx(8, new int[] {10, 28, 28}, new byte[10 * 28 * 28]);
        Path cut = Files.write(dir.resolve("cut"), Arrays.copyOf(full, full.length - 100));
        DataFileException e = assertThrows(DataFileException.class, () -> IdxFile.readImages(cut, REMEDY));
        assertTrue(e.getMessage().contains("truncated: header promises 7840 pixel bytes, file has 7740"),
                e.getMessage());
        byte[] gz = gzip(full);
        Path cutGz = Files.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        e = assertThrows(DataFileException.class, () -> IdxFile.readImages(cutGz, REMEDY));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().startsWith(cutGz.toString()) && e.getMessage().contains("truncated"),
                e.getMessage());
        Path tiny = Files.write(dir.resolve("tiny"), new byte[] {0, 0});
        e = assertThrows(DataFileException.class, () -> IdxFile.readLabels(tiny, REMEDY));
        assertTrue(e.getMessage().contains("too short for an IDX header"), e.getMessage());
    }

    @Test
    void shouldRejectCountMismatchBetweenImagesAndLabels() throws IOException {
        Path images = Files.write(dir.resolve("i"), idx(8, new int[] {3, 28, 28}, new byte[3 * 784]));
        Path labels = Files.write(dir.resolve("l"), idx(8, new int[] {2}, new byte[2]));
        DataFileException e = assertThrows(DataFileException.class, () -> Datasets.loadIdx("t", images, labels,
                Normalization.MNIST, 10, MemoryAccount.root("t"), REMEDY));
        assertTrue(e.getMessage().contains("holds 3 images but " + labels + " holds 2 labels"), e.getMessage());
    }

    @Test
    void shouldRejectWrongImageDimensions() throws IOException {
        Path images = Files.write(dir.resolve("i"), idx(8, new int[] {2, 32, 32}, new byte[2 * 1024]));
        Path labels = Files.write(dir.resolve("l"), idx(8, new int[] {2}, new byte[2]));
        DataFileException e = assertThrows(DataFileException.class, () -> Datasets.loadIdx("t", images, labels,
                Normalization.MNIST, 10, MemoryAccount.root("t"), REMEDY));
        assertTrue(e.getMessage().contains("images are 32x32, expected 28x28"), e.getMessage());
    }

    @Test
    void shouldRejectLabelsOutsideTheClasses() throws IOException {
        Path images = Files.write(dir.resolve("i"), idx(8, new int[] {2, 28, 28}, new byte[2 * 784]));
        Path labels = Files.write(dir.resolve("l"), idx(8, new int[] {2}, new byte[] {1, 12}));
        DataFileException e = assertThrows(DataFileException.class, () -> Datasets.loadIdx("t", images, labels,
                Normalization.MNIST, 10, MemoryAccount.root("t"), REMEDY));
        assertTrue(e.getMessage().contains("label 1 is 12, expected 0..9"), e.getMessage());
    }

    @Test
    void shouldTellWhatToRunWhenTheDatasetIsMissing() {
        DataFileException e = assertThrows(DataFileException.class,
                () -> Datasets.load("fashion-mnist", dir, MemoryAccount.root("t")));
        System.out.println(e.getMessage());
        assertTrue(e.getMessage().contains("file not found"), e.getMessage());
        assertTrue(e.getMessage().contains("run ./mpsl data fetch fashion-mnist --dir " + dir), e.getMessage());
    }
}
