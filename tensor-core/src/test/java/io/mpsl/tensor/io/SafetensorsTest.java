package io.mpsl.tensor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import io.mpsl.tensor.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    private final MemoryAccount account = MemoryAccount.root("test");
    private final TensorArena arena = new TensorArena(account);

    @AfterEach
    void closeArena() {
        arena.close();
    }

    // ---- helpers that build files from the format's definition, independently of Safetensors ----

    /** 8-byte little-endian length of the UTF-8 header, the header, then the data. */
    private static byte[] assemble(String header, byte[]... data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long n = h.length;
        for (int i = 0; i < 8; i++) {
            out.write((int) (n >>> (8 * i)) & 0xff);
        }
        out.writeBytes(h);
        for (byte[] d : data) {
            out.writeBytes(d);
        }
        return out.toByteArray();
    }

    private static byte[] floatsLE(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static byte[] intsLE(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    private static byte[] shortsLE(int... values) {
        ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    private static byte[] doublesLE(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    private Path put(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    private static long headerLength(byte[] file) {
        return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static String headerText(byte[] file) {
        return new String(file, 8, (int) headerLength(file), StandardCharsets.UTF_8);
    }

    // ---- (a) a file assembled by hand ----

    @Test
    void shouldReadHandAssembledFileWithMetadata() throws IOException {
        // header order differs from data order on purpose: the data order decides
        String header = "{\"__metadata__\":{\"format\":\"pt\",\"step\":\"12\"},"
                + "\"labels\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[24,32]},"
                + "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
        Path file = put("hand.safetensors",
                assemble(header, floatsLE(1f, -2.5f, 3e-8f, Float.MAX_VALUE, -0f, 6f), intsLE(7, -8)));

        Safetensors.Contents c = Safetensors.read(file, arena);

        assertEquals(List.of("fc.weight", "labels"), new ArrayList<>(c.tensors().keySet()));
        Tensor w = c.tensor("fc.weight");
        assertEquals(Shape.of(2, 3), w.shape());
        assertEquals(DType.F32, w.dtype());
        assertArrayEquals(new float[] {1f, -2.5f, 3e-8f, Float.MAX_VALUE, -0f, 6f}, w.toFloatArray());
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(w.get(4)));
        Tensor labels = c.tensor("labels");
        assertEquals(DType.I32, labels.dtype());
        assertArrayEquals(new int[] {7, -8}, labels.toIntArray());
        assertEquals(Map.of("format", "pt", "step", "12"), c.metadata());
        assertEquals(List.of("format", "step"), new ArrayList<>(c.metadata().keySet()));
        assertEquals(0, w.segment().address() % Tensor.ALIGNMENT_BYTES, "loaded into 64-byte-aligned arena memory");
        assertEquals(24 + 8, account.liveBytes(), "loaded tensors are charged to the arena's account");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> c.tensor("bias"));
        assertTrue(missing.getMessage().contains("bias") && missing.getMessage().contains("fc.weight"),
                missing.getMessage());
    }

    @Test
    void shouldReadScalarsEmptyTensorsAndPaddedHeaders() throws IOException {
        String header = "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]}}    \n\t ";
        Safetensors.Contents c = Safetensors.read(put("s.safetensors", assemble(header, floatsLE(2.5f))), arena);
        assertEquals(Shape.of(), c.tensor("s").shape());
        assertEquals(2.5f, c.tensor("s").get(0));
        assertEquals(Shape.of(0, 3), c.tensor("e").shape());
        assertEquals(0, c.tensor("e").byteSize());
        assertEquals(Map.of(), c.metadata());
    }

    @Test
    void shouldConvertHalfBfloatAndDoubleToFloat() throws IOException {
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[8,14]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[14,30]}}";
        byte[] file = assemble(header,
                shortsLE(0x3C00, 0xC000, 0x3555, 0x7C00), // 1, -2, 0.333251953125, +inf
                shortsLE(0x3F80, 0xC0A0, 0x0000),         // 1, -5, 0
                doublesLE(0.1, -1e300));
        Safetensors.Contents c = Safetensors.read(put("conv.safetensors", file), arena);
        assertArrayEquals(new float[] {1f, -2f, 0.333251953125f, Float.POSITIVE_INFINITY},
                c.tensor("h").toFloatArray());
        assertArrayEquals(new float[] {1f, -5f, 0f}, c.tensor("b").toFloatArray());
        assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY}, c.tensor("d").toFloatArray());
        assertEquals(DType.F32, c.tensor("h").dtype());
        assertEquals("F16", Safetensors.check(dir.resolve("conv.safetensors")).entries().get(0).dtype());
    }

    // ---- (b) write then read ----

    @Test
    void shouldRoundTripRandomTensorsBitExactly() throws IOException {
        Random r = new Random(20261121);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("conv1.weight", randomBits(r, Shape.of(8, 3, 5, 5), DType.F32));
        tensors.put("scalar", randomBits(r, Shape.of(), DType.F32));
        tensors.put("empty", randomBits(r, Shape.of(0, 7), DType.F32));
        tensors.put("big", randomBits(r, Shape.of(300_007), DType.F32)); // spans two I/O chunks
        tensors.put("labels", randomBits(r, Shape.of(33), DType.I32));
        tensors.put("ünïcode \"name\"", randomBits(r, Shape.of(1, 1), DType.F32));
        tensors.get("scalar").segment().set(ValueLayout.JAVA_INT, 0, 0x7fc01234); // a NaN with a payload
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("round", "7");
        metadata.put("model", "vgg5 \"split\" at 2 \n ✓");

        Path file = dir.resolve("ckpt.safetensors");
        Safetensors.write(file, tensors, metadata);
        MemoryAccount loadAccount = MemoryAccount.root("load");
        try (TensorArena loadArena = new TensorArena(loadAccount)) {
            Safetensors.Contents c = Safetensors.read(file, loadArena);
            assertEquals(new ArrayList<>(tensors.keySet()), new ArrayList<>(c.tensors().keySet()), "order kept");
            long total = 0;
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor expected = e.getValue();
                Tensor actual = c.tensor(e.getKey());
                assertEquals(expected.shape(), actual.shape(), e.getKey());
                assertEquals(expected.dtype(), actual.dtype(), e.getKey());
                assertEquals(-1, expected.segment().mismatch(actual.segment()), "bytes of " + e.getKey());
                total += expected.byteSize();
            }
            assertEquals(metadata, c.metadata());
            assertEquals(List.copyOf(metadata.keySet()), List.copyOf(c.metadata().keySet()));
            assertEquals(total, loadAccount.liveBytes());
            assertEquals(8 + headerLength(Files.readAllBytes(file)) + total, Files.size(file));
        }
    }

    private Tensor randomBits(Random r, Shape shape, DType dtype) {
        Tensor t = arena.allocate(shape, dtype);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.size(); i++) {
            s.setAtIndex(ValueLayout.JAVA_INT, i, r.nextInt());
        }
        return t;
    }

    @Test
    void shouldReplaceAnExistingFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, Map.of("a", arena.allocate(3).fill(1f)));
        Safetensors.write(file, Map.of("b", arena.allocate(2).fill(2f)));
        Safetensors.Contents c = Safetensors.read(file, arena);
        assertEquals(List.of("b"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new float[] {2f, 2f}, c.tensor("b").toFloatArray());
        assertEquals(List.of(file), listDir());
    }

    // ---- (c) what the Python safetensors library reads ----

    @Test
    void shouldWriteExactlyTheBytesOfTheReferenceLibrary() throws IOException {
        // The reference implementation serializes one F32 tensor "attn.0" of shape (1, 2, 3) holding 0..5 as
        // compact JSON with keys dtype, shape, data_offsets; this header is 64 bytes, so it gets no padding.
        Tensor t = arena.allocate(1, 2, 3).copyFrom(new float[] {0, 1, 2, 3, 4, 5});
        Path file = dir.resolve("ref.safetensors");
        Safetensors.write(file, Map.of("attn.0", t));
        String header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        assertEquals(64, header.length());
        assertArrayEquals(assemble(header, floatsLE(0, 1, 2, 3, 4, 5)), Files.readAllBytes(file));

        // No tensors, metadata {"framework": "pt"}: 35 bytes of JSON padded with 5 spaces to 40.
        Safetensors.write(file, Map.of(), Map.of("framework", "pt"));
        assertArrayEquals(assemble("{\"__metadata__\":{\"framework\":\"pt\"}}     "), Files.readAllBytes(file));

        Safetensors.write(file, Map.of());
        assertArrayEquals(assemble("{}      "), Files.readAllBytes(file));
    }

    @Test
    void shouldWriteHeaderThePythonLibraryAccepts() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("layer.0.weight", arena.allocate(4, 3));
        tensors.put("layer.0.bias", arena.allocate(3));
        tensors.put("labels", arena.allocate(Shape.of(5), DType.I32));
        tensors.put("zero", arena.allocate(0));
        tensors.put("名前", arena.allocate(1));
        Path file = dir.resolve("py.safetensors");
        Safetensors.write(file, tensors, Map.of("epoch", "3", "quote\"key", "line\nbreak"));
        byte[] bytes = Files.readAllBytes(file);

        long n = headerLength(bytes);
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        String header = headerText(bytes);
        String json = header.stripTrailing();
        assertTrue(header.substring(json.length()).chars().allMatch(ch -> ch == ' '), "padding is spaces only");
        assertTrue(json.startsWith("{\"__metadata__\":{"), "metadata first, compact");
        Map<String, Object> root = Json.parseObject(header);
        Map<?, ?> meta = assertInstanceOf(Map.class, root.get("__metadata__"));
        for (Object v : meta.values()) {
            assertInstanceOf(String.class, v, "metadata values must be strings");
        }
        long expectedBegin = 0;
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            names.add(e.getKey());
            Map<?, ?> entry = assertInstanceOf(Map.class, e.getValue());
            assertEquals(List.of("dtype", "shape", "data_offsets"), new ArrayList<>(entry.keySet()));
            assertTrue(List.of("F32", "I32").contains(entry.get("dtype")));
            List<?> shape = assertInstanceOf(List.class, entry.get("shape"));
            long elements = 1;
            for (Object d : shape) {
                elements *= assertInstanceOf(Long.class, d, "shape entries are integers");
            }
            List<?> offsets = assertInstanceOf(List.class, entry.get("data_offsets"));
            assertEquals(expectedBegin, offsets.get(0), "tensors are contiguous, in order");
            expectedBegin = (Long) offsets.get(1);
            assertEquals(elements * 4, expectedBegin - (Long) offsets.get(0));
        }
        assertEquals(List.copyOf(tensors.keySet()), names);
        assertEquals(bytes.length - 8 - n, expectedBegin, "the data is covered exactly");
        assertEquals(n, Safetensors.check(file).headerBytes());
    }

    // ---- (d) rejections ----

    private SafetensorsException assertRejected(byte[] content, String... fragments) throws IOException {
        Path file = put("bad.safetensors", content);
        SafetensorsException checked = assertThrows(SafetensorsException.class, () -> Safetensors.check(file));
        SafetensorsException read = assertThrows(SafetensorsException.class, () -> Safetensors.read(file, arena));
        assertEquals(checked.getMessage(), read.getMessage(), "check and read must agree");
        String m = read.getMessage();
        assertTrue(m.startsWith(file + ": "), "the message names the file: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "expected \"" + f + "\" in: " + m);
        }
        assertEquals(0, account.liveBytes(), "nothing is allocated for a rejected file: " + m);
        return read;
    }

    private static final String TWO_TENSORS = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
            + "\"y\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]}}";

    @Test
    void shouldRejectFilesTruncatedAnywhere() throws IOException {
        byte[] good = assemble(TWO_TENSORS, floatsLE(1, 2, 3, 4), intsLE(5, 6));
        Safetensors.read(put("good.safetensors", good), arena);
        long before = account.liveBytes();
        int headerEnd = 8 + TWO_TENSORS.length();
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            Path file = put("cut.safetensors", truncated);
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.read(file, arena),
                    "cut at " + cut);
            String m = e.getMessage();
            if (cut < 8) {
                assertTrue(m.contains("the file is " + cut + " bytes long, too short for the 8-byte header length"), m);
            } else if (cut < headerEnd) {
                assertTrue(m.contains("header length " + TWO_TENSORS.length() + " bytes is larger than the "
                        + (cut - 8) + " bytes after the length field: the file is truncated"), m);
            } else {
                assertTrue(m.contains("past the end of the data, which is " + (cut - headerEnd)
                        + " bytes: the file is truncated"), m);
            }
        }
        assertEquals(before, account.liveBytes(), "no truncated file allocates anything");
    }

    @Test
    void shouldRejectAbsurdHeaderLengths() throws IOException {
        byte[] ones = new byte[64];
        Arrays.fill(ones, (byte) 0xff);
        assertRejected(ones, "header length 18446744073709551615 bytes exceeds the limit of 100000000 bytes");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L);
        assertRejected(b.array(), "header length 100000001 bytes exceeds the limit");
        assertRejected("PK\u0003\u0004 this is a zip".getBytes(StandardCharsets.ISO_8859_1), "exceeds the limit");
    }

    @Test
    void shouldRejectGarbledHeaders() throws IOException {
        byte[] data = floatsLE(1, 2, 3, 4);
        String ok = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        assertRejected(assemble(ok.replace(",\"shape\"", " \"shape\""), data),
                "header is not valid JSON: expected ',' or '}' after an object member at line 1, column 21 (offset 20), found '\"'");
        assertRejected(assemble("x" + ok.substring(1), data), "header does not start with '{' (found 'x')");
        assertRejected(assemble(" \n[" + ok + "]", data), "does not start with '{' (found '[')");
        try (TensorArena other = new TensorArena(MemoryAccount.root("other"))) {
            assertEquals(1, Safetensors.read(put("ws.safetensors", assemble(" \n" + ok, data)), other)
                    .tensors().size(), "leading whitespace is accepted, as by the reference library");
        }
        assertRejected(assemble("[" + ok + "]", data), "does not start with '{'");
        assertRejected(assemble("", data), "found an empty header");
        assertRejected(assemble(ok.substring(0, ok.length() - 1), data), "header is not valid JSON", "end of input");
        byte[] badUtf8 = assemble(ok.replace("\"w\"", "\"\u00ff\""), data);
        badUtf8[10] = (byte) 0xff; // a lone 0xff is never valid UTF-8
        assertRejected(badUtf8, "header is not valid UTF-8");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", data),
                "not valid JSON", "duplicate key \"w\"");
    }

    @Test
    void shouldRejectMissingAndIllTypedFields() throws IOException {
        byte[] data = floatsLE(1, 2, 3, 4);
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", data),
                "tensor 'w' is missing the field \"shape\"");
        assertRejected(assemble("{\"w\":{\"shape\":[4],\"data_offsets\":[0,16]}}", data),
                "tensor 'w' is missing the field \"dtype\"");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[4]}}", data),
                "tensor 'w' is missing the field \"data_offsets\"");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"offsets\":[0,16]}}", data),
                "tensor 'w' has an unknown field \"offsets\"");
        assertRejected(assemble("{\"w\":{\"dtype\":32,\"shape\":[4],\"data_offsets\":[0,16]}}", data),
                "tensor 'w' has a dtype that is a number, not a string");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,\"2\"],\"data_offsets\":[0,16]}}", data),
                "tensor 'w' has shape [2,\"2\"], not an array of non-negative integers");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", data),
                "shape [-4], not an array of non-negative integers");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}}", data),
                "shape [4.0], not an array");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", data),
                "shape 4, not an array");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16]}}", data),
                "data_offsets [16], not an array of 2 non-negative integers");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16,32]}}", data),
                "not an array of 2");
        assertRejected(assemble("{\"w\":[\"F32\",[4],[0,16]]}", data),
                "tensor 'w' is an array, not an object with dtype, shape and data_offsets");
        assertRejected(assemble("{\"__metadata__\":{\"epoch\":3},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data),
                "\"__metadata__\" value of key \"epoch\" is a number; safetensors metadata values must be strings");
        assertRejected(assemble("{\"__metadata__\":[],"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data),
                "\"__metadata__\" is an array, not an object of strings");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[3000000000],\"data_offsets\":[0,16]}}", data),
                "dimension 3000000000 at axis 0");
    }

    @Test
    void shouldRejectUnsupportedDtypesNamingThem() throws IOException {
        for (String dtype : List.of("U8", "I64", "BOOL", "F8_E4M3", "float32", "f32")) {
            assertRejected(assemble("{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[4],\"data_offsets\":[0,4]}}",
                    new byte[4]), "tensor 'w' has dtype \"" + dtype + "\", which mpsl cannot load",
                    "supported: F32, I32, and F16, BF16, F64 (converted to F32)");
        }
    }

    @Test
    void shouldRejectOffsetsThatDisagreeWithShapeOrData() throws IOException {
        byte[] data = floatsLE(1, 2, 3, 4, 5, 6);
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", data),
                "tensor 'w' of shape (2, 3) and dtype F32 needs 24 bytes, but its data_offsets [0, 20] span 20 bytes");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F16\",\"shape\":[6],\"data_offsets\":[0,24]}}", data),
                "dtype F16 needs 12 bytes, but its data_offsets [0, 24] span 24 bytes");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", data),
                "tensor 'w' has data_offsets [0, 32] past the end of the data, which is 24 bytes");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,8]}}", data),
                "tensor 'w' has data_offsets [16, 8] that end before they begin");
        assertRejected(assemble("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", data),
                "tensor 'b' at data_offsets [8, 24] overlaps tensor 'a' at [0, 16]");
        assertRejected(assemble("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", data),
                "data bytes [8, 16) before tensor 'b' belong to no tensor");
        assertRejected(assemble("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", data),
                "data bytes [0, 8) before tensor 'a' belong to no tensor");
        assertRejected(assemble("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", data),
                "the file has 8 bytes after the end of the last tensor's data (the tensors cover 16 of 24 data bytes)");
        assertRejected(assemble("{}", data), "the file has 24 bytes after the end");
        assertRejected(assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,4],"
                + "\"data_offsets\":[0,24]}}", data), "byte size overflows");
    }

    // ---- (e) failed saves ----

    private List<Path> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void shouldLeaveExistingFileIntactWhenATensorFailsMidWrite() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Safetensors.write(file, Map.of("old", arena.allocate(4).fill(3f)), Map.of("round", "1"));
        byte[] original = Files.readAllBytes(file);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("first", arena.allocate(400_000).fill(1f)); // over a megabyte written before the failure
        TensorArena doomed = new TensorArena(MemoryAccount.root("doomed"));
        tensors.put("second", doomed.allocate(16));
        doomed.close(); // its memory is gone: reading it throws while the file is half written

        assertThrows(IllegalStateException.class, () -> Safetensors.write(file, tensors, Map.of("round", "2")));
        assertArrayEquals(original, Files.readAllBytes(file), "the old checkpoint must survive");
        assertEquals(List.of(file), listDir(), "no temporary file may be left behind");
        assertEquals(Map.of("round", "1"), Safetensors.read(file, arena).metadata());
    }

    @Test
    void shouldCleanUpWhenTheFinalRenameFails() throws IOException {
        Path target = dir.resolve("taken");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "x");
        assertThrows(IOException.class, () -> Safetensors.write(target, Map.of("a", arena.allocate(2))));
        assertEquals(List.of(target), listDir(), "no temporary file may be left behind");
        assertEquals("x", Files.readString(target.resolve("keep.txt")));
    }

    @Test
    void shouldCreateNothingWhenTheDirectoryIsMissingOrANameIsReserved() throws IOException {
        assertThrows(NoSuchFileException.class,
                () -> Safetensors.write(dir.resolve("no/such/dir/x.safetensors"), Map.of("a", arena.allocate(1))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(dir.resolve("x.safetensors"), Map.of("__metadata__", arena.allocate(1))));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
        assertEquals(List.of(), listDir());
    }

    // ---- check ----

    @Test
    void shouldCheckAFileWithoutLoadingIt() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", arena.allocate(3, 4));
        tensors.put("y", arena.allocate(Shape.of(2), DType.I32));
        Path file = dir.resolve("m.safetensors");
        Safetensors.write(file, tensors, Map.of("k", "v"));
        long live = account.liveBytes();

        Safetensors.Header h = Safetensors.check(file);

        assertEquals(live, account.liveBytes());
        assertEquals(2, h.entries().size());
        Safetensors.Entry w = h.entries().get(0);
        assertEquals(new Safetensors.Entry("w", "F32", Shape.of(3, 4), 0, 48), w);
        assertEquals(DType.F32, w.loadedAs());
        assertEquals(new Safetensors.Entry("y", "I32", Shape.of(2), 48, 56), h.entries().get(1));
        assertEquals(DType.I32, h.entries().get(1).loadedAs());
        assertEquals(Map.of("k", "v"), h.metadata());
        assertEquals(56, h.dataBytes());
        assertEquals(Files.size(file), 8 + h.headerBytes() + h.dataBytes());
    }
}
