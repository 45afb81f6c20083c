package io.mpsl.kernels.scalar;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;

/** The scalar oracle: always available, chosen last. */
public final class ScalarBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return ScalarBackend.NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public String unavailableReason() {
        return null;
    }

    /** The scalar backend is single-threaded whatever {@code threads} says. */
    @Override
    public Backend create(int threads) {
        return new ScalarBackend();
    }
}
