package io.mpsl.kernels.openblas;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.cpu.CpuBackend;
import java.nio.file.Path;

/**
 * The CPU backend on OpenBLAS: {@code cblas_sgemm} for matrix products and im2col convolutions, Vector API
 * loops for the rest. Preferred when the library loads ({@link OpenBlas#shared()}: the bundled copy, or
 * {@code -Dmpsl.openblas.path}).
 *
 * <p>Cores: a backend with {@code threads} threads sets OpenBLAS's pool to {@code threads} before each GEMM
 * (the calling thread plus threads - 1 OpenBLAS workers); the backend's own loop workers (elementwise ops,
 * im2col) run only between GEMM calls, never inside one, and OpenBLAS's workers stop spinning soon after a
 * call ({@link OpenBlas#THREAD_TIMEOUT_LOG2}), so the two pools take turns on the same cores.
 */
public final class OpenBlasBackendProvider implements BackendProvider {
    public static final String NAME = "openblas";

    private final Path library;
    private OpenBlas.Loaded loaded;

    /** The process-wide library ({@link OpenBlas#shared()}). */
    public OpenBlasBackendProvider() {
        this.library = null;
    }

    /** A specific libopenblas file (tests; a system library). */
    public OpenBlasBackendProvider(Path library) {
        this.library = library;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    /** Loads the library on first call; the outcome is kept, so it is tried once. */
    public synchronized OpenBlas.Loaded loaded() {
        if (loaded == null) {
            loaded = library == null ? OpenBlas.shared() : OpenBlas.load(library);
        }
        return loaded;
    }

    @Override
    public String unavailableReason() {
        return loaded().failure();
    }

    @Override
    public Backend create(int threads) {
        OpenBlas.Loaded l = loaded();
        if (!l.ok()) {
            throw new IllegalStateException("OpenBLAS backend cannot be created: " + l.failure());
        }
        return new CpuBackend(NAME, new OpenBlasGemm(l.library(), threads), threads);
    }
}
