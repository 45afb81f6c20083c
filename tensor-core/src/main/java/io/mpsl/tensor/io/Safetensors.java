package io.mpsl.tensor.io;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import io.mpsl.tensor.json.Json;
import io.mpsl.tensor.json.JsonException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the safetensors format, the checkpoint format of the Python tools:
 *
 * <pre>
 * 8 bytes    N, unsigned 64-bit little-endian: the header length
 * N bytes    UTF-8 JSON object: name -> {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
 *            plus an optional "__metadata__": {string: string}; padded with spaces
 * rest       the data: each tensor's elements little-endian, row-major, at [begin, end) counted from the
 *            first byte after the header; the tensors cover the data exactly, with no hole or overlap
 * </pre>
 *
 * <p>{@link #write} writes tensors in the caller's order, compact JSON with {@code __metadata__} first, the header
 * padded to a multiple of 8 bytes (so the data stays 8-byte aligned), byte for byte what the reference Rust and
 * Python library writes for the same order. The write is atomic: a temporary file in the target's directory,
 * fsync, then a rename over the target, so a crash leaves the old file or the new one, never half of one.
 *
 * <p>{@link #read} copies every tensor into memory allocated from a {@link TensorArena} (not a memory map: a
 * checkpoint must outlive the file and be writable), F32 and I32 bit-exact; F16, BF16 and F64 are converted to
 * F32. {@link #check} validates a file the same way without loading its data. Both reject, with a
 * {@link SafetensorsException} naming the file and the problem, everything the reference library rejects and
 * a little more: headers larger than {@link #MAX_HEADER_BYTES} or than the file, headers that are not UTF-8 or
 * not a JSON object, missing or ill-typed fields, unsupported dtypes, offsets that disagree with shape and
 * dtype, run past the data, overlap, leave holes, or leave bytes after the last tensor; and, where the reference
 * library (0.8) is lenient, duplicate tensor names and unknown fields in a tensor's entry.
 *
 * <p>I/O goes through a 1 MiB scratch buffer of a confined arena, freed before each method returns.
 */
public final class Safetensors {
    /** Largest header accepted, as in the reference library: a larger one means a corrupt or foreign file. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The header key of the free-form string-to-string metadata map. */
    public static final String METADATA_KEY = "__metadata__";
    /** Dtypes {@link #read} can load, in the order the error messages list them. */
    public static final List<String> LOADABLE_DTYPES = List.of("F32", "I32", "F16", "BF16", "F64");

    private static final int CHUNK_BYTES = 1 << 20; // a multiple of every element size
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final List<String> ENTRY_FIELDS = List.of("dtype", "shape", "data_offsets");

    private Safetensors() {
    }

    /**
     * One tensor of a header.
     *
     * @param dtype the dtype as the file names it ("F32", "BF16", ...)
     * @param begin first byte of its data, counted from the first byte after the header
     * @param end one past its last byte
     */
    public record Entry(String name, String dtype, Shape shape, long begin, long end) {
        /** Bytes of its data in the file. */
        public long byteSize() {
            return end - begin;
        }

        /** The type of the tensor {@link #read} makes of it: I32 stays I32, every float type becomes F32. */
        public DType loadedAs() {
            return dtype.equals("I32") ? DType.I32 : DType.F32;
        }
    }

    /**
     * A validated header.
     *
     * @param entries the tensors in the order of their data in the file
     * @param metadata the {@code __metadata__} map, empty if the file has none
     * @param headerBytes N, the length of the JSON header including its padding
     * @param dataBytes bytes after the header, all covered by the entries
     */
    public record Header(List<Entry> entries, Map<String, String> metadata, long headerBytes, long dataBytes) {
    }

    /**
     * What {@link #read} loaded.
     *
     * @param tensors the tensors by name, in the order of their data in the file (the order they were written in)
     * @param metadata the {@code __metadata__} map, empty if the file has none
     */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        /**
         * The tensor of this name.
         *
         * @throws IllegalArgumentException naming the tensors there are, if there is none of this name
         */
        public Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("no tensor named '" + name + "'; there are " + tensors.keySet());
            }
            return t;
        }
    }

    /** Writes tensors without metadata; see {@link #write(Path, Map, Map)}. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes tensors (F32 or I32) in the map's iteration order (use a {@code LinkedHashMap} to choose it) with
     * the metadata (omitted from the file when empty), atomically replacing {@code file} if it exists. On any
     * failure, I/O error or an exception from a tensor's memory alike, the temporary file is deleted and an
     * existing {@code file} is left as it was.
     *
     * @throws IllegalArgumentException for a null or reserved ({@value #METADATA_KEY}) tensor name or a null
     *     metadata key or value
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = headerBytes(tensors, metadata);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = createTemporary(dir, target.getFileName().toString());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                    Arena scratch = Arena.ofConfined()) {
                ByteBuffer length = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                length.putLong(0, header.length);
                writeFully(ch, length);
                writeFully(ch, ByteBuffer.wrap(header));
                MemorySegment chunk = scratch.allocate(CHUNK_BYTES, Tensor.ALIGNMENT_BYTES);
                ByteBuffer chunkBuffer = chunk.asByteBuffer();
                for (Tensor t : tensors.values()) {
                    writeData(ch, chunk, chunkBuffer, t.segment());
                }
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException | RuntimeException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
        syncDirectory(dir);
    }

    /** Validates a file's header against its length, without loading the data. */
    public static Header check(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        }
    }

    /**
     * Loads every tensor of a file into memory from {@code arena}, after validating the whole header against
     * the file's length. If the read fails after that (an I/O error, the file shrinking meanwhile), the tensors
     * already allocated stay in the arena until it is closed.
     */
    public static Contents read(Path file, TensorArena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                Arena scratch = Arena.ofConfined()) {
            Header header = readHeader(file, ch);
            MemorySegment chunk = scratch.allocate(CHUNK_BYTES, Tensor.ALIGNMENT_BYTES);
            ByteBuffer chunkBuffer = chunk.asByteBuffer();
            long dataStart = Long.BYTES + header.headerBytes();
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : header.entries()) {
                Tensor t = arena.allocate(e.shape(), e.loadedAs());
                readData(file, ch, chunk, chunkBuffer, dataStart, e, t.segment());
                tensors.put(e.name(), t);
            }
            return new Contents(Collections.unmodifiableMap(tensors), header.metadata());
        }
    }

    /** The padded header of a file holding these tensors and metadata, without the 8-byte length in front. */
    static byte[] headerBytes(Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Object> json = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                if (m.getKey() == null || m.getValue() == null) {
                    throw new IllegalArgumentException("safetensors metadata holds strings only, not the null in "
                            + m.getKey() + "=" + m.getValue());
                }
                meta.put(m.getKey(), m.getValue());
            }
            json.put(METADATA_KEY, meta);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("tensor name " + name + " is not allowed in a safetensors file");
            }
            Tensor t = e.getValue();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", switch (t.dtype()) {
                case F32 -> "F32";
                case I32 -> "I32";
            });
            List<Object> dims = new ArrayList<>();
            for (int d : t.shape().dims()) {
                dims.add((long) d);
            }
            entry.put("shape", dims);
            entry.put("data_offsets", List.of(offset, offset + t.byteSize()));
            offset += t.byteSize();
            json.put(name, entry);
        }
        byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) & ~7;
        byte[] header = new byte[padded];
        System.arraycopy(text, 0, header, 0, text.length);
        for (int i = text.length; i < padded; i++) {
            header[i] = ' ';
        }
        return header;
    }

    private static Path createTemporary(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                // not Files.createTempFile: its owner-only permissions would end up on the checkpoint
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 10) {
                    throw e;
                }
            }
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException unsupported) {
            // Not every platform can open or sync a directory; the rename itself already happened atomically.
        }
    }

    private static void writeData(FileChannel ch, MemorySegment chunk, ByteBuffer chunkBuffer, MemorySegment src)
            throws IOException {
        long n = src.byteSize();
        for (long off = 0; off < n; off += CHUNK_BYTES) {
            int len = (int) Math.min(CHUNK_BYTES, n - off);
            // copies 4-byte elements as ints, to little-endian whatever the platform order: bit-exact for floats
            MemorySegment.copy(src, ValueLayout.JAVA_INT_UNALIGNED, off, chunk, INT_LE, 0, len / Integer.BYTES);
            chunkBuffer.clear().limit(len);
            writeFully(ch, chunkBuffer);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void readData(Path file, FileChannel ch, MemorySegment chunk, ByteBuffer chunkBuffer,
            long dataStart, Entry e, MemorySegment dst) throws IOException {
        int srcSize = elementBytes(e.dtype());
        long n = e.byteSize();
        for (long off = 0; off < n; off += CHUNK_BYTES) {
            int len = (int) Math.min(CHUNK_BYTES, n - off);
            chunkBuffer.clear().limit(len);
            long position = dataStart + e.begin() + off;
            while (chunkBuffer.hasRemaining()) {
                int r = ch.read(chunkBuffer, position + chunkBuffer.position());
                if (r < 0) {
                    throw new SafetensorsException(file + ": the file ended at byte " + (position + chunkBuffer.position())
                            + " while reading tensor '" + e.name() + "'; did it shrink while being read?");
                }
            }
            long first = off / srcSize; // index of the chunk's first element
            int count = len / srcSize;
            switch (e.dtype()) {
                case "F32", "I32" -> MemorySegment.copy(chunk, INT_LE, 0, dst, ValueLayout.JAVA_INT_UNALIGNED,
                        off, count);
                case "F16" -> {
                    for (int i = 0; i < count; i++) {
                        float v = Float.float16ToFloat(chunk.get(SHORT_LE, 2L * i));
                        dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, first + i, v);
                    }
                }
                case "BF16" -> {
                    for (int i = 0; i < count; i++) {
                        float v = Float.intBitsToFloat((chunk.get(SHORT_LE, 2L * i) & 0xffff) << 16);
                        dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, first + i, v);
                    }
                }
                case "F64" -> {
                    for (int i = 0; i < count; i++) {
                        float v = (float) chunk.get(DOUBLE_LE, 8L * i);
                        dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, first + i, v);
                    }
                }
                default -> throw new AssertionError("dtype " + e.dtype() + " passed validation");
            }
        }
    }

    private static int elementBytes(String dtype) {
        return switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64" -> 8;
            default -> -1;
        };
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long fileBytes = ch.size();
        if (fileBytes < Long.BYTES) {
            throw fail(file, "the file is " + fileBytes + " bytes long, too short for the 8-byte header length"
                    + " that starts a safetensors file");
        }
        ByteBuffer lengthBuffer = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, lengthBuffer, 0);
        long n = lengthBuffer.getLong(0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw fail(file, "header length " + Long.toUnsignedString(n) + " bytes exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes: a corrupt file, or not a safetensors file");
        }
        if (n > fileBytes - Long.BYTES) {
            throw fail(file, "header length " + n + " bytes is larger than the " + (fileBytes - Long.BYTES)
                    + " bytes after the length field: the file is truncated, or not a safetensors file");
        }
        ByteBuffer headerBuffer = ByteBuffer.allocate((int) n);
        readFully(file, ch, headerBuffer, Long.BYTES);
        headerBuffer.flip();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBuffer)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file + ": header is not valid UTF-8 (" + e + ")", e);
        }
        String start = text.stripLeading(); // leading JSON whitespace is accepted, as the reference library does
        if (!start.startsWith("{")) {
            throw fail(file, "header does not start with '{' (found "
                    + (start.isEmpty() ? "an empty header" : "'" + start.charAt(0) + "'")
                    + "): the file is corrupt, or not a safetensors file");
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (JsonException e) {
            throw new SafetensorsException(file + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> rootMap)) {
            throw fail(file, "header is not a JSON object");
        }
        Map<String, String> metadata = Map.of();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> kv : rootMap.entrySet()) {
            String name = (String) kv.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(file, kv.getValue());
            } else {
                entries.add(entry(file, name, kv.getValue()));
            }
        }
        long dataBytes = fileBytes - Long.BYTES - n;
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : entries) {
            if (e.end() > dataBytes) {
                throw fail(file, "tensor '" + e.name() + "' has data_offsets " + offsets(e)
                        + " past the end of the data, which is " + dataBytes + " bytes: the file is truncated");
            }
            if (e.begin() < covered) {
                throw fail(file, "tensor '" + e.name() + "' at data_offsets " + offsets(e) + " overlaps tensor '"
                        + previous.name() + "' at " + offsets(previous));
            }
            if (e.begin() > covered) {
                throw fail(file, "data bytes [" + covered + ", " + e.begin() + ") before tensor '" + e.name()
                        + "' belong to no tensor; safetensors requires the tensors to cover the data exactly");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataBytes) {
            throw fail(file, "the file has " + (dataBytes - covered) + " bytes after the end of the last tensor's data"
                    + " (the tensors cover " + covered + " of " + dataBytes + " data bytes); safetensors requires"
                    + " the tensors to cover the data exactly");
        }
        return new Header(Collections.unmodifiableList(entries), metadata, n, dataBytes);
    }

    private static Map<String, String> metadata(Path file, Object value) throws SafetensorsException {
        if (!(value instanceof Map<?, ?> map)) {
            throw fail(file, "\"" + METADATA_KEY + "\" is " + describe(value) + ", not an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> kv : map.entrySet()) {
            if (!(kv.getValue() instanceof String s)) {
                throw fail(file, "\"" + METADATA_KEY + "\" value of key \"" + kv.getKey() + "\" is "
                        + describe(kv.getValue()) + "; safetensors metadata values must be strings");
            }
            metadata.put((String) kv.getKey(), s);
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static Entry entry(Path file, String name, Object value) throws SafetensorsException {
        String where = "tensor '" + name + "'";
        if (!(value instanceof Map<?, ?> map)) {
            throw fail(file, where + " is " + describe(value) + ", not an object with dtype, shape and data_offsets");
        }
        for (Object key : map.keySet()) {
            if (!ENTRY_FIELDS.contains(key)) {
                throw fail(file, where + " has an unknown field \"" + key + "\"; expected only " + ENTRY_FIELDS);
            }
        }
        for (String field : ENTRY_FIELDS) {
            if (!map.containsKey(field)) {
                throw fail(file, where + " is missing the field \"" + field + "\"");
            }
        }
        if (!(map.get("dtype") instanceof String dtype)) {
            throw fail(file, where + " has a dtype that is " + describe(map.get("dtype")) + ", not a string");
        }
        int elementBytes = elementBytes(dtype);
        if (elementBytes < 0) {
            throw fail(file, where + " has dtype \"" + dtype + "\", which mpsl cannot load; supported: F32, I32,"
                    + " and F16, BF16, F64 (converted to F32)");
        }
        long[] shapeValues = naturals(file, where, "shape", map.get("shape"), -1);
        long[] offsets = naturals(file, where, "data_offsets", map.get("data_offsets"), 2);
        int[] dims = new int[shapeValues.length];
        long elements = 1;
        for (int i = 0; i < dims.length; i++) {
            if (shapeValues[i] > Integer.MAX_VALUE) {
                throw fail(file, where + " has dimension " + shapeValues[i] + " at axis " + i
                        + ", more than the largest mpsl supports (" + Integer.MAX_VALUE + ")");
            }
            dims[i] = (int) shapeValues[i];
            elements = multiply(file, where, elements, dims[i]);
        }
        long needed = multiply(file, where, elements, elementBytes);
        Entry e = new Entry(name, dtype, Shape.of(dims), offsets[0], offsets[1]);
        if (e.end() < e.begin()) {
            throw fail(file, where + " has data_offsets " + offsets(e) + " that end before they begin");
        }
        if (e.byteSize() != needed) {
            throw fail(file, where + " of shape " + e.shape() + " and dtype " + dtype + " needs " + needed
                    + " bytes, but its data_offsets " + offsets(e) + " span " + e.byteSize() + " bytes");
        }
        return e;
    }

    private static long multiply(Path file, String where, long a, long b) throws SafetensorsException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException overflow) {
            throw fail(file, where + " has a shape whose byte size overflows a 64-bit integer");
        }
    }

    /** A JSON array of non-negative integers, of {@code length} elements unless that is -1. */
    private static long[] naturals(Path file, String where, String field, Object value, int length)
            throws SafetensorsException {
        String expected = length < 0 ? "an array of non-negative integers" : "an array of " + length
                + " non-negative integers";
        if (!(value instanceof List<?> list) || (length >= 0 && list.size() != length)) {
            throw fail(file, where + " has " + field + " " + Json.write(value) + ", not " + expected);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw fail(file, where + " has " + field + " " + Json.write(value) + ", not " + expected);
            }
            out[i] = v;
        }
        return out;
    }

    private static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof List<?>) {
            return "an array";
        }
        return "an object";
    }

    private static String offsets(Entry e) {
        return "[" + e.begin() + ", " + e.end() + "]";
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw fail(file, "the file ended at byte " + (position + b.position()) + " while reading its header");
            }
        }
    }

    private static SafetensorsException fail(Path file, String problem) {
        return new SafetensorsException(file + ": " + problem);
    }
}
