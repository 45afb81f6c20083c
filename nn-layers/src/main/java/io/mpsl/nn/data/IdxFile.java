package io.mpsl.nn.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST format): a big-endian header {@code 0x00 0x00 type rank}, then one big-endian
 * int per dimension, then the data. Only unsigned bytes ({@code type 0x08}) are read: labels are rank 1,
 * images rank 3 (count, rows, cols). A file may be gzip-compressed; that is detected by its magic bytes
 * ({@code 0x1f 0x8b}), not its name.
 */
public final class IdxFile {
    static final int TYPE_UBYTE = 0x08;

    private IdxFile() {
    }

    /** Images of an IDX file: {@code pixels[i * rows * cols + y * cols + x]}, unsigned bytes. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
    }

    /**
     * The labels of a rank-1 IDX file of unsigned bytes.
     *
     * @param remedy what the user should do if the file is missing or broken (appended to the message)
     */
    public static byte[] readLabels(Path file, String remedy) throws IOException {
        try (InputStream in = open(file, remedy)) {
            int[] dims = header(in, file, 1, remedy);
            return body(in, file, dims[0], "labels", remedy);
        }
    }

    /** The images of a rank-3 IDX file of unsigned bytes (count, rows, cols). */
    public static Images readImages(Path file, String remedy) throws IOException {
        try (InputStream in = open(file, remedy)) {
            int[] dims = header(in, file, 3, remedy);
            long bytes = (long) dims[0] * dims[1] * dims[2];
            if (bytes > Integer.MAX_VALUE - 16) {
                throw DataFileException.of(file, "header says " + dims[0] + " images of " + dims[1] + "x" + dims[2]
                        + ", too large to load", remedy);
            }
            return new Images(dims[0], dims[1], dims[2], body(in, file, (int) bytes, "pixel bytes", remedy));
        }
    }

    /** Opens the file, unwrapping gzip if its first two bytes say so. */
    static InputStream open(Path file, String remedy) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw DataFileException.of(file, "file not found", remedy);
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        try {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 == 0x1f && b1 == 0x8b) {
                return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
            }
            return raw;
        } catch (NoSuchFileException e) {
            raw.close();
            throw DataFileException.of(file, "file not found", remedy);
        } catch (IOException e) {
            raw.close();
            throw DataFileException.of(file, "cannot read gzip stream (" + e.getMessage() + ")", remedy);
        }
    }

    private static int[] header(InputStream in, Path file, int rank, String remedy) throws IOException {
        byte[] magic = new byte[4];
        int got = readFully(in, magic, 0, 4, file, remedy);
        if (got < 4) {
            throw DataFileException.of(file, "truncated: " + got + " bytes, too short for an IDX header", remedy);
        }
        int type = magic[2] & 0xff;
        int fileRank = magic[3] & 0xff;
        if (magic[0] != 0 || magic[1] != 0 || type != TYPE_UBYTE || fileRank != rank) {
            throw DataFileException.of(file, String.format(
                    "wrong magic number 0x%02x%02x%02x%02x, expected 0x000008%02x (IDX, unsigned bytes, %d dimension%s)",
                    magic[0], magic[1], magic[2], magic[3], rank, rank, rank == 1 ? "" : "s"), remedy);
        }
        byte[] d = new byte[4 * rank];
        got = readFully(in, d, 0, d.length, file, remedy);
        if (got < d.length) {
            throw DataFileException.of(file, "truncated inside the header (" + rank + " dimensions expected)", remedy);
        }
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = ((d[4 * i] & 0xff) << 24) | ((d[4 * i + 1] & 0xff) << 16) | ((d[4 * i + 2] & 0xff) << 8)
                    | (d[4 * i + 3] & 0xff);
            if (dims[i] <= 0) {
                throw DataFileException.of(file, "dimension " + i + " is " + dims[i] + ", expected a positive size",
                        remedy);
            }
        }
        return dims;
    }

    private static byte[] body(InputStream in, Path file, int bytes, String what, String remedy) throws IOException {
        byte[] data = new byte[bytes];
        int got = readFully(in, data, 0, bytes, file, remedy);
        if (got < bytes) {
            throw DataFileException.of(file, "truncated: header promises " + bytes + " " + what + ", file has "
                    + got, remedy);
        }
        return data;
    }

    private static int readFully(InputStream in, byte[] b, int off, int len, Path file, String remedy)
            throws IOException {
        int n = 0;
        try {
            while (n < len) {
                int r = in.read(b, off + n, len - n);
                if (r < 0) {
                    break;
                }
                n += r;
            }
        } catch (EOFException | ZipException e) {
            throw DataFileException.of(file, "corrupt or truncated gzip stream after " + n + " bytes (" + e.getMessage()
                    + ")", remedy);
        }
        return n;
    }
}
