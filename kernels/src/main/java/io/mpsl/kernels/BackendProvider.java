package io.mpsl.kernels;

/**
 * A source of {@link Backend}s, found with {@link java.util.ServiceLoader}. Providers are tried best first
 * ({@link #priority()} highest first); the first that is available wins unless one is forced with
 * {@code -Dmpsl.backend=NAME}.
 */
public interface BackendProvider {

    /** The name used by {@code -Dmpsl.backend}, e.g. "openblas". */
    String name();

    /** Higher is preferred. */
    int priority();

    /**
     * Null if this provider can run here, else why not (e.g. "libopenblas.so.0 could not be loaded: ...").
     * Called once; may be slow (loads native libraries).
     */
    String unavailableReason();

    /** A backend using {@code threads} worker threads. */
    Backend create(int threads);
}
