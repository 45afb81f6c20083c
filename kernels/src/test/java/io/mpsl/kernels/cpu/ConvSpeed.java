package io.mpsl.kernels.cpu;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.Backends;
import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import io.mpsl.kernels.openblas.OpenBlas;
import io.mpsl.kernels.openblas.OpenBlasGemm;
import io.mpsl.kernels.vector.VectorGemm;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.Random;

/**
 * A quick development harness (not a test): convolution forward + backward data + backward weights on the
 * VGG shapes (3x3, pad 1), next to the same backend's GEMM engine on the equivalent single GEMM (the faster
 * of (batch*P, O, K) and (O, batch*P, K), both NN) and on a square 1024 GEMM, all in one run; every figure
 * is the best of the repetitions. Rates count the direct convolution's FLOPs. Arguments: a provider name or
 * a GEMM engine ("openblas", "vector"; default openblas), threads (2), batch (64), repetitions (7), im2col
 * panel budget in floats (CpuBackend's default). The JMH ConvBenchmark in bench is the reference
 * measurement; this is for iterating.
 */
public final class ConvSpeed {

    private ConvSpeed() {
    }

    public static void main(String[] args) {
        String providerName = args.length > 0 ? args[0] : "openblas";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 7;
        long panelFloats = args.length > 4 ? Long.parseLong(args[4]) : CpuBackend.DEFAULT_PANEL_BUDGET_FLOATS;
        ConvSpec[] specs = {ConvSpec.of(batch, 64, 32, 32, 64, 3, 1, 1), ConvSpec.of(batch, 128, 16, 16, 128, 3, 1, 1),
            ConvSpec.of(batch, 256, 8, 8, 256, 3, 1, 1)};
        try (Backend backend = create(providerName, threads, panelFloats);
                TensorArena arena = new TensorArena(MemoryAccount.root("conv-speed"))) {
            if (!(backend instanceof CpuBackend cpu)) {
                throw new IllegalArgumentException(providerName + " is not a CpuBackend");
            }
            Gemm gemm = cpu.gemmEngine();
            System.out.printf("backend %s, gemm %s, %d threads, batch %d, best of %d%n", backend.name(), gemm.name(),
                    threads, batch, reps);
            Random random = new Random(1);
            double squareRate = gemmRate(arena, gemm, 1024, 1024, 1024, reps, random);
            System.out.printf("square GEMM 1024^3: %.1f GFLOP/s%n", squareRate);
            double convSeconds = 0;
            double convFlops = 0;
            double gemmSeconds = 0;
            for (ConvSpec s : specs) {
                Tensor in = random(arena, random, s.batch(), s.inChannels(), s.inH(), s.inW());
                Tensor w = random(arena, random, s.outChannels(), s.inChannels(), 3, 3);
                Tensor out = arena.allocate(s.batch(), s.outChannels(), s.outH(), s.outW());
                Tensor dOut = random(arena, random, s.batch(), s.outChannels(), s.outH(), s.outW());
                Tensor dIn = arena.allocate(s.batch(), s.inChannels(), s.inH(), s.inW());
                Tensor dW = arena.allocate(s.outChannels(), s.inChannels(), 3, 3);
                double[] fwd = new double[reps];
                double[] bwdData = new double[reps];
                double[] bwdWeights = new double[reps];
                for (int r = -2; r < reps; r++) {
                    long t0 = System.nanoTime();
                    backend.conv2dForward(out, in, w, s);
                    long t1 = System.nanoTime();
                    backend.conv2dBackwardData(dIn, dOut, w, s);
                    long t2 = System.nanoTime();
                    backend.conv2dBackwardWeights(dW, dOut, in, s);
                    long t3 = System.nanoTime();
                    if (r >= 0) {
                        fwd[r] = (t1 - t0) * 1e-9;
                        bwdData[r] = (t2 - t1) * 1e-9;
                        bwdWeights[r] = (t3 - t2) * 1e-9;
                    }
                }
                double flops = s.forwardFlops();
                double f = best(fwd);
                double d = best(bwdData);
                double wt = best(bwdWeights);
                int m = s.outChannels();
                int k = s.inChannels() * 9;
                int n = s.batch() * s.outH() * s.outW();
                double equivalent = Math.max(gemmRate(arena, gemm, m, n, k, reps, random),
                        gemmRate(arena, gemm, n, m, k, reps, random));
                System.out.printf("%4d->%-4d %2dx%-2d  fwd %6.1f  bwd-data %6.1f  bwd-weights %6.1f  all %6.1f GFLOP/s"
                        + "  | GEMM %dx%dx%d %6.1f GFLOP/s  ratio %.2f%n", s.inChannels(), s.outChannels(), s.inH(),
                        s.inW(), flops / f * 1e-9, flops / d * 1e-9, flops / wt * 1e-9, 3 * flops / (f + d + wt) * 1e-9,
                        n, m, k, equivalent, 3 * flops / (f + d + wt) * 1e-9 / equivalent);
                convSeconds += f + d + wt;
                convFlops += 3 * flops;
                gemmSeconds += 3 * flops / (equivalent * 1e9);
            }
            double convRate = convFlops / convSeconds * 1e-9;
            double gemmRate = convFlops / gemmSeconds * 1e-9;
            System.out.printf("all three shapes: conv %.1f GFLOP/s, equivalent GEMMs %.1f GFLOP/s, ratio %.2f;"
                    + " vs square GEMM %.2f%n", convRate, gemmRate, convRate / gemmRate, convRate / squareRate);
        }
    }

    /** A provider's backend if one has this name, else a CpuBackend on the named GEMM engine. */
    private static Backend create(String name, int threads, long panelFloats) {
        for (BackendProvider p : Backends.providers()) {
            if (p.name().equals(name)) {
                return p.create(threads);
            }
        }
        Gemm gemm = switch (name) {
            case "openblas" -> {
                OpenBlas.Loaded loaded = OpenBlas.shared();
                if (!loaded.ok()) {
                    throw new IllegalStateException("OpenBLAS: " + loaded.failure());
                }
                yield new OpenBlasGemm(loaded.library(), threads);
            }
            case "vector" -> new VectorGemm(threads);
            default -> throw new IllegalArgumentException("no backend or GEMM engine named " + name);
        };
        return new CpuBackend(name, gemm, threads, panelFloats);
    }

    private static double gemmRate(TensorArena arena, Gemm gemm, int m, int n, int k, int reps, Random random) {
        Tensor a = random(arena, random, m, k);
        Tensor b = random(arena, random, k, n);
        Tensor c = arena.allocate(m, n);
        double[] t = new double[reps];
        for (int r = -2; r < reps; r++) {
            long t0 = System.nanoTime();
            gemm.sgemm(false, false, m, n, k, 1f, a.segment(), 0, k, b.segment(), 0, n, 0f, c.segment(), 0, n);
            long t1 = System.nanoTime();
            if (r >= 0) {
                t[r] = (t1 - t0) * 1e-9;
            }
        }
        return 2.0 * m * n * k / best(t) * 1e-9;
    }

    private static Tensor random(TensorArena arena, Random random, int... dims) {
        Tensor t = arena.allocate(dims);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, random.nextFloat() - 0.5f);
        }
        return t;
    }

    /** The fastest run: on a shared machine, the closest to the undisturbed speed. */
    private static double best(double[] x) {
        double b = Double.MAX_VALUE;
        for (double v : x) {
            b = Math.min(b, v);
        }
        return b;
    }
}
