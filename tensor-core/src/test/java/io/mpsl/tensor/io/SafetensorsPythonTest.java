package io.mpsl.tensor.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import io.mpsl.tensor.json.Json;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written here are read by the reference Python library, and files it writes are read here. Needs a
 * Python with {@code safetensors} and {@code numpy}: {@code MPSL_PYTHON} names it, else {@code python3} is tried;
 * without one the tests are skipped, saying so. Offline set-up on the project machines:
 * {@code python3 -m venv /tmp/stvenv && /tmp/stvenv/bin/pip install --no-index --find-links /opt/pypi/files
 * safetensors numpy}, then run with {@code MPSL_PYTHON=/tmp/stvenv/bin/python}.
 */
class SafetensorsPythonTest {
    private static final Path SCRIPT = Path.of("src/test/python/safetensors_compat.py");
    private static String python;
    private static String unavailable;

    @TempDir
    Path dir;

    private final TensorArena arena = new TensorArena(MemoryAccount.root("test"));

    @BeforeAll
    static void findPython() throws InterruptedException {
        String candidate = System.getenv().getOrDefault("MPSL_PYTHON", "python3");
        boolean usable;
        try {
            Process p = new ProcessBuilder(candidate, "-c", "import safetensors, numpy").redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            usable = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            usable = false;
        }
        python = candidate;
        unavailable = usable ? null : "skipped: " + candidate + " cannot import safetensors and numpy;"
                + " set MPSL_PYTHON to a Python that can (see the class javadoc)";
    }

    @BeforeEach
    void requirePython() {
        Assumptions.assumeTrue(unavailable == null, unavailable);
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    private String run(String command, Path file) throws IOException, InterruptedException {
        Path errFile = dir.resolve(command + ".stderr");
        Process p = new ProcessBuilder(python, SCRIPT.toString(), command, file.toString())
                .redirectError(errFile.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python timed out");
        assertEquals(0, p.exitValue(), "python " + command + " failed: " + Files.readString(errFile));
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void shouldWriteFilesThePythonLibraryReadsBitExactly() throws Exception {
        Random r = new Random(11);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("conv.weight", arena.allocate(4, 3, 3, 3));
        tensors.put("labels", arena.allocate(Shape.of(9), DType.I32));
        tensors.put("scalar", arena.allocate(Shape.of()));
        tensors.put("empty", arena.allocate(0, 5));
        tensors.put("ünï \"q\"", arena.allocate(2));
        for (Tensor t : tensors.values()) {
            for (long i = 0; i < t.size(); i++) {
                t.segment().setAtIndex(ValueLayout.JAVA_INT, i, r.nextInt());
            }
        }
        Map<String, String> metadata = Map.of("round", "3", "note", "✓ \"quoted\"\n");
        Path file = dir.resolve("java.safetensors");
        Safetensors.write(file, tensors, metadata);

        Map<String, Object> seen = Json.parseObject(run("read", file));

        assertEquals(metadata, seen.get("metadata"));
        Map<?, ?> seenTensors = (Map<?, ?>) seen.get("tensors");
        assertEquals(tensors.keySet(), seenTensors.keySet());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Map<?, ?> s = (Map<?, ?>) seenTensors.get(e.getKey());
            Tensor t = e.getValue();
            assertEquals(t.dtype() == DType.I32 ? "<i4" : "<f4", s.get("dtype"), e.getKey());
            List<Long> dims = new ArrayList<>();
            for (int d : t.shape().dims()) {
                dims.add((long) d);
            }
            assertEquals(dims, s.get("shape"), e.getKey());
            byte[] bytes = new byte[(int) t.byteSize()];
            for (long i = 0; i < t.size(); i++) {
                int v = t.segment().getAtIndex(ValueLayout.JAVA_INT, i);
                for (int k = 0; k < 4; k++) {
                    bytes[(int) (4 * i + k)] = (byte) (v >>> (8 * k)); // little-endian
                }
            }
            assertEquals(HexFormat.of().formatHex(bytes), s.get("hex"), "bytes of " + e.getKey());
        }
        assertEquals(ByteOrder.LITTLE_ENDIAN, ByteOrder.nativeOrder(), "the byte check above assumes this");
    }

    @Test
    void shouldReadFilesThePythonLibraryWrites() throws Exception {
        Path file = dir.resolve("python.safetensors");
        run("write", file);

        Safetensors.Contents c = Safetensors.read(file, arena);

        assertEquals(Map.of("framework", "np", "note", "ünï \"q\""), c.metadata());
        assertEquals(Shape.of(6, 7), c.tensor("w32").shape());
        assertArrayEquals(known(42), c.tensor("w32").toFloatArray());
        assertEquals(Shape.of(3, 11), c.tensor("half").shape());
        assertArrayEquals(known(33), c.tensor("half").toFloatArray(), "F16 converted to F32");
        assertArrayEquals(known(5), c.tensor("double").toFloatArray(), "F64 converted to F32");
        assertEquals(Shape.of(), c.tensor("scalar").shape());
        assertEquals(1.5f, c.tensor("scalar").get(0));
        int[] labels = new int[10];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i * i - 50;
        }
        assertEquals(DType.I32, c.tensor("labels").dtype());
        assertArrayEquals(labels, c.tensor("labels").toIntArray());
        assertEquals(c.tensors().keySet(), Safetensors.check(file).entries().stream()
                .map(Safetensors.Entry::name).collect(java.util.stream.Collectors.toSet()));
    }

    /** The script's known values, (i % 97 - 48) / 16: exact in every float type used. */
    private static float[] known(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i % 97 - 48) / 16f;
        }
        return a;
    }
}
