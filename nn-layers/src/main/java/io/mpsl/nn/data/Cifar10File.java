package io.mpsl.nn.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads one CIFAR-10 binary batch ({@code data_batch_1.bin} ... {@code data_batch_5.bin}, {@code test_batch.bin}):
 * records of one label byte (0..9) then 3072 pixel bytes, the 32x32 red plane, then green, then blue, each
 * row-major. A standard batch holds 10,000 records; any whole number of records is accepted.
 */
public final class Cifar10File {
    public static final int CLASSES = 10;
    public static final int CHANNELS = 3;
    public static final int SIDE = 32;
    public static final int PIXELS = CHANNELS * SIDE * SIDE;
    public static final int RECORD_BYTES = 1 + PIXELS;

    private Cifar10File() {
    }

    /** The raw records of one batch file: {@code bytes[i * RECORD_BYTES]} is the label of record i. */
    public static byte[] read(Path file, String remedy) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw DataFileException.of(file, "file not found", remedy);
        }
        byte[] b = Files.readAllBytes(file);
        if (b.length == 0 || b.length % RECORD_BYTES != 0) {
            throw DataFileException.of(file, "size " + b.length + " bytes is not a whole number of CIFAR-10 records of "
                    + RECORD_BYTES + " bytes (1 label + 3x32x32 pixels; a standard batch is 10000 records, "
                    + 10000L * RECORD_BYTES + " bytes): truncated or not a CIFAR-10 binary batch", remedy);
        }
        for (int r = 0, n = b.length / RECORD_BYTES; r < n; r++) {
            int label = b[r * RECORD_BYTES] & 0xff;
            if (label >= CLASSES) {
                throw DataFileException.of(file, "record " + r + " has label " + label + ", expected 0..9: not a "
                        + "CIFAR-10 binary batch (CIFAR-100's has two label bytes)", remedy);
            }
        }
        return b;
    }
}
