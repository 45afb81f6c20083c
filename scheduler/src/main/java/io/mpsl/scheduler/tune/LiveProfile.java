package io.mpsl.scheduler.tune;

import io.mpsl.scheduler.runtime.BlockClock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The live profiler: each block's forward, backward and optimizer-step cost as the runtime's own training steps
 * measured them (each round's {@link BlockClock}s, one per stage of each node), so profiling costs no time
 * outside training. Kept per node, block, direction and micro-batch size as estimates weighted exponentially
 * over the rounds folded in (the newest with weight {@link #ALPHA}); a node's optimizer step is spread over its
 * blocks by their parameter bytes. {@link #blocks()} fits each block, over the sizes seen on any node, to
 * t(b) = call + b * perSample by least squares (one size seen: all of it per sample). Memory figures, and the
 * times of blocks no round ran, come from the figures it was made with (the model's sizes).
 */
public final class LiveProfile {

    /** Weight of the newest round in the estimates. */
    public static final double ALPHA = 0.5;
    /** Fewest calls of a size for its median to count. */
    static final int MIN_CALLS = 3;

    private record Key(String node, int block, int direction, int samples) {
    }

    private final List<BlockCost> base;
    private final Map<Key, Double> ns = new LinkedHashMap<>();
    private int rounds;
    private double averageBytesPerS = Double.NaN;
    private double ownerPassS = Double.NaN;
    private double hopPassS = Double.NaN;
    private double runtimeBackground = Double.NaN;

    /** @param base per block of the model: the memory figures, and stand-in times for blocks no round ran */
    public LiveProfile(List<BlockCost> base) {
        this.base = List.copyOf(base);
    }

    /** A copy, to be kept current apart from this one. */
    public LiveProfile copy() {
        LiveProfile c = new LiveProfile(base);
        c.ns.putAll(ns);
        c.rounds = rounds;
        c.averageBytesPerS = averageBytesPerS;
        c.ownerPassS = ownerPassS;
        c.hopPassS = hopPassS;
        c.runtimeBackground = runtimeBackground;
        c.runtimeBackgroundComplete = runtimeBackgroundComplete;
        c.runQueueWait = runQueueWait;
        return c;
    }

    /** Rounds folded in. */
    public int rounds() {
        return rounds;
    }

    /** The round-end averaging's bytes per second, as the rounds measured it; NaN before any did. */
    public double averageBytesPerS() {
        return averageBytesPerS;
    }

    /**
     * The CPU seconds an owner's forward or backward step takes beside its blocks' own calls (slicing the
     * input, sending, bookkeeping), as the rounds measured it (mean over owners, weighted over rounds as the
     * blocks are); 0 before any round measured it.
     */
    public double ownerPassS() {
        return Double.isNaN(ownerPassS) ? 0 : ownerPassS;
    }

    /**
     * Threads' worth of the processors that everything but the nodes' threads took while the nodes worked (see
     * {@code LocalCluster.runtimeBackgroundThreads()}), weighted over the rounds; 0 before any round measured it.
     * Where it was not measured {@link #runtimeBackgroundComplete() completely}, other programs are not in it, and
     * the tuner takes the larger of it and a probe.
     */
    public double runtimeBackgroundThreads() {
        return Double.isNaN(runtimeBackground) ? 0 : runtimeBackground;
    }

    /** As {@link #ownerPassS()} for the compute nodes (where the loss is computed in vanilla mode, too). */
    public double hopPassS() {
        return Double.isNaN(hopPassS) ? 0 : hopPassS;
    }

    /**
     * Whether the last round's competition came from the machine's own accounting (other programs' included; see
     * {@code LocalCluster.competitionComplete()}), so that no probe need add to {@link #runtimeBackgroundThreads()}.
     */
    public boolean runtimeBackgroundComplete() {
        return runtimeBackgroundComplete;
    }

    private boolean runtimeBackgroundComplete;
    private Map<String, Double> runQueueWait = Map.of();

    /**
     * Per node, the time its thread waited runnable for a core over the time it ran, in the last round
     * ({@code LocalCluster.runQueueWaitShare()}; NaN for a node where the kernel does not say); empty before. A diagnostic the cost model does not use yet: on two
     * cores the nodes' threads waited 35-64% of their run time while a core idled (docs/benchmarks.md).
     */
    public Map<String, Double> runQueueWait() {
        return runQueueWait;
    }

    /** Keeps a round's {@link #runQueueWait()} figures. */
    public void noteRunQueueWait(Map<String, Double> share) {
        runQueueWait = Map.copyOf(share);
    }

    /**
     * As {@link #update(Map, double)}, with each node's CPU seconds per forward or backward step beside its
     * blocks (see {@code LocalCluster.passOverheadS()}; nodes named owner* and hop*) and the run's own
     * competition ({@code LocalCluster.runtimeBackgroundThreads()}; NaN: not measured), {@code complete} when
     * measured from the machine's accounting.
     */
    public void update(Map<String, List<BlockClock>> clocks, double averageBytesPerS, Map<String, Double> passS,
            double runtimeBackgroundThreads, boolean complete) {
        if (runtimeBackgroundThreads >= 0) {
            runtimeBackground = weigh(runtimeBackground, runtimeBackgroundThreads);
            runtimeBackgroundComplete = complete;
        }
        double[] sum = new double[2];
        int[] count = new int[2];
        for (Map.Entry<String, Double> e : passS.entrySet()) {
            int kind = e.getKey().startsWith("owner") ? 0 : e.getKey().startsWith("hop") ? 1 : -1;
            if (kind >= 0 && e.getValue() >= 0) {
                sum[kind] += e.getValue();
                count[kind]++;
            }
        }
        if (count[0] > 0) {
            ownerPassS = weigh(ownerPassS, sum[0] / count[0]);
        }
        if (count[1] > 0) {
            hopPassS = weigh(hopPassS, sum[1] / count[1]);
        }
        update(clocks, averageBytesPerS);
    }

    /**
     * Folds in one round's block clocks, by node (see {@code LocalCluster.blockClocks()}), and its averaging
     * rate (NaN: the round did not average).
     */
    public void update(Map<String, List<BlockClock>> clocks, double averageBytesPerS) {
        if (averageBytesPerS > 0) {
            this.averageBytesPerS = weigh(this.averageBytesPerS, averageBytesPerS);
        }
        for (Map.Entry<String, List<BlockClock>> e : clocks.entrySet()) {
            String node = e.getKey();
            for (BlockClock c : e.getValue()) {
                if (c.fromBlock() + c.blockCount() > base.size()) {
                    throw new IllegalArgumentException(node + "'s clock covers blocks " + c.fromBlock() + ".."
                            + (c.fromBlock() + c.blockCount() - 1) + " of a model of " + base.size());
                }
                int[] sizes = c.sizes();
                for (int slot = 0; slot < sizes.length; slot++) {
                    for (int d = 0; d < 2 && sizes[slot] > 0; d++) {
                        if (c.calls(d, slot) < MIN_CALLS) {
                            continue;
                        }
                        for (int i = 0; i < c.blockCount(); i++) {
                            fold(new Key(node, c.fromBlock() + i, d, sizes[slot]), c.medianNs(d, slot, i));
                        }
                    }
                }
                if (c.steps() > 0) {
                    double step = c.stepMedianNs();
                    long params = 0;
                    for (int i = 0; i < c.blockCount(); i++) {
                        params += base.get(c.fromBlock() + i).parameterBytes();
                    }
                    for (int i = 0; i < c.blockCount(); i++) {
                        long p = base.get(c.fromBlock() + i).parameterBytes();
                        fold(new Key(node, c.fromBlock() + i, 2, 0),
                                params == 0 ? step / c.blockCount() : step * p / params);
                    }
                }
            }
        }
        rounds++;
    }

    private void fold(Key k, double v) {
        Double old = ns.get(k);
        ns.put(k, weigh(old == null ? Double.NaN : old, v));
    }

    /** An estimate {@code old} (NaN: none yet) with the newest round's {@code v} weighted in by {@link #ALPHA}. */
    private static double weigh(double old, double v) {
        return Double.isNaN(old) ? v : (1 - ALPHA) * old + ALPHA * v;
    }

    /** The micro-batch sizes any node timed block {@code block} at, forward, ascending. */
    public List<Integer> sizesSeen(int block) {
        List<Integer> l = new ArrayList<>(points(block, 0).keySet());
        return l;
    }

    /** Per size: {sum of ns over nodes, nodes} of block {@code block} in direction {@code d}. */
    private TreeMap<Integer, double[]> points(int block, int d) {
        TreeMap<Integer, double[]> m = new TreeMap<>();
        for (Map.Entry<Key, Double> e : ns.entrySet()) {
            Key k = e.getKey();
            if (k.block() == block && k.direction() == d) {
                double[] a = m.computeIfAbsent(k.samples(), x -> new double[2]);
                a[0] += e.getValue();
                a[1]++;
            }
        }
        return m;
    }

    /**
     * Each block's cost: forward and backward fitted over the sizes the rounds timed it at, the optimizer step
     * as timed (mean over the nodes that ran the block); memory figures from the base. Blocks no round timed
     * keep the base's times, scaled by how the timed blocks compare with theirs in the base.
     */
    public List<BlockCost> blocks() {
        int n = base.size();
        double[][] fit = new double[n][];
        double measured = 0;
        double estimated = 0;
        for (int b = 0; b < n; b++) {
            TreeMap<Integer, double[]> f = points(b, 0);
            TreeMap<Integer, double[]> bw = points(b, 1);
            if (f.isEmpty() || bw.isEmpty()) {
                continue;
            }
            double[] ff = fit(f);
            double[] bb = fit(bw);
            TreeMap<Integer, double[]> st = points(b, 2);
            double[] s0 = st.isEmpty() ? null : st.firstEntry().getValue();
            double step = s0 == null ? base.get(b).stepS() : s0[0] / s0[1] * 1e-9;
            fit[b] = new double[] {ff[0], ff[1], bb[0], bb[1], step};
            BlockCost e = base.get(b);
            int s = f.lastKey();
            measured += ff[0] + s * ff[1] + bb[0] + s * bb[1];
            estimated += e.forwardS(s) + e.backwardS(s);
        }
        double scale = measured > 0 && estimated > 0 ? measured / estimated : 1.0;
        List<BlockCost> out = new ArrayList<>(n);
        for (int b = 0; b < n; b++) {
            BlockCost e = base.get(b);
            double[] x = fit[b];
            out.add(x == null ? e.scaled(scale)
                    : new BlockCost(x[1], x[3], e.outputBytes(), e.parameterBytes(), e.activationBytes(), x[0], x[2],
                            x[4]));
        }
        return out;
    }

    /**
     * Least squares of t(b) = call + b * perSample through per-size mean times (ns); returns {call, perSample} in
     * seconds, both non-negative (a negative slope: the mean time as a per-call cost; a negative intercept: the
     * line through the origin).
     */
    static double[] fit(TreeMap<Integer, double[]> points) {
        int k = points.size();
        double mb = 0;
        double mt = 0;
        for (Map.Entry<Integer, double[]> e : points.entrySet()) {
            mb += e.getKey() / (double) k;
            mt += e.getValue()[0] / e.getValue()[1] / k;
        }
        if (k == 1) {
            return new double[] {0, mt / mb * 1e-9};
        }
        double cov = 0;
        double var = 0;
        double bt = 0;
        double bb = 0;
        for (Map.Entry<Integer, double[]> e : points.entrySet()) {
            double b = e.getKey();
            double t = e.getValue()[0] / e.getValue()[1];
            cov += (b - mb) * (t - mt);
            var += (b - mb) * (b - mb);
            bt += b * t;
            bb += b * b;
        }
        double per = cov / var;
        double call = mt - per * mb;
        if (per < 0) {
            return new double[] {mt * 1e-9, 0};
        }
        if (call < 0) {
            return new double[] {0, bt / bb * 1e-9};
        }
        return new double[] {call * 1e-9, per * 1e-9};
    }
}
