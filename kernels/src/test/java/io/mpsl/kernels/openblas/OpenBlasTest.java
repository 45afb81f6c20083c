package io.mpsl.kernels.openblas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mpsl.kernels.GemmAgreement;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenBlasTest {

    private static OpenBlas library() {
        OpenBlas.Loaded l = OpenBlas.shared();
        assumeTrue(l.ok(), () -> "OpenBLAS tests skipped, the library does not load here: " + l.failure());
        return l.library();
    }

    @Test
    void shouldLoadTheBundledLibraryAndReportItsConfig() {
        OpenBlas blas = library();
        System.out.println(blas);
        assertTrue(blas.config().contains("OpenBLAS"), blas.config());
    }

    @Test
    void shouldMatchDoubleReferenceOnAwkwardShapesSingleThreaded() {
        try (OpenBlasGemm g = new OpenBlasGemm(library(), 1)) {
            GemmAgreement.checkAll(g, GemmAgreement.AWKWARD, System.nanoTime());
            assertEquals(1, g.library().threads());
        }
    }

    @Test
    void shouldMatchDoubleReferenceOnAwkwardShapesWithTwoThreads() {
        try (OpenBlasGemm g = new OpenBlasGemm(library(), 2)) {
            GemmAgreement.checkAll(g, GemmAgreement.AWKWARD, System.nanoTime());
            assertEquals(Math.min(2, g.library().threads()), g.library().threads());
        }
    }

    @Test
    void shouldSetItsThreadCountBeforeEachCall() {
        OpenBlas blas = library();
        try (Arena arena = Arena.ofShared(); OpenBlasGemm one = new OpenBlasGemm(blas, 1);
                OpenBlasGemm two = new OpenBlasGemm(blas, 2)) {
            MemorySegment s = arena.allocate(4 * 64);
            two.sgemm(false, false, 4, 4, 4, 1f, s, 0, 4, s, 16, 4, 0f, s, 32, 4);
            assertEquals(2, blas.threads());
            one.sgemm(false, false, 4, 4, 4, 1f, s, 0, 4, s, 16, 4, 0f, s, 32, 4);
            assertEquals(1, blas.threads());
        }
    }

    @Test
    void shouldRejectBuffersTooSmallInsteadOfCrashing() {
        OpenBlas blas = library();
        try (Arena arena = Arena.ofShared(); OpenBlasGemm g = new OpenBlasGemm(blas, 1)) {
            MemorySegment small = arena.allocate(4 * 15);
            MemorySegment big = arena.allocate(4 * 64);
            Exception e = assertThrows(IndexOutOfBoundsException.class,
                    () -> g.sgemm(false, false, 4, 4, 4, 1f, small, 0, 4, big, 0, 4, 0f, big, 16, 4));
            System.out.println(e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> g.sgemm(false, false, 4, 4, 4, 1f, MemorySegment.ofArray(new float[16]), 0, 4, big, 0, 4, 0f,
                            big, 16, 4));
        }
    }

    @Test
    void shouldReportAMissingSystemLibraryWithTheReason() {
        OpenBlas.Loaded l = OpenBlas.load(Path.of("/nonexistent/libopenblas.so"));
        assertFalse(l.ok());
        assertNull(l.library());
        System.out.println(l.failure());
        assertTrue(l.failure().contains("/nonexistent/libopenblas.so"), l.failure());
    }

    @Test
    void shouldReportAFileThatIsNotALibraryWithTheReason(@TempDir Path dir) throws IOException {
        Path fake = Files.writeString(dir.resolve("libopenblas.so"), "not an ELF file");
        OpenBlas.Loaded l = OpenBlas.load(fake);
        assertFalse(l.ok());
        System.out.println(l.failure());
        assertTrue(l.failure().contains("could not be loaded"), l.failure());
    }

    @Test
    void shouldExtractTheBundledLibraryOnceIntoAVersionedFolder(@TempDir Path cache) throws IOException {
        OpenBlas.Loaded first = OpenBlas.loadBundled(cache);
        assumeTrue(first.ok(), () -> "bundled OpenBLAS does not load here: " + first.failure());
        List<Path> entries;
        try (Stream<Path> s = Files.list(cache)) {
            entries = s.toList();
        }
        assertEquals(1, entries.size(), "one versioned folder and no temporary leftovers: " + entries);
        Path dir = entries.get(0);
        assertTrue(Files.isRegularFile(dir.resolve("libopenblas.so.0")));
        assertTrue(Files.isRegularFile(dir.resolve("libgfortran.so.5")));
        long modified = Files.getLastModifiedTime(dir.resolve("libopenblas.so.0")).toMillis();
        OpenBlas.Loaded second = OpenBlas.loadBundled(cache);
        assertTrue(second.ok(), second::failure);
        assertEquals(modified, Files.getLastModifiedTime(dir.resolve("libopenblas.so.0")).toMillis());
    }

    @Test
    void shouldMakeTheProviderUnavailableWithTheReasonAndTryOnlyOnce() {
        OpenBlasBackendProvider p = new OpenBlasBackendProvider(Path.of("/nonexistent"));
        String why = p.unavailableReason();
        assertNotNull(why);
        assertTrue(why.contains("/nonexistent"), why);
        assertSame(p.loaded(), p.loaded(), "the load outcome is kept, not retried");
        assertThrows(IllegalStateException.class, () -> p.create(1));
    }
}
