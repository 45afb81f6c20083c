package io.mpsl.scheduler.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * The live profiler's probe in one stage: each block's forward and backward time, and the optimizer step's,
 * taken from the stage's real training steps. A call's time is the computing thread's CPU time (what other
 * threads take from its core does not count, as in the separate profile; with a multi-threaded backend, whose
 * workers that would miss, the wall time), split over the blocks as their wall times ({@link System#nanoTime}
 * around each block) are. Kept per micro-batch size (up to {@link #SIZES} sizes), per block and direction, as
 * the last {@link #WINDOW} calls; the estimate is their median, so the just-in-time compiler's first slow calls
 * and a preempted call do not count. Recording allocates nothing: every buffer is made here, once. Written by
 * the stage's compute thread only; read after that thread's run (a joined thread's writes are visible).
 */
public final class BlockClock {

    /**
     * Calls kept per size, block and direction. Enough that the median spans several rounds' worth of a
     * stage's calls, not the last round's end alone: a compute node's calls slow down by a fifth or more for
     * seconds at a time on a shared machine, and its first calls after a round-end averaging are slower too.
     * With 8, the cost model fed a plan's own measured rounds' timings was within 10% of their median for 19-23
     * of the tune grid's 24 plans; with 64, 23 of 24 (twice). In a cold JVM the compiler's slow first calls stay
     * in the window longer; the median outlasts them once they are under half of it.
     */
    public static final int WINDOW = 64;
    /** Distinct micro-batch sizes kept (a plan gives a stage one or two; an epoch's short last batch one more). */
    public static final int SIZES = 4;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final int fromBlock;
    private final int blocks;
    private final boolean cpu;
    private final long[] wallNs; // per block, of the call being timed
    private final int[] sizes = new int[SIZES]; // samples of each slot; 0 = free
    private final long[][] calls = new long[2][SIZES]; // [direction][slot]
    private final long[][][] ns; // [direction][slot][block * WINDOW + k]: ring of the block's share of a call
    private final long[] stepNs = new long[WINDOW];
    private long steps;
    private long dropped; // calls of a size beyond SIZES
    private long callNs; // every forward and backward call's time, summed (dropped ones too)
    private long startNs;

    /**
     * @param cpuTime whether calls are timed by the thread's CPU time (a one-thread backend) or by wall time
     */
    public BlockClock(int fromBlock, int blocks, boolean cpuTime) {
        if (blocks < 1) {
            throw new IllegalArgumentException("a block clock needs at least one block, got " + blocks);
        }
        this.fromBlock = fromBlock;
        this.blocks = blocks;
        this.cpu = cpuTime && THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();
        this.wallNs = new long[blocks];
        this.ns = new long[2][SIZES][blocks * WINDOW];
    }

    private long now() {
        return cpu ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** Starts timing a forward or backward call; returns the per-block wall times the segment adds to. */
    long[] begin() {
        Arrays.fill(wallNs, 0);
        startNs = now();
        return wallNs;
    }

    /** Ends a forward call of {@code samples} samples begun with {@link #begin}. */
    void endForward(int samples) {
        end(0, samples);
    }

    /** Ends a backward call of {@code samples} samples begun with {@link #begin}. */
    void endBackward(int samples) {
        end(1, samples);
    }

    private void end(int direction, int samples) {
        add(direction, samples, now() - startNs, wallNs);
    }

    /**
     * Records one call in {@code direction} (0 forward, 1 backward) of {@code samples} samples that took
     * {@code totalNs}, split over the blocks as {@code blockWallNs} (one per block) are: what {@link #begin} and
     * the end of a call record, for a call timed elsewhere.
     */
    public void add(int direction, int samples, long totalNs, long[] blockWallNs) {
        if (blockWallNs.length != blocks || direction < 0 || direction > 1) {
            throw new IllegalArgumentException("a call of direction " + direction + " with " + blockWallNs.length
                    + " block times, for a clock of " + blocks + " blocks");
        }
        long total = totalNs;
        callNs += totalNs;
        int slot = slot(samples);
        if (slot < 0) {
            dropped++;
            return;
        }
        long wall = 0;
        for (int i = 0; i < blocks; i++) {
            wall += blockWallNs[i];
        }
        int k = (int) (calls[direction][slot] % WINDOW);
        long[] ring = ns[direction][slot];
        for (int i = 0; i < blocks; i++) {
            ring[i * WINDOW + k] = wall <= 0 ? total / blocks : (long) (total * (blockWallNs[i] / (double) wall));
        }
        calls[direction][slot]++;
    }

    private int slot(int samples) {
        for (int s = 0; s < SIZES; s++) {
            if (sizes[s] == samples) {
                return s;
            }
            if (sizes[s] == 0 && samples > 0) {
                sizes[s] = samples;
                return s;
            }
        }
        return -1;
    }

    /** Starts timing an optimizer step. */
    void beginStep() {
        startNs = now();
    }

    /** Ends an optimizer step begun with {@link #beginStep}. */
    void endStep() {
        addStep(now() - startNs);
    }

    /** Records an optimizer step that took {@code ns} (timed elsewhere). */
    public void addStep(long ns) {
        stepNs[(int) (steps++ % WINDOW)] = ns;
    }

    /** First block of the stage (the model's index). */
    public int fromBlock() {
        return fromBlock;
    }

    /** Blocks of the stage. */
    public int blockCount() {
        return blocks;
    }

    /** Whether calls were timed by the thread's CPU time (else by wall time). */
    public boolean cpuTime() {
        return cpu;
    }

    /** The micro-batch sizes seen, one per slot (0 = a slot not used). */
    public int[] sizes() {
        return sizes.clone();
    }

    /** Calls recorded in {@code direction} (0 forward, 1 backward) at the size of {@code slot}. */
    public long calls(int direction, int slot) {
        return calls[direction][slot];
    }

    /** Every forward and backward call's time (CPU or wall, as {@link #cpuTime()}), summed over all calls. */
    public long callNs() {
        return callNs;
    }

    /** Calls not recorded because more than {@link #SIZES} sizes came. */
    public long dropped() {
        return dropped;
    }

    /**
     * Median ns of block {@code fromBlock() + block} over the last calls in {@code direction} (0 forward, 1
     * backward) at the size of {@code slot}; NaN when there was none.
     */
    public double medianNs(int direction, int slot, int block) {
        int n = (int) Math.min(calls[direction][slot], WINDOW);
        if (n == 0) {
            return Double.NaN;
        }
        long[] v = Arrays.copyOfRange(ns[direction][slot], block * WINDOW, block * WINDOW + n);
        return median(v);
    }

    /** Optimizer steps recorded. */
    public long steps() {
        return steps;
    }

    /** Median ns of the last optimizer steps (step and zeroing of the gradients); NaN when there was none. */
    public double stepMedianNs() {
        int n = (int) Math.min(steps, WINDOW);
        return n == 0 ? Double.NaN : median(Arrays.copyOf(stepNs, n));
    }

    private static double median(long[] v) {
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    }
}
