package io.mpsl.kernels;

import io.mpsl.kernels.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;

/** The backends every kernel test runs on: each available provider, plus CPU backends on the scalar GEMM. */
public final class TestBackends {

    private TestBackends() {
    }

    /**
     * Each available provider with 2 threads; a CPU backend on the scalar GEMM with a tiny im2col panel (so
     * convolutions run in uneven chunks of one or more images); one single-threaded with the default panel
     * (whole batches through one GEMM). The caller closes them.
     */
    public static List<Backend> create() {
        List<Backend> backends = new ArrayList<>();
        for (BackendProvider p : Backends.providers()) {
            String why = p.unavailableReason();
            if (why == null) {
                backends.add(p.create(2));
            } else {
                System.out.println("provider " + p.name() + " skipped: " + why);
            }
        }
        backends.add(new CpuBackend("cpu-scalar-gemm-chunked", new ScalarGemm(), 2, 2500));
        backends.add(new CpuBackend("cpu-scalar-gemm-1thread", new ScalarGemm(), 1));
        return backends;
    }
}
