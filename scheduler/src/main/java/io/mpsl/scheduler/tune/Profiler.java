package io.mpsl.scheduler.tune;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.scalar.ScalarBackend;
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
     * What one profiling pass measured, and how long it took. Times and rates are of one core, from the
     * profiling thread's CPU time (what other programs take from it does not count; {@code backgroundThreads}
     * is how many runnable threads of theirs the cores behave as if shared with, see {@link #sampleBackground}).
     */
    public record Measured(List<BlockCost> blocks, double copyBytesPerS, double averageBytesPerS,
            double backgroundThreads, double seconds, double ownerPassS, double hopPassS) {

        /**
         * Without the runtime's own CPU time per forward or backward step beside the blocks ({@code ownerPassS},
         * {@code hopPassS}: what the live profiler measures in a round, see {@link LiveProfile#ownerPassS()}).
         */
        public Measured(List<BlockCost> blocks, double copyBytesPerS, double averageBytesPerS,
                double backgroundThreads, double seconds) {
            this(blocks, copyBytesPerS, averageBytesPerS, backgroundThreads, seconds, 0, 0);
        }
    }

    private Profiler() {
    }

    /**
     * Profiles {@code spec} with one-thread backends of {@code provider}, at micro-batches of {@code small} and
     * {@code large} samples ({@code warmup} then {@code iterations} passes each).
     */
    public static Measured measure(ModelSpec spec, BackendProvider provider, OptimizerSpec optimizer, int small,
            int large, int warmup, int iterations, long seed) throws InterruptedException {
        return measure(spec, provider, optimizer, small, large, warmup, iterations, 3, WARMUP_MAX_S, seed);
    }

    /**
     * As {@link #measure(ModelSpec, BackendProvider, OptimizerSpec, int, int, int, int, long)}, each size timed
     * {@code reps} times (the median counts), the warm-up cut off after {@code warmupMaxS}; fewer reps and a
     * short warm-up when the just-in-time compiler has had a round of training to do its work (the live tuner).
     */
    public static Measured measure(ModelSpec spec, BackendProvider provider, OptimizerSpec optimizer, int small,
            int large, int warmup, int iterations, int reps, double warmupMaxS, long seed) throws InterruptedException {
        if (small < 1 || large < small) {
            throw new IllegalArgumentException("profile micro-batches need 1 <= small <= large, got " + small + " and "
                    + large);
        }
        long t0 = System.nanoTime();
        int n = spec.blockCount();
        List<BlockCost> blocks = new ArrayList<>(n);
        try (Backend backend = provider.create(1)) {
            // as the runtime builds an owner's head: block 0's backward makes no input gradient (no one needs it)
            Segment whole = spec.build(0, n, backend, false);
            int passes = warmUp(whole, small, large, warmup, warmupMaxS, seed);
            double quietS = awaitQuiet(QUIET_MAX_S);
            long tw = System.nanoTime();
            long[][] lo = median(whole, small, iterations, reps, seed);
            long[][] hi = large == small ? lo : median(whole, large, iterations, reps, seed);
            BlockProfile[] info = whole.footprint();
            long tm = System.nanoTime();
            double[] stepShare = stepSeconds(whole, optimizer, seed, warmup, iterations, info);
            if (Boolean.getBoolean("mpsl.tune.debug")) {
                System.out.printf(java.util.Locale.ROOT,
                        "profile: warm-up %d pairs %.3f s (%.3f s of it waiting for quiet), timing %.3f s, step %.3f s%n",
                        passes, (tw - t0) / 1e9, quietS, (tm - tw) / 1e9, (System.nanoTime() - tm) / 1e9);
            }
            for (int i = 0; i < n; i++) {
                double[] f = fit(lo[0][i] * small * 1e-9, hi[0][i] * large * 1e-9, small, large);
                double[] b = fit(lo[1][i] * small * 1e-9, hi[1][i] * large * 1e-9, small, large);
                blocks.add(new BlockCost(f[1], b[1], info[i].outputBytesPerSample(), info[i].parameterBytes(),
                        info[i].keptBytesPerSample() + info[i].scratchBytesPerSample(), f[0], b[0], stepShare[i]));
            }
        }
        double copy = copyRate();
        double average = averageRate(reps >= 3 ? 1 << 18 : 1 << 16, reps >= 3 ? 4 : 2);
        double background = sampleBackground(reps >= 3 ? BACKGROUND_S : BACKGROUND_S / 2);
        return new Measured(blocks, copy, average, background, (System.nanoTime() - t0) / 1e9);
    }

    /** Most seconds of warm-up passes (a cold JVM compiles the kernels' Java loops within a few seconds). */
    static final double WARMUP_MAX_S = 20;

    /**
     * Runs training passes, alternately of {@code small} and {@code large} samples, until the just-in-time
     * compiler is done with them: until {@code patience} pairs in a row finished no compilation (the JVM's
     * total compilation time did not move) and were no faster than 0.95 of the best pair, or {@code maxS}
     * passed. Without the compiler's view (no CompilationMXBean) only the timing counts.
     * Returns the pairs run.
     */
    static int warmUp(Segment whole, int small, int large, int patience, double maxS, long seed) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        boolean jitKnown = jit != null && jit.isCompilationTimeMonitoringSupported();
        long best = Long.MAX_VALUE;
        int since = 0;
        int pairs = 0;
        long limit = System.nanoTime() + Math.round(maxS * 1e9);
        for (; since < Math.max(patience, 1) && System.nanoTime() < limit; pairs++) {
            long compiled = jitKnown ? jit.getTotalCompilationTime() : 0;
            long t = cpuNs();
            whole.profile(small, 0, 1, seed);
            if (large != small) {
                whole.profile(large, 0, 1, seed);
            }
            long dt = cpuNs() - t;
            boolean quiet = !jitKnown || jit.getTotalCompilationTime() == compiled;
            if (dt < best * 0.95 || !quiet) {
                since = 0;
            } else {
                since++;
            }
            best = Math.min(best, dt);
        }
        return pairs;
    }

    /**
     * Per block, forward and backward ns per sample of one core: {forward[], backward[]}. The pass's total is
     * the profiling thread's CPU time (what other programs on the machine take from it does not count), the
     * median over 3 measurements of the difference between a several-pass and a 1-pass profile (which cancels
     * the profile's own set-up); it is split over blocks and directions as the median wall times are.
     */
    static long[][] median(Segment whole, int batch, int iterations, int reps, long seed) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        int passes = Math.max(iterations, 2);
        double[] perPass = new double[reps];
        BlockProfile[][] runs = new BlockProfile[reps][];
        for (int r = 0; r < reps; r++) {
            long c0 = mx.getCurrentThreadCpuTime();
            whole.profile(batch, 0, 1, seed);
            long c1 = mx.getCurrentThreadCpuTime();
            runs[r] = whole.profile(batch, 0, passes, seed);
            long c2 = mx.getCurrentThreadCpuTime();
            perPass[r] = Math.max(0, ((c2 - c1) - (c1 - c0)) / (double) (passes - 1));
        }
        double[] sorted = perPass.clone();
        java.util.Arrays.sort(sorted);
        double pass = sorted[reps / 2];
        int n = runs[0].length;
        long[][] wall = new long[2][n]; // per block, the median over the runs (one preempted run does not count)
        long[] v = new long[reps];
        double total = 0;
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < 2; d++) {
                for (int r = 0; r < reps; r++) {
                    v[r] = d == 0 ? runs[r][i].forwardNsPerSample() : runs[r][i].backwardNsPerSample();
                }
                java.util.Arrays.sort(v);
                wall[d][i] = v[reps / 2];
                total += wall[d][i] * (double) batch;
            }
        }
        double scale = total == 0 ? 0 : pass / total;
        long[][] out = new long[2][n];
        for (int i = 0; i < n; i++) {
            out[0][i] = Math.round(wall[0][i] * scale);
            out[1][i] = Math.round(wall[1][i] * scale);
        }
        return out;
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
            long t = cpuNs();
            int reps = Math.max(iterations, 1);
            for (int i = 0; i < reps; i++) {
                st.step();
            }
            s = (cpuNs() - t) / 1e9 / reps;
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

    /**
     * A first guess with no timing at all, from the model's sizes only, for the plan a live run starts with:
     * per sample, forward = 2 ns per byte the block keeps + 0.1 ns per parameter byte, backward twice that
     * (compute grows with the activations a block makes and the weights it applies); per call and optimizer
     * step as small constants; the runtime's copies at 2 GB/s. The memory figures are exact. The layers are laid
     * out over the scalar backend, which needs no native set-up: the sizes do not depend on the backend, and the
     * run's own backend is then created (and its library set up) by the training, not counted as tuning.
     */
    public static Measured estimate(ModelSpec spec) {
        List<BlockCost> blocks = new ArrayList<>();
        try (Backend b = new ScalarBackend()) {
            for (BlockProfile p : spec.build(0, spec.blockCount(), b, false).footprint()) {
                double perSample = 2e-9 * p.keptBytesPerSample() + 1e-10 * p.parameterBytes();
                blocks.add(new BlockCost(perSample, 2 * perSample, p.outputBytesPerSample(), p.parameterBytes(),
                        p.keptBytesPerSample() + p.scratchBytesPerSample(), 1e-5, 2e-5, 1e-10 * p.parameterBytes()));
            }
        }
        return new Measured(blocks, ESTIMATED_BYTES_PER_S, ESTIMATED_BYTES_PER_S, 0, 0);
    }

    /** The runtime's copy and averaging rates {@link #estimate} assumes. */
    static final double ESTIMATED_BYTES_PER_S = 2e9;

    /** Seconds {@link #sampleBackground} spins for when profiling. */
    static final double BACKGROUND_S = 0.1;

    /** Length of one compute burst of the background probe, and of the pause after it. */
    static final long BURST_NS = 2_000_000;

    /**
     * Other programs' competition for this machine's cores, as runnable threads B, as the runtime's threads
     * feel it: one probe thread per core alternates bursts of {@link #BURST_NS} of work with pauses as long (as
     * an owner's compute alternates with its parked slowdown padding and a hop's with its waits) for
     * {@code seconds}, and reads the share s of a core its bursts got (CPU time over their wall time); with C
     * cores time-sliced fairly s = min(1, C / (B + C)), so B = C / s - C (0 when each thread had its core).
     * A thread that spins without pause is served less than one that sleeps between bursts (the scheduler
     * favours waking threads), so a spinning probe would overstate what the runtime loses to other programs.
     * A probe thread's share is the median over its bursts ({@link #medianShare}): a competitor that stays shows
     * in every burst, a short stall (the host running another machine on this one's core for a few ms) in a few,
     * which the total CPU over total wall time counted in full (an idle VM read 4.4 threads once that way).
     */
    public static double sampleBackground(double seconds) throws InterruptedException {
        int cores = Runtime.getRuntime().availableProcessors();
        double[] share = new double[cores];
        Thread[] probes = new Thread[cores];
        long wallNs = Math.round(seconds * 1e9);
        int maxBursts = (int) Math.min(1 << 16, wallNs / BURST_NS + 2);
        for (int i = 0; i < cores; i++) {
            int k = i;
            probes[i] = Thread.ofPlatform().name("background-probe-" + i).start(() -> {
                long t0 = System.nanoTime();
                long[] cpu = new long[maxBursts];
                long[] wall = new long[maxBursts];
                int bursts = 0;
                long x = 0;
                while (System.nanoTime() - t0 < wallNs) {
                    long c0 = cpuNs();
                    long w0 = System.nanoTime();
                    // a burst: this thread's CPU time reaches BURST_NS (its wall time is what it was served in),
                    // cut short at the probe's end (a burst served slowly would otherwise hold the probe up to
                    // several times its length; a part burst measures the share as well)
                    while (cpuNs() - c0 < BURST_NS && System.nanoTime() - t0 < wallNs) {
                        for (int j = 0; j < 1000; j++) {
                            x += x * 31 + 7;
                        }
                    }
                    if (bursts < maxBursts) {
                        cpu[bursts] = cpuNs() - c0;
                        wall[bursts] = System.nanoTime() - w0;
                        bursts++;
                    }
                    if (System.nanoTime() - t0 < wallNs) {
                        java.util.concurrent.locks.LockSupport.parkNanos(BURST_NS);
                    }
                }
                share[k] = medianShare(cpu, wall, bursts) + (x == 42 ? 1e-12 : 0);
            });
        }
        double mean = 0;
        for (int i = 0; i < cores; i++) {
            probes[i].join();
            mean += share[i] / cores;
        }
        return mean <= 0 ? 0 : Math.max(0, cores / Math.min(mean, 1.0) - cores);
    }

    /**
     * The median over bursts i < n of cpu[i] / wall[i] (the share of a core each burst was served), bursts with
     * no wall time left out; 1 when there are none.
     */
    static double medianShare(long[] cpu, long[] wall, int n) {
        double[] s = new double[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (wall[i] > 0) {
                s[m++] = Math.min(1.0, cpu[i] / (double) wall[i]);
            }
        }
        if (m == 0) {
            return 1.0;
        }
        java.util.Arrays.sort(s, 0, m);
        return m % 2 == 1 ? s[m / 2] : (s[m / 2 - 1] + s[m / 2]) / 2;
    }

    /** Most seconds {@link #awaitQuiet} waits. */
    static final double QUIET_MAX_S = 3;

    /** Window of {@link #awaitQuiet}, and the share of one core the process's other threads may take in it. */
    static final long QUIET_WINDOW_NS = 100_000_000;
    static final double QUIET_SHARE = 0.05;

    /**
     * Waits, at most {@code maxS} seconds, until the other threads of this process (the just-in-time compiler
     * finishing the code just run, the garbage collector, threads of a cluster shutting down) take less than
     * {@link #QUIET_SHARE} of a core over a {@link #QUIET_WINDOW_NS} window in which this thread sleeps: timings
     * and the competition probe taken while they run would count a passing cost as a lasting one (a C2
     * compilation of a model's kernels runs for seconds, and its time shows only once it ends). Returns the
     * seconds waited; 0 at once where the process's CPU time is not known.
     */
    public static double awaitQuiet(double maxS) throws InterruptedException {
        if (!(java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os)) {
            return 0;
        }
        long t0 = System.nanoTime();
        long limit = t0 + Math.round(maxS * 1e9);
        while (System.nanoTime() < limit) {
            long p0 = os.getProcessCpuTime();
            long c0 = cpuNs();
            long w0 = System.nanoTime();
            Thread.sleep(QUIET_WINDOW_NS / 1_000_000);
            long others = (os.getProcessCpuTime() - p0) - (cpuNs() - c0);
            if (others < QUIET_SHARE * (System.nanoTime() - w0)) {
                break;
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** This thread's CPU time in ns. */
    static long cpuNs() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    /** Bytes per second of copying one tensor into another (as a sender fills the receiver's buffer). */
    static double copyRate() {
        return copyRate(1 << 20, 8);
    }

    /** Bytes per second of copying a tensor of {@code floats} into another, {@code reps} times. */
    static double copyRate(int floats, int reps) {
        MemoryAccount account = MemoryAccount.root("profile-copy");
        try (TensorArena arena = new TensorArena(account)) {
            Tensor a = arena.allocate(floats);
            Tensor b = arena.allocate(floats);
            a.fill(0f); // a native fill (a copy's speed does not depend on the values)
            b.copyFrom(a);
            long t = cpuNs();
            for (int i = 0; i < reps; i++) {
                b.copyFrom(a);
            }
            return reps * 4.0 * floats / Math.max((cpuNs() - t) / 1e9, 1e-9);
        }
    }

    /**
     * Bytes per second per copy of the round-end weighted average: out[j] = sum_p w[p] * in_p[j], in double,
     * element by element as the runtime does it; the best of {@code repeats} over {@code floats} elements.
     */
    static double averageRate(int floats, int repeats) {
        MemoryAccount account = MemoryAccount.root("profile-average");
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
            for (int rep = 0; rep < repeats; rep++) {
                long t = cpuNs();
                for (long j = 0; j < floats; j++) {
                    double v = 0;
                    for (int p = 0; p < copies; p++) {
                        v += w[p] * ins[p].get(j);
                    }
                    out.set(j, (float) v);
                }
                best = Math.min(best, cpuNs() - t);
            }
            return copies * 4.0 * floats / Math.max(best / 1e9, 1e-9);
        }
    }
}
