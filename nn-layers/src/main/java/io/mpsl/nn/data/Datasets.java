package io.mpsl.nn.data;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the datasets mpsl knows by name from a directory the user gives:
 * <ul>
 * <li>{@code mnist}, {@code fashion-mnist}: the four IDX files {@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each
 * optionally with {@code .gz}; 1x28x28 images, 10 classes.</li>
 * <li>{@code cifar10}: the binary batches {@code data_batch_1.bin} ... {@code data_batch_5.bin} (train) and
 * {@code test_batch.bin}; 3x32x32 images, 10 classes.</li>
 * </ul>
 * The directory may hold the files itself or a sub-directory named after the dataset (for CIFAR-10 also
 * {@code cifar-10-batches-bin}, as the archive extracts). Pixels are normalized per {@link Normalization}.
 */
public final class Datasets {
    public static final List<String> NAMES = List.of("mnist", "fashion-mnist", "cifar10");

    private static final String IDX_TRAIN_IMAGES = "train-images-idx3-ubyte";
    private static final String IDX_TRAIN_LABELS = "train-labels-idx1-ubyte";
    private static final String IDX_TEST_IMAGES = "t10k-images-idx3-ubyte";
    private static final String IDX_TEST_LABELS = "t10k-labels-idx1-ubyte";
    private static final int IDX_SIDE = 28;

    private Datasets() {
    }

    /** The train and test sets of dataset {@code name} found in or under {@code dir}. */
    public static DatasetPair load(String name, Path dir, MemoryAccount account) throws IOException {
        return switch (name) {
            case "mnist" -> loadIdxPair(name, dir, Normalization.MNIST, account);
            case "fashion-mnist" -> loadIdxPair(name, dir, Normalization.FASHION_MNIST, account);
            case "cifar10" -> loadCifar10(dir, account);
            default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; known: " + NAMES);
        };
    }

    /** What to tell a user whose copy of {@code name} under {@code dir} is missing or broken. */
    public static String remedy(String name, Path dir) {
        return switch (name) {
            case "mnist", "fashion-mnist" -> "run ./mpsl data fetch " + name + " --dir " + dir
                    + " (or put the four IDX files, gzipped or not, in " + dir.resolve(name) + ")";
            case "cifar10" -> "download the CIFAR-10 binary version (cifar-10-binary.tar.gz, "
                    + "https://www.cs.toronto.edu/~kriz/cifar.html) and extract it into " + dir;
            default -> "known datasets: " + NAMES;
        };
    }

    /** The directory holding the files of {@code name}: {@code dir} itself or one of its known sub-directories. */
    public static Path resolveDir(String name, Path dir) {
        String probe = name.equals("cifar10") ? "test_batch.bin" : IDX_TRAIN_LABELS;
        List<Path> candidates = new ArrayList<>();
        candidates.add(dir);
        candidates.add(dir.resolve(name));
        if (name.equals("cifar10")) {
            candidates.add(dir.resolve("cifar-10-batches-bin"));
            candidates.add(dir.resolve("cifar10").resolve("cifar-10-batches-bin"));
        }
        for (Path c : candidates) {
            if (Files.isRegularFile(c.resolve(probe)) || Files.isRegularFile(c.resolve(probe + ".gz"))) {
                return c;
            }
        }
        return name.equals("cifar10") ? dir : dir.resolve(name);
    }

    /** Train and test sets from the four IDX files in (or under) {@code dir}. */
    public static DatasetPair loadIdxPair(String name, Path dir, Normalization norm, MemoryAccount account)
            throws IOException {
        Path d = resolveDir(name, dir);
        String remedy = remedy(name, dir);
        Dataset train = loadIdx(name + "-train", idxFile(d, IDX_TRAIN_IMAGES), idxFile(d, IDX_TRAIN_LABELS), norm, 10,
                account, remedy);
        try {
            Dataset test = loadIdx(name + "-test", idxFile(d, IDX_TEST_IMAGES), idxFile(d, IDX_TEST_LABELS), norm, 10,
                    account, remedy);
            return new DatasetPair(train, test);
        } catch (IOException | RuntimeException e) {
            train.close();
            throw e;
        }
    }

    /** {@code dir/base.gz} if present, else {@code dir/base} (which may not exist; the reader says so). */
    static Path idxFile(Path dir, String base) {
        Path gz = dir.resolve(base + ".gz");
        return Files.isRegularFile(gz) ? gz : dir.resolve(base);
    }

    /**
     * One 28x28 grey image set from an images and a labels IDX file.
     *
     * @param remedy what to tell the user if a file is missing or broken
     */
    public static Dataset loadIdx(String name, Path imagesFile, Path labelsFile, Normalization norm, int classes,
            MemoryAccount account, String remedy) throws IOException {
        byte[] labels = IdxFile.readLabels(labelsFile, remedy);
        IdxFile.Images images = IdxFile.readImages(imagesFile, remedy);
        if (images.rows() != IDX_SIDE || images.cols() != IDX_SIDE) {
            throw DataFileException.of(imagesFile, "images are " + images.rows() + "x" + images.cols() + ", expected "
                    + IDX_SIDE + "x" + IDX_SIDE, remedy);
        }
        if (images.count() != labels.length) {
            throw DataFileException.of(imagesFile, "holds " + images.count() + " images but " + labelsFile + " holds "
                    + labels.length + " labels; expected the same count (files from different sets?)", remedy);
        }
        checkLabels(labelsFile, labels, classes, remedy);
        int n = images.count();
        int sample = images.rows() * images.cols();
        TensorArena arena = new TensorArena(account.child(name));
        try {
            Tensor x = arena.allocate(Shape.of(n, 1, images.rows(), images.cols()), DType.F32);
            Tensor y = arena.allocate(Shape.of(n), DType.I32);
            float[] table = norm.table(0);
            float[] row = new float[sample];
            byte[] px = images.pixels();
            MemorySegment xs = x.segment();
            for (int i = 0; i < n; i++) {
                int base = i * sample;
                for (int j = 0; j < sample; j++) {
                    row[j] = table[px[base + j] & 0xff];
                }
                MemorySegment.copy(row, 0, xs, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) base * Float.BYTES, sample);
                y.setInt(i, labels[i] & 0xff);
            }
            return new Dataset(name, x, y, classes, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** CIFAR-10's five training batches and its test batch from (or under) {@code dir}. */
    public static DatasetPair loadCifar10(Path dir, MemoryAccount account) throws IOException {
        Path d = resolveDir("cifar10", dir);
        String remedy = remedy("cifar10", dir);
        List<Path> trainFiles = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            trainFiles.add(d.resolve("data_batch_" + i + ".bin"));
        }
        Dataset train = loadCifar10("cifar10-train", trainFiles, account, remedy);
        try {
            return new DatasetPair(train, loadCifar10("cifar10-test", List.of(d.resolve("test_batch.bin")), account,
                    remedy));
        } catch (IOException | RuntimeException e) {
            train.close();
            throw e;
        }
    }

    /** The records of these CIFAR-10 binary batch files, in order, as one dataset. */
    public static Dataset loadCifar10(String name, List<Path> files, MemoryAccount account, String remedy)
            throws IOException {
        List<byte[]> batches = new ArrayList<>();
        long n = 0;
        for (Path f : files) {
            byte[] b = Cifar10File.read(f, remedy);
            batches.add(b);
            n += b.length / Cifar10File.RECORD_BYTES;
        }
        TensorArena arena = new TensorArena(account.child(name));
        try {
            int count = Math.toIntExact(n);
            Tensor x = arena.allocate(Shape.of(count, Cifar10File.CHANNELS, Cifar10File.SIDE, Cifar10File.SIDE),
                    DType.F32);
            Tensor y = arena.allocate(Shape.of(count), DType.I32);
            int plane = Cifar10File.SIDE * Cifar10File.SIDE;
            float[][] tables = new float[Cifar10File.CHANNELS][];
            for (int c = 0; c < tables.length; c++) {
                tables[c] = Normalization.CIFAR10.table(c);
            }
            float[] row = new float[Cifar10File.PIXELS];
            MemorySegment xs = x.segment();
            int i = 0;
            for (byte[] b : batches) {
                for (int r = 0, records = b.length / Cifar10File.RECORD_BYTES; r < records; r++, i++) {
                    int base = r * Cifar10File.RECORD_BYTES;
                    y.setInt(i, b[base] & 0xff);
                    for (int j = 0; j < Cifar10File.PIXELS; j++) {
                        row[j] = tables[j / plane][b[base + 1 + j] & 0xff];
                    }
                    MemorySegment.copy(row, 0, xs, ValueLayout.JAVA_FLOAT_UNALIGNED,
                            (long) i * Cifar10File.PIXELS * Float.BYTES, Cifar10File.PIXELS);
                }
            }
            return new Dataset(name, x, y, Cifar10File.CLASSES, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void checkLabels(Path file, byte[] labels, int classes, String remedy) throws DataFileException {
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i] & 0xff;
            if (label >= classes) {
                throw DataFileException.of(file, "label " + i + " is " + label + ", expected 0.." + (classes - 1),
                        remedy);
            }
        }
    }
}
