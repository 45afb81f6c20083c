package io.mpsl.kernels.vector;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.cpu.CpuBackend;

/**
 * The pure-Java CPU backend: {@link VectorGemm} for matrix products and convolutions, Vector API loops for
 * the rest. Always available. The GEMM's worker threads and the backend's own loop workers are separate
 * pools of the same size that take turns: a GEMM call runs while the backend's loop workers sleep.
 */
public final class VectorBackendProvider implements BackendProvider {
    public static final String NAME = "vector";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    @Override
    public Backend create(int threads) {
        return new CpuBackend(NAME, new VectorGemm(threads), threads);
    }
}
