package io.mpsl.scheduler.tune;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.nn.BlockProfile;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Segment;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures what the cost model needs on this machine, briefly: every block's forward and backward time at a
 * small and a large micro-batch (fitted as a per-call plus a per-sample cost), the optimizer step's time
 * (spread over blocks by their parameter bytes), and the rates of the runtime's own work: the copy a sender
 * makes of each tensor it sends, and the round-end weighted averaging.
 */
public final class Profiler {

    /**
     * What one profiling pass measured, and how long it took. Times are at full speed of one core: divided
     * by the share of a core the profiling thread got beside {@code backgroundThreads} other runnable threads.
     */
    public record Measured(List<BlockCost> blocks, double copyBytesPerS, double averageBytesPerS,
            double backgroundThreads, double seconds) {
    }

    private Profiler() {
    }

    /**
     * Profiles {@code spec} with one-thread backends of {@code provider}, at micro-batches of {@code small} and
     * {@code large} samples ({@code warmup} then {@code iterations} passes each).
     */
    public static Measured measure(ModelSpec spec, BackendProvider provider, OptimizerSpec optimizer, int small,
            int large, int warmup, int iterations, long seed) {
        if (small < 1 || large < small) {
            throw new IllegalArgumentException("profile micro-batches need 1 <= small <= large, got " + small + " and "
                    + large);
        }
        long t0 = System.nanoTime();
        LoadSampler load = new LoadSampler();
        load.start();
        int n = spec.blockCount();
        List<BlockCost> blocks = new ArrayList<>(n);
        try (Backend backend = provider.create(1)) {
            Segment whole = spec.build(0, n, backend, true);
            BlockProfile[] lo = whole.profile(small, warmup, iterations, seed);
            BlockProfile[] hi = large == small ? lo : whole.profile(large, warmup, iterations, seed);
            double[] stepShare = stepSeconds(whole, optimizer, seed, warmup, iterations, lo);
            for (int i = 0; i < n; i++) {
                double[] f = fit(lo[i].forwardNsPerSample() * small * 1e-9, hi[i].forwardNsPerSample() * large * 1e-9,
                        small, large);
                double[] b = fit(lo[i].backwardNsPerSample() * small * 1e-9,
                        hi[i].backwardNsPerSample() * large * 1e-9, small, large);
                blocks.add(new BlockCost(f[1], b[1], lo[i].outputBytesPerSample(), lo[i].parameterBytes(),
                        lo[i].keptBytesPerSample() + lo[i].scratchBytesPerSample(), f[0], b[0], stepShare[i]));
            }
        }
        double copy = copyRate();
        double average = averageRate();
        double background = load.stop();
        int cores = Runtime.getRuntime().availableProcessors();
        double share = Math.min(1.0, cores / (background + 1));
        List<BlockCost> full = new ArrayList<>(n);
        for (BlockCost b : blocks) {
            full.add(b.scaled(share));
        }
        return new Measured(full, copy / share, average / share, background, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Fits t(b) = call + b * perSample through (small, tSmall) and (large, tLarge); returns {call, perSample},
     * both non-negative.
     */
    static double[] fit(double tSmall, double tLarge, int small, int large) {
        if (large == small) {
            return new double[] {0, tLarge / large};
        }
        double per = (tLarge - tSmall) / (large - small);
        double call = tSmall - per * small;
        if (per < 0) {
            return new double[] {(tSmall + tLarge) / 2, 0};
        }
        if (call < 0) {
            return new double[] {0, tLarge / large};
        }
        return new double[] {call, per};
    }

    /** The optimizer step of the whole model, timed, spread over blocks by parameter bytes. */
    private static double[] stepSeconds(Segment whole, OptimizerSpec optimizer, long seed, int warmup, int iterations,
            BlockProfile[] blocks) {
        MemoryAccount account = MemoryAccount.root("profile-step");
        double s;
        try (ParameterState st = whole.newState(seed, optimizer.withLearningRate(0f), account)) {
            for (int i = 0; i < warmup; i++) {
                st.step();
            }
            long t = System.nanoTime();
            int reps = Math.max(iterations, 1);
            for (int i = 0; i < reps; i++) {
                st.step();
            }
            s = (System.nanoTime() - t) / 1e9 / reps;
        }
        long total = 0;
        for (BlockProfile b : blocks) {
            total += b.parameterBytes();
        }
        double[] share = new double[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            share[i] = total == 0 ? 0 : s * blocks[i].parameterBytes() / total;
        }
        return share;
    }

    /** Bytes per second of copying one tensor into another (as a sender fills the receiver's buffer). */
    static double copyRate() {
        MemoryAccount account = MemoryAccount.root("profile-copy");
        int floats = 1 << 20;
        try (TensorArena arena = new TensorArena(account)) {
            Tensor a = arena.allocate(floats);
            Tensor b = arena.allocate(floats);
            a.fill(1f);
            b.copyFrom(a);
            long t = System.nanoTime();
            int reps = 8;
            for (int i = 0; i < reps; i++) {
                b.copyFrom(a);
            }
            return reps * 4.0 * floats / Math.max((System.nanoTime() - t) / 1e9, 1e-9);
        }
    }

    /**
     * Bytes per second per copy of the round-end weighted average: out[j] = sum_p w[p] * in_p[j], in double,
     * element by element as the runtime does it.
     */
    static double averageRate() {
        MemoryAccount account = MemoryAccount.root("profile-average");
        int floats = 1 << 18;
        int copies = 4;
        try (TensorArena arena = new TensorArena(account)) {
            Tensor[] ins = new Tensor[copies];
            for (int p = 0; p < copies; p++) {
                ins[p] = arena.allocate(floats);
                ins[p].fill(p);
            }
            Tensor out = arena.allocate(floats);
            double[] w = {0.25, 0.25, 0.25, 0.25};
            long best = Long.MAX_VALUE;
            for (int rep = 0; rep < 4; rep++) {
                long t = System.nanoTime();
                for (long j = 0; j < floats; j++) {
                    double v = 0;
                    for (int p = 0; p < copies; p++) {
                        v += w[p] * ins[p].get(j);
                    }
                    out.set(j, (float) v);
                }
                best = Math.min(best, System.nanoTime() - t);
            }
            return copies * 4.0 * floats / Math.max(best / 1e9, 1e-9);
        }
    }

    /**
     * Samples the machine's runnable threads (Linux /proc/loadavg, fourth field) every 10 ms on a daemon
     * thread; {@link #stop} returns the mean of the others' (the sampler and the profiling thread left out).
     */
    static final class LoadSampler extends Thread {
        private static final java.nio.file.Path LOADAVG = java.nio.file.Path.of("/proc/loadavg");
        private volatile boolean running = true;
        private double sum;
        private int samples;

        LoadSampler() {
            super("load-sampler");
            setDaemon(true);
        }

        @Override
        public void run() {
            while (running) {
                try {
                    String[] f = java.nio.file.Files.readString(LOADAVG).trim().split("\\s+");
                    int runnable = Integer.parseInt(f[3].substring(0, f[3].indexOf('/')));
                    synchronized (this) {
                        sum += Math.max(0, runnable - 2);
                        samples++;
                    }
                    Thread.sleep(10);
                } catch (java.io.IOException | RuntimeException e) {
                    return; // no /proc/loadavg (not Linux): no background figure
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        double stop() {
            running = false;
            interrupt();
            try {
                join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                return samples == 0 ? 0 : sum / samples;
            }
        }
    }
}
