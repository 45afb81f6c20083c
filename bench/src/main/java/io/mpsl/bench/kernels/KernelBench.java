package io.mpsl.bench.kernels;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.Backends;
import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import io.mpsl.kernels.openblas.OpenBlas;
import io.mpsl.kernels.openblas.OpenBlasGemm;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * {@code mpsl bench kernels [--threads N] [--json FILE] [--quick]}: GEMM and convolution rates of every
 * provider that loads, each next to plain {@code cblas_sgemm} measured in the same run.
 *
 * <p>GEMM rows: C = A * B, square n = 256, 512, 1024, 2048, on 1 thread and on N threads (default: all
 * cores), through {@code Backends.provider(name).create(threads).sgemm}. The scalar oracle runs only at
 * n <= 256. {@code openblas_raw_gflops} is a plain cblas_sgemm with the row's thread count on the same
 * buffers; engine and raw samples alternate {@value #ROUNDS} times, rates are medians and ratios the median of
 * adjacent samples' ratios (the statistic least disturbed by slow drifts of other work on the machine).
 *
 * <p>Conv rows: batch 64, 3x3 pad 1, 64->64 on 32x32, 128->128 on 16x16, 256->256 on 8x8, on N threads
 * (default 2). One iteration is forward + backward-data + backward-weights; GFLOP/s counts the direct
 * convolution's FLOPs (3 x {@code ConvSpec.forwardFlops()}). {@code gemm_gflops} is the same backend's GEMM
 * rate, in the same run, on the forward im2col product of the whole batch (m = batch * outH * outW,
 * n = outC, k = inC * 9, both operands transposed, as the backend's convolution orients it).
 */
public final class KernelBench {
    static final int ROUNDS = 9;
    static final int[] SIZES = {256, 512, 1024, 2048};
    static final int[] QUICK_SIZES = {256, 1024};
    static final long SAMPLE_NS = 60_000_000L;
    /** Warm-up: at least this long, until the rate settles, at most WARMUP_MAX_NS. */
    static final long WARMUP_NS = 300_000_000L;
    static final long WARMUP_MAX_NS = 10_000_000_000L;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private KernelBench() {
    }

    /** Rates are medians over the rounds; ratio is the median of each round's engine/raw ratio. */
    record GemmRow(int n, int threads, String provider, double gflops, double rawGflops, double ratio) {
    }

    /** Rates are medians; ratio is the median of each round's conv / (faster GEMM orientation) ratio. */
    record ConvRow(String layer, int batch, int threads, String provider, double gflops, double gemmGflops,
            String gemmShape, double ratio) {
    }

    static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the suite; returns the process exit code. */
    public static int run(String[] args) {
        int threads = Runtime.getRuntime().availableProcessors();
        Integer convThreads = null;
        Path json = null;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> {
                    threads = positive(args, ++i);
                    convThreads = threads;
                }
                case "--json" -> json = Path.of(value(args, ++i));
                case "--quick" -> quick = true;
                case "--help", "-h" -> {
                    System.out.println("usage: mpsl bench kernels [--threads N] [--json FILE] [--quick]");
                    return 0;
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i]
                        + "'; usage: mpsl bench kernels [--threads N] [--json FILE] [--quick]");
            }
        }
        int conv = convThreads != null ? convThreads : 2;
        int rounds = quick ? 2 : ROUNDS;
        OpenBlas.Loaded blas = OpenBlas.shared();
        if (!blas.ok()) {
            System.out.println("raw OpenBLAS columns left empty: " + blas.failure());
        }
        List<BackendProvider> providers = new ArrayList<>();
        for (BackendProvider p : Backends.providers()) {
            String why = p.unavailableReason();
            if (why == null) {
                providers.add(p);
            } else {
                System.out.println("provider " + p.name() + " skipped: " + why);
            }
        }
        String cpu = cpuModel();
        System.out.printf(Locale.ROOT, "mpsl kernel benchmark: %s, %d cores; statistic: medians of %d alternating samples%n",
                cpu, Runtime.getRuntime().availableProcessors(), rounds);
        List<GemmRow> gemmRows = new ArrayList<>();
        int[] threadCounts = threads == 1 ? new int[] {1} : new int[] {1, threads};
        System.out.printf(Locale.ROOT, "%nGEMM C = A * B (square, float32)%n%6s %8s %-10s %10s %12s %8s%n", "n",
                "threads", "provider", "GFLOP/s", "raw GFLOP/s", "ratio");
        try (TensorArena arena = new TensorArena(MemoryAccount.root("kernel-bench"))) {
            for (int n : quick ? QUICK_SIZES : SIZES) {
                Tensor a = random(arena.allocate(n, n), 1);
                Tensor b = random(arena.allocate(n, n), 2);
                Tensor c = arena.allocate(n, n);
                for (int t : threadCounts) {
                    Gemm raw = blas.ok() ? new OpenBlasGemm(blas.library(), t) : null;
                    for (BackendProvider p : providers) {
                        if (p.name().equals("scalar") && n > 256) {
                            continue;
                        }
                        try (Backend backend = p.create(t)) {
                            GemmRow row = gemmRow(backend, raw, a, b, c, n, t, rounds);
                            gemmRows.add(row);
                            System.out.printf(Locale.ROOT, "%6d %8d %-10s %10.1f %12s %8s%n", n, t, p.name(),
                                    row.gflops, fmt(row.rawGflops), ratio(row.gflops, row.rawGflops));
                        }
                    }
                }
            }
        }
        List<ConvRow> convRows = new ArrayList<>();
        int batch = quick ? 16 : 64;
        ConvSpec[] layers = {ConvSpec.of(batch, 64, 32, 32, 64, 3, 1, 1), ConvSpec.of(batch, 128, 16, 16, 128, 3, 1, 1),
            ConvSpec.of(batch, 256, 8, 8, 256, 3, 1, 1)};
        System.out.printf(Locale.ROOT, "%nConvolution fwd + bwd-data + bwd-weights (3x3 pad 1, batch %d, %d threads)%n"
                + "%-20s %-10s %10s %12s %8s  %s%n", batch, conv, "layer", "provider", "GFLOP/s", "GEMM GFLOP/s",
                "ratio", "GEMM shape");
        for (ConvSpec spec : layers) {
            for (BackendProvider p : providers) {
                if (p.name().equals("scalar")) {
                    continue; // seconds per iteration at these sizes; its correctness is what the tests use
                }
                try (Backend backend = p.create(conv); TensorArena arena = new TensorArena(MemoryAccount.root("conv"))) {
                    ConvRow row = convRow(backend, arena, spec, conv, rounds);
                    convRows.add(row);
                    System.out.printf(Locale.ROOT, "%-20s %-10s %10.1f %12.1f %8s  %s%n", row.layer, p.name(), row.gflops,
                            row.gemmGflops, ratio(row.gflops, row.gemmGflops), row.gemmShape);
                }
            }
        }
        String ratios = printRatios(gemmRows, convRows, threads, conv);
        if (json != null) {
            try {
                Files.writeString(json, json(cpu, rounds, gemmRows, convRows, ratios));
                System.out.println("wrote " + json);
            } catch (IOException e) {
                System.err.println("could not write " + json + ": " + e);
                return 1;
            }
        }
        return 0;
    }

    /**
     * Engine and raw cblas_sgemm alternate; rates are medians, and the ratio is the median of the ratios of
     * adjacent samples, which cancels the slow drifts of a shared machine.
     */
    static GemmRow gemmRow(Backend engine, Gemm raw, Tensor a, Tensor b, Tensor c, int n, int threads, int rounds) {
        double flops = 2.0 * n * n * n;
        MemorySegment as = a.segment();
        MemorySegment bs = b.segment();
        MemorySegment cs = c.segment();
        Runnable e = () -> engine.sgemm(false, false, n, n, n, 1f, as, 0, n, bs, 0, n, 0f, cs, 0, n);
        Runnable r = raw == null ? null : () -> raw.sgemm(false, false, n, n, n, 1f, as, 0, n, bs, 0, n, 0f, cs, 0, n);
        warm(e, flops);
        if (r != null) {
            warm(r, flops);
        }
        double[] es = new double[rounds];
        double[] rs = new double[rounds];
        double[] ratio = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            boolean rawFirst = (round & 1) == 1; // alternate the order too
            if (rawFirst && r != null) {
                rs[round] = sample(r, flops);
            }
            es[round] = sample(e, flops);
            if (!rawFirst && r != null) {
                rs[round] = sample(r, flops);
            }
            ratio[round] = r == null ? Double.NaN : es[round] / rs[round];
        }
        return new GemmRow(n, threads, engine.name(), median(es), r == null ? Double.NaN : median(rs),
                r == null ? Double.NaN : median(ratio));
    }

    static ConvRow convRow(Backend backend, TensorArena arena, ConvSpec s, int threads, int rounds) {
        Tensor in = random(arena.allocate(s.batch(), s.inChannels(), s.inH(), s.inW()), 3);
        Tensor w = random(arena.allocate(s.outChannels(), s.inChannels(), s.kernelH(), s.kernelW()), 4);
        Tensor out = arena.allocate(s.batch(), s.outChannels(), s.outH(), s.outW());
        Tensor dOut = random(arena.allocate(s.batch(), s.outChannels(), s.outH(), s.outW()), 5);
        Tensor dIn = arena.allocate(s.batch(), s.inChannels(), s.inH(), s.inW());
        Tensor dW = arena.allocate(s.outChannels(), s.inChannels(), s.kernelH(), s.kernelW());
        int m = s.batch() * s.outH() * s.outW();
        int n = s.outChannels();
        int k = s.inChannels() * s.kernelH() * s.kernelW();
        Tensor cols = random(arena.allocate(k, m), 6);
        Tensor prod = arena.allocate(m, n);
        Runnable conv = () -> {
            backend.conv2dForward(out, in, w, s);
            backend.conv2dBackwardData(dIn, dOut, w, s);
            backend.conv2dBackwardWeights(dW, dOut, in, s);
        };
        // The reference is the same product in both layouts an im2col convolution could use, columns
        // (k, m) or rows (m, k) against the weights; the faster one counts, so the ratio is not flattered.
        Runnable gemm = () -> backend.sgemm(true, true, m, n, k, 1f, cols.segment(), 0, m, w.segment(), 0, k, 0f,
                prod.segment(), 0, n);
        Runnable gemmRows = () -> backend.sgemm(false, true, m, n, k, 1f, cols.segment(), 0, k, w.segment(), 0, k, 0f,
                prod.segment(), 0, n);
        warm(conv, 3 * s.forwardFlops());
        warm(gemm, 2.0 * m * n * k);
        warm(gemmRows, 2.0 * m * n * k);
        double[] cs = new double[rounds];
        double[] gs = new double[rounds];
        double[] ratio = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            cs[round] = sample(conv, 3 * s.forwardFlops());
            gs[round] = Math.max(sample(gemm, 2.0 * m * n * k), sample(gemmRows, 2.0 * m * n * k));
            ratio[round] = cs[round] / gs[round];
        }
        double bestConv = median(cs);
        double bestGemm = median(gs);
        String layer = s.inChannels() + "x" + s.inH() + "x" + s.inW() + "->" + s.outChannels() + " k" + s.kernelH()
                + " p" + s.padH();
        return new ConvRow(layer, s.batch(), threads, backend.name(), bestConv, bestGemm,
                "m=" + m + " n=" + n + " k=" + k + " (faster of A^T B^T and A B^T)", median(ratio));
    }

    /**
     * Runs samples until the rate settles (two in a row within 5% of the best so far, after at least
     * WARMUP_NS) or WARMUP_MAX_NS pass: Vector API code is slow until C2 has compiled it, which takes seconds
     * on a busy machine.
     */
    private static void warm(Runnable r, double flopsPerCall) {
        long start = System.nanoTime();
        double best = 0;
        int settled = 0;
        while (true) {
            double s = sample(r, flopsPerCall);
            settled = s <= best * 1.05 ? settled + 1 : 0;
            best = Math.max(best, s);
            long elapsed = System.nanoTime() - start;
            if (elapsed > WARMUP_MAX_NS || (elapsed > WARMUP_NS && settled >= 2)) {
                return;
            }
        }
    }

    /** GFLOP/s of one sample: as many calls as fill {@value #SAMPLE_NS} ns, at least one. */
    private static double sample(Runnable r, double flopsPerCall) {
        long start = System.nanoTime();
        long now;
        int calls = 0;
        do {
            r.run();
            calls++;
            now = System.nanoTime();
        } while (now - start < SAMPLE_NS);
        return flopsPerCall * calls / (now - start);
    }

    private static String printRatios(List<GemmRow> gemm, List<ConvRow> conv, int threads, int convThreads) {
        StringBuilder js = new StringBuilder();
        System.out.printf(Locale.ROOT, "%nRatios (targets from the foundation issue)%n");
        for (GemmRow g : gemm) {
            if (g.threads == threads && threads > 1 && (g.n == 1024 || g.n == 2048) && !Double.isNaN(g.rawGflops)
                    && !g.provider.equals("scalar")) {
                boolean engine = g.provider.equals(io.mpsl.kernels.Backends.chosen().name());
                line(js, g.provider + "/raw n=" + g.n + " " + threads + " threads", g.ratio, engine ? 0.95 : Double.NaN);
            }
        }
        for (GemmRow g : gemm) {
            if (g.threads == 1 && g.n == 1024 && g.provider.equals("vector") && !Double.isNaN(g.rawGflops)) {
                line(js, "vector/raw n=1024 1 thread", g.ratio, 0.80);
            }
        }
        for (ConvRow c : conv) {
            line(js, c.provider + " conv/gemm " + c.layer + " " + convThreads + " threads", c.ratio, 0.70);
        }
        return js.toString();
    }

    /** A ratio line; a NaN target means the ratio is informative only (not one the issue sets). */
    private static void line(StringBuilder js, String what, double ratio, double target) {
        if (Double.isNaN(target)) {
            System.out.printf(Locale.ROOT, "  %-48s %6.3f  (for information)%n", what, ratio);
            js.append(js.isEmpty() ? "" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"what\": \"%s\", \"ratio\": %.4f, \"target\": null}", what, ratio));
            return;
        }
        System.out.printf(Locale.ROOT, "  %-48s %6.3f  (target >= %.2f%s)%n", what, ratio, target,
                ratio >= target ? "" : ", NOT MET");
        js.append(js.isEmpty() ? "" : ",\n").append(String.format(Locale.ROOT,
                "    {\"what\": \"%s\", \"ratio\": %.4f, \"target\": %.2f}", what, ratio, target));
    }

    private static String json(String cpu, int rounds, List<GemmRow> gemm, List<ConvRow> conv, String ratios) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"machine\": {\"cpu\": \"").append(cpu.replace("\"", "'")).append("\", \"cores\": ")
                .append(Runtime.getRuntime().availableProcessors()).append("},\n");
        sb.append("  \"date\": \"").append(Instant.now()).append("\",\n");
        sb.append("  \"statistic\": \"medians of ").append(rounds).append(" alternating samples of >= ")
                .append(SAMPLE_NS / 1_000_000).append(" ms\",\n");
        sb.append("  \"gemm\": [\n");
        for (int i = 0; i < gemm.size(); i++) {
            GemmRow g = gemm.get(i);
            sb.append(String.format(Locale.ROOT,
                    "    {\"n\": %d, \"threads\": %d, \"provider\": \"%s\", \"gflops\": %.2f, \"openblas_raw_gflops\": %s,"
                            + " \"ratio\": %s}",
                    g.n, g.threads, g.provider, g.gflops, jsonNumber(g.rawGflops), jsonNumber(g.ratio)));
            sb.append(i + 1 < gemm.size() ? ",\n" : "\n");
        }
        sb.append("  ],\n  \"conv\": [\n");
        for (int i = 0; i < conv.size(); i++) {
            ConvRow c = conv.get(i);
            sb.append(String.format(Locale.ROOT,
                    "    {\"layer\": \"%s\", \"batch\": %d, \"threads\": %d, \"provider\": \"%s\", \"gflops\": %.2f,"
                            + " \"gemm_gflops\": %.2f, \"gemm_shape\": \"%s\", \"gemm_basis\": \"forward im2col GEMM of"
                            + " the whole batch\", \"ratio\": %.4f}",
                    c.layer, c.batch, c.threads, c.provider, c.gflops, c.gemmGflops, c.gemmShape, c.ratio));
            sb.append(i + 1 < conv.size() ? ",\n" : "\n");
        }
        sb.append("  ],\n  \"ratios\": [\n").append(ratios).append(ratios.isEmpty() ? "" : "\n").append("  ]\n}\n");
        return sb.toString();
    }

    private static Tensor random(Tensor t, long seed) {
        Random r = new Random(seed);
        MemorySegment s = t.segment();
        for (long i = 0, n = t.size(); i < n; i++) {
            s.setAtIndex(F32, i, r.nextFloat() - 0.5f);
        }
        return t;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the architecture is the best description left
        }
        return System.getProperty("os.arch");
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(b) || b == 0 ? "-" : String.format(Locale.ROOT, "%.3f", a / b);
    }

    private static String jsonNumber(double v) {
        return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static int positive(String[] args, int i) {
        String v = value(args, i);
        try {
            int n = Integer.parseInt(v);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(args[i - 1] + " needs a positive integer, got '" + v + "'");
        }
    }
}
