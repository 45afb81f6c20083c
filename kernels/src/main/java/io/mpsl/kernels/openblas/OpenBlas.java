package io.mpsl.kernels.openblas;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * OpenBLAS through FFM downcalls: {@code cblas_sgemm} and the thread-count controls.
 *
 * <p>Where the library comes from: the file named by {@value #PATH_PROPERTY} if that property is set (a
 * system OpenBLAS), else the copy bundled in the {@code org.bytedeco:openblas:linux-x86_64} jar on the class
 * path. The bundled copy and the runtime libraries beside it ({@code libgfortran}, {@code libquadmath},
 * {@code libgcc_s}) are extracted once into {@code ~/.cache/mpsl/openblas/VERSION/} (or
 * {@value #CACHE_PROPERTY}), through a temporary folder renamed into place, so concurrent first runs never
 * see half-written files. Dependencies are loaded before {@code libopenblas.so.0}.
 *
 * <p>Loading never throws: {@link #load(Path)} and {@link #loadBundled(Path)} return a {@link Loaded} with
 * either the library or the reason it could not be loaded, which {@code OpenBlasBackendProvider} reports as
 * its {@code unavailableReason()}.
 *
 * <p>Threads: OpenBLAS keeps one process-wide pool. {@link #setThreads(int)} is called by each
 * {@link OpenBlasGemm} before a call only when the count differs from the last one set, so GEMMs of
 * backends with different thread counts can alternate. Before the library is first loaded, and unless the
 * user set it, {@code OPENBLAS_THREAD_TIMEOUT} is set to {@value #THREAD_TIMEOUT_LOG2} (its workers spin
 * about 2^{@value #THREAD_TIMEOUT_LOG2} cycles after a GEMM, instead of the default 2^28 -- a tenth of a
 * second -- before they sleep), so the engine's own parallel loops that run between GEMMs get the cores.
 */
@SuppressWarnings("restricted") // loading native code is what this class is for
public final class OpenBlas {
    /** System property: path of a libopenblas.so to use instead of the bundled one. */
    public static final String PATH_PROPERTY = "mpsl.openblas.path";
    /** System property: folder to extract the bundled library into (default ~/.cache/mpsl/openblas). */
    public static final String CACHE_PROPERTY = "mpsl.openblas.cache";
    /** log2 of the cycles OpenBLAS workers spin after a call before they sleep (OpenBLAS's default is 28). */
    public static final int THREAD_TIMEOUT_LOG2 = 20;

    static final int ROW_MAJOR = 101;
    static final int NO_TRANS = 111;
    static final int TRANS = 112;

    private static final String RESOURCE_DIR = "org/bytedeco/openblas/linux-x86_64/";
    private static final String POM_PROPERTIES = "META-INF/maven/org.bytedeco/openblas/pom.properties";
    /** Bundled libraries in load order: dependencies first. */
    private static final String[] BUNDLED = {"libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5",
            "libopenblas.so.0"};

    private static final Linker LINKER = Linker.nativeLinker();
    private static Loaded shared;
    private static int threadsSet = -1;

    private final Path path;
    private final MethodHandle sgemm;
    private final MethodHandle setNumThreads;
    private final MethodHandle getNumThreads;
    private final String config;
    private final String coreName;

    /** A loaded library, or why none could be loaded: exactly one of the two is non-null. */
    public record Loaded(OpenBlas library, String failure) {
        public boolean ok() {
            return library != null;
        }
    }

    private OpenBlas(Path path, SymbolLookup lookup) {
        this.path = path;
        this.sgemm = LINKER.downcallHandle(find(lookup, "cblas_sgemm"), FunctionDescriptor.ofVoid(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        this.setNumThreads = LINKER.downcallHandle(find(lookup, "openblas_set_num_threads"),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        // a few instructions that never block a safepoint for long: a critical call is safe here
        this.getNumThreads = LINKER.downcallHandle(find(lookup, "openblas_get_num_threads"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT), Linker.Option.critical(false));
        this.config = callString(lookup, "openblas_get_config");
        this.coreName = callString(lookup, "openblas_get_corename");
    }

    /**
     * The process-wide library: from {@value #PATH_PROPERTY} if set, else the bundled one. Loaded on first
     * call; later calls return the same result.
     */
    public static synchronized Loaded shared() {
        if (shared == null) {
            String p = System.getProperty(PATH_PROPERTY);
            shared = p != null && !p.isBlank() ? load(Path.of(p.trim())) : loadBundled(defaultCacheRoot());
        }
        return shared;
    }

    /** Loads a libopenblas shared library from a file (a system OpenBLAS). */
    public static Loaded load(Path library) {
        if (!Files.isRegularFile(library)) {
            return new Loaded(null, "OpenBLAS library " + library + " is not a file; point -D" + PATH_PROPERTY
                    + " to a libopenblas.so, or unset it to use the bundled copy");
        }
        try (InputStream in = Files.newInputStream(library)) {
            byte[] magic = in.readNBytes(4);
            if (magic.length < 4 || magic[0] != 0x7f || magic[1] != 'E' || magic[2] != 'L' || magic[3] != 'F') {
                return new Loaded(null, "OpenBLAS library " + library + " could not be loaded: not an ELF shared"
                        + " library");
            }
        } catch (IOException e) {
            return new Loaded(null, "OpenBLAS library " + library + " could not be read: " + e);
        }
        try {
            return open(library);
        } catch (RuntimeException | LinkageError e) {
            return new Loaded(null, "OpenBLAS library " + library + " could not be loaded: " + e);
        }
    }

    /**
     * Loads the copy of OpenBLAS bundled in the org.bytedeco:openblas jar, extracting it under
     * {@code cacheRoot/VERSION/} first if needed.
     */
    public static Loaded loadBundled(Path cacheRoot) {
        ClassLoader cl = OpenBlas.class.getClassLoader();
        if (cl.getResource(RESOURCE_DIR + "libopenblas.so.0") == null) {
            return new Loaded(null, "the org.bytedeco:openblas:linux-x86_64 jar (resource " + RESOURCE_DIR
                    + "libopenblas.so.0) is not on the class path, and -D" + PATH_PROPERTY + " is not set");
        }
        Path dir;
        try {
            dir = extract(cl, cacheRoot.resolve(bundledVersion(cl)));
        } catch (IOException | RuntimeException e) {
            return new Loaded(null, "bundled OpenBLAS could not be extracted into " + cacheRoot + ": " + e
                    + " (set -D" + CACHE_PROPERTY + " to a writable folder)");
        }
        try {
            for (int i = 0; i < BUNDLED.length - 1; i++) {
                // loaded for the side effect only: libopenblas then finds them by soname
                SymbolLookup.libraryLookup(dir.resolve(BUNDLED[i]), Arena.global());
            }
            return open(dir.resolve(BUNDLED[BUNDLED.length - 1]));
        } catch (RuntimeException | LinkageError e) {
            return new Loaded(null, "bundled OpenBLAS in " + dir + " could not be loaded: " + e);
        }
    }

    private static Loaded open(Path library) {
        limitSpinning();
        // Arena.global(): a BLAS library is never unloaded while its worker threads may exist
        SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
        if (lookup.find("cblas_sgemm").isEmpty()) {
            return new Loaded(null, library + " has no cblas_sgemm symbol; is it an OpenBLAS build?");
        }
        if (lookup.find("openblas_set_num_threads").isEmpty()) {
            return new Loaded(null, library + " has no openblas_set_num_threads symbol; is it OpenBLAS?");
        }
        return new Loaded(new OpenBlas(library, lookup), null);
    }

    /** Path the library was loaded from. */
    public Path path() {
        return path;
    }

    /** openblas_get_config(), e.g. "OpenBLAS 0.3.28 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64". */
    public String config() {
        return config;
    }

    /** openblas_get_corename(), the kernel family chosen for this CPU, e.g. "SkylakeX"; "" if absent. */
    public String coreName() {
        return coreName;
    }

    /** Sets OpenBLAS's process-wide thread count, if it differs from the last one set through this class. */
    public void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("OpenBLAS threads must be >= 1, got " + threads);
        }
        synchronized (OpenBlas.class) {
            if (threadsSet != threads) {
                try {
                    setNumThreads.invokeExact(threads);
                } catch (Throwable t) {
                    throw new IllegalStateException("openblas_set_num_threads(" + threads + ") failed", t);
                }
                threadsSet = threads;
            }
        }
    }

    /** openblas_get_num_threads(). */
    public int threads() {
        try {
            return (int) getNumThreads.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_num_threads failed", t);
        }
    }

    /**
     * C = alpha * op(A) * op(B) + beta * C, row-major, through cblas_sgemm on the calling thread (OpenBLAS
     * uses its own pool inside). Segments must be native; bounds are checked here since native code does not.
     */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a,
            long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset,
            int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        checkMatrix("A", a, aOffset, transA ? k : m, transA ? m : k, lda);
        checkMatrix("B", b, bOffset, transB ? n : k, transB ? k : n, ldb);
        checkMatrix("C", c, cOffset, m, n, ldc);
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                    a.asSlice(aOffset * Float.BYTES), Math.max(lda, 1), b.asSlice(bOffset * Float.BYTES),
                    Math.max(ldb, 1), beta, c.asSlice(cOffset * Float.BYTES), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    /** Checks that a rows x cols row-major matrix with leading dimension ld fits in s from offset. */
    static void checkMatrix(String name, MemorySegment s, long offset, int rows, int cols, int ld) {
        if (!s.isNative()) {
            throw new IllegalArgumentException(name + " must be off-heap memory for OpenBLAS, got " + s);
        }
        if (rows < 0 || cols < 0 || offset < 0 || ld < Math.max(cols, 1)) {
            throw new IllegalArgumentException(name + ": bad geometry rows=" + rows + " cols=" + cols + " offset="
                    + offset + " ld=" + ld);
        }
        if (rows > 0 && cols > 0) {
            long lastBytes = (offset + (long) (rows - 1) * ld + cols) * Float.BYTES;
            if (lastBytes > s.byteSize()) {
                throw new IndexOutOfBoundsException(name + " (" + rows + " x " + cols + ", ld " + ld + ", offset "
                        + offset + ") needs " + lastBytes + " bytes, segment has " + s.byteSize());
            }
        }
    }

    static Path defaultCacheRoot() {
        String p = System.getProperty(CACHE_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p.trim());
        }
        return Path.of(System.getProperty("user.home"), ".cache", "mpsl", "openblas");
    }

    private static String bundledVersion(ClassLoader cl) throws IOException {
        try (InputStream in = cl.getResourceAsStream(POM_PROPERTIES)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && v.matches("[A-Za-z0-9._-]+")) {
                    return v;
                }
            }
        }
        return "unknown";
    }

    /** Extracts the bundled libraries into dir unless all are already there; returns dir. */
    private static Path extract(ClassLoader cl, Path dir) throws IOException {
        if (complete(dir)) {
            return dir;
        }
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".tmp-");
        try {
            for (String lib : BUNDLED) {
                try (InputStream in = cl.getResourceAsStream(RESOURCE_DIR + lib)) {
                    if (in == null) {
                        throw new IOException("resource " + RESOURCE_DIR + lib + " is missing from the jar");
                    }
                    Files.copy(in, tmp.resolve(lib));
                }
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                if (!complete(dir)) {
                    throw e;
                }
            } catch (IOException e) {
                // another process renamed its copy into place first (rename onto a non-empty folder fails)
                if (!complete(dir)) {
                    throw e;
                }
            }
        } finally {
            deleteTree(tmp);
        }
        return dir;
    }

    private static boolean complete(Path dir) {
        for (String lib : BUNDLED) {
            if (!Files.isRegularFile(dir.resolve(lib))) {
                return false;
            }
        }
        return true;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /** Sets OPENBLAS_THREAD_TIMEOUT in the process environment, unless the user set it (see class doc). */
    private static void limitSpinning() {
        try {
            SymbolLookup libc = LINKER.defaultLookup();
            MethodHandle getenv = LINKER.downcallHandle(find(libc, "getenv"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle setenv = LINKER.downcallHandle(find(libc, "setenv"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_INT));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment name = arena.allocateFrom("OPENBLAS_THREAD_TIMEOUT");
                MemorySegment current = (MemorySegment) getenv.invokeExact(name);
                if (current.equals(MemorySegment.NULL)) {
                    int rc = (int) setenv.invokeExact(name, arena.allocateFrom(Integer.toString(THREAD_TIMEOUT_LOG2)),
                            0);
                    assert rc == 0;
                }
            }
        } catch (Throwable t) {
            // the default spin time only costs some speed in parallel loops right after a GEMM
            System.getLogger(OpenBlas.class.getName()).log(System.Logger.Level.DEBUG,
                    "could not set OPENBLAS_THREAD_TIMEOUT", t);
        }
    }

    private static MemorySegment find(SymbolLookup lookup, String symbol) {
        return lookup.find(symbol).orElseThrow(() -> new IllegalStateException("symbol " + symbol + " not found"));
    }

    private static String callString(SymbolLookup lookup, String symbol) {
        MemorySegment fn = lookup.find(symbol).orElse(null);
        if (fn == null) {
            return "";
        }
        try {
            MethodHandle h = LINKER.downcallHandle(fn, FunctionDescriptor.of(ValueLayout.ADDRESS));
            MemorySegment s = (MemorySegment) h.invokeExact();
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0).trim();
        } catch (Throwable t) {
            return "";
        }
    }

    @Override
    public String toString() {
        return "OpenBLAS " + config + " (" + coreName + ") from " + path;
    }
}
