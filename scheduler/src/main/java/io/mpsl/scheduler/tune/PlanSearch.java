package io.mpsl.scheduler.tune;

import io.mpsl.scheduler.cost.PipelineSimulator;
import io.mpsl.scheduler.cost.PipelineSimulator.LinkCost;
import io.mpsl.scheduler.cost.PipelineSimulator.StageCost;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses hops, cut points and the micro-batch count for a {@link TuningProblem}. Every contiguous
 * partition and micro-batch count is a candidate; those that break a compute node's memory cap are dropped;
 * the rest are ordered by a cheap lower bound (the busiest resource's work, all compute over the shared
 * cores, each pipeline's fill and drain, and, when whole rounds are simulated, the round's end: the last
 * owner's weights up, the average, the slowest download) and simulated in that order with
 * {@link PipelineSimulator}, stopping as soon as the next lower bound is no better than the last runner-up:
 * the result is the same as simulating all of them (ties go to the first in enumeration order, as there).
 * The bound visits owners by batch: the terms summed over owners once per batch, the terms taken at their
 * largest only over the classes of owners that no other class is slower than in every respect (wall time per
 * work: compute factor, shared cores and slowdown's padding; each link's time per byte and delay), those taken at
 * their least over the fastest ones.
 *
 * <p>A few plans guessed best are simulated first, so that the runner-up is good early. A simulation stops,
 * as no better than the runner-up, as soon as an owner cannot finish its own processor's remaining work (at
 * least its work and its slowdown's padding) by the time it would have to, or the owners sharing a hop cannot all
 * end their last backward there in time for their gradients, their owners' backwards and steps and their weights'
 * upload (an earliest-deadline-first test of the hop's remaining work). Threads take the next plan as they
 * finish one, each simulating with the runner-up known then (it only gets better, so a plan stopped at an
 * older one is no runner-up either).
 *
 * <p>A prediction is one round's time divided by its iterations: the simulated iterations back to back
 * (consecutive mini-batches overlap on the pipeline), then the round-end aggregation (owners' parts up to the
 * coordinator, averaged, and back; each hop averages its per-participant copies). Rounds of many iterations
 * are extrapolated from the last simulated iteration.
 */
public final class PlanSearch {

    /**
     * Iterations simulated of a round longer than {@link #WHOLE_ROUND_ITERATIONS}: such a round grows from them by
     * the last simulated iteration's time (simulated once over this many iterations and once over one fewer).
     */
    static final int SIMULATED_ITERATIONS = 3;

    /**
     * Rounds of at most this many iterations are simulated whole: it costs no more than the two shorter
     * simulations the extrapolation takes ({@value #SIMULATED_ITERATIONS} + {@value #SIMULATED_ITERATIONS} - 1
     * iterations) and needs no extrapolation.
     */
    static final int WHOLE_ROUND_ITERATIONS = 2 * SIMULATED_ITERATIONS - 1;

    /** Plans simulated first, beside the runners-up kept, in the order of a guess of their time. */
    static final int SEEDS = 4;

    /** A limit no plan reaches (seconds per iteration), finite: see {@link #simulateUntilDone}. */
    static final double NO_LIMIT_S = 1e300;

    /** Threads that simulate plans at once, at most (fewer on fewer processors). */
    static final int MAX_THREADS = 8;

    /**
     * The chosen plan, the next best ones, and how much work the search did: candidates, those simulated, those
     * over the memory cap, and the simulator's events over every simulation.
     */
    public record Result(Candidate best, List<Candidate> alternatives, int candidates, int simulated,
            int overMemory, long events) {
    }

    private final TuningProblem problem;
    private final RuntimeCosts rt;
    private final int n;
    private final double[] fwd; // prefix sums over blocks, per sample
    private final double[] bwd;
    private final double[] fwdCall; // prefix sums over blocks, per call
    private final double[] bwdCall;
    private final double[] step;
    private final long[] params;
    private final long[] acts;
    // owners with the same batch, slowdown, compute factor and links: their class, one spec per class
    private final int[] ownerClass;
    private final OwnerSpec[] classSpec;
    private final double[] classFactor;
    private final long totalBatch;
    // a compute task's least wall seconds per second of work on shared cores: alone beside the background
    private final double stretch;
    // per class: batch, least wall seconds per second of profiled work (compute factor times the stretch or the
    // slowdown, the larger: a step is padded to slowdown times its work, see PipelineSimulator), owners in it,
    // seconds per byte and delay of its uplink and downlink
    private final int[] classBatch;
    private final double[] classWallPerWork;
    private final int[] classCount;
    private final double[] classUpSpb;
    private final double[] classDownSpb;
    private final double[] classUpDelayS;
    private final double[] classDownDelayS;
    private final double hopSpb;
    private final double hopDelayS;
    private final double[] outputBytes; // per block, per sample
    // owners by batch: the batch, owners and sum of their compute factors, and the classes that bound the terms
    // taken at their largest (slowest: no other class of the batch is slower in every respect) or at their least
    private final int[] groupBatch;
    private final double[] groupCount;
    private final double[] groupFactorSum;
    private final int[][] groupSlowest;
    private final int[][] groupFastest;
    private final double[] scratchF;
    private final double[] scratchB;
    private final double[] scratchA;
    private final double[] scratchG;
    // the current candidate's per-stage and per-hop terms (bounds are computed on one thread)
    private final double[] scratchFCall;
    private final double[] scratchFSample;
    private final double[] scratchBCall;
    private final double[] scratchBSample;
    private final double[] scratchStep;
    private final double[] scratchOut;
    private final boolean[] scratchOwned;
    private final double[] scratchHopBusy;
    private final double[] scratchHopLinkBusy;
    private final double[] scratchHopFill;
    private final double[] scratchHopDrain;
    private final double[] scratchHopWork;
    private final double[] scratchHopToCoordinator;

    public PlanSearch(TuningProblem problem) {
        this.problem = problem;
        RuntimeCosts costs = problem.runtime();
        stretch = costs.cores() > 0 ? 1 / Math.min(1.0, costs.cores() / (costs.backgroundThreads() + 1)) : 1.0;
        int np = problem.owners().size();
        ownerClass = new int[np];
        List<OwnerSpec> specs = new ArrayList<>();
        List<Double> factors = new ArrayList<>();
        long batches = 0;
        for (int p = 0; p < np; p++) {
            OwnerSpec o = problem.owners().get(p);
            batches += o.batch();
            int c = 0;
            while (c < specs.size() && !(sameOwner(specs.get(c), o) && factors.get(c) == problem.ownerFactor(p))) {
                c++;
            }
            if (c == specs.size()) {
                specs.add(o);
                factors.add(problem.ownerFactor(p));
            }
            ownerClass[p] = c;
        }
        totalBatch = batches;
        classSpec = specs.toArray(new OwnerSpec[0]);
        classFactor = new double[classSpec.length];
        for (int c = 0; c < classFactor.length; c++) {
            classFactor[c] = factors.get(c);
        }
        // evaluate() takes any plan of the model, also one with more hops than searched: at most blocks - 1 hops
        int hopsAtMost = Math.max(problem.maxHops(), problem.blocks().size());
        int maxStages = hopsAtMost + 2;
        int nc = classSpec.length;
        classBatch = new int[nc];
        classWallPerWork = new double[nc];
        classCount = new int[nc];
        classUpSpb = new double[nc];
        classDownSpb = new double[nc];
        classUpDelayS = new double[nc];
        classDownDelayS = new double[nc];
        for (int c = 0; c < nc; c++) {
            OwnerSpec o = classSpec[c];
            classBatch[c] = o.batch();
            classWallPerWork[c] = classFactor[c] * Math.max(stretch, o.slowdown());
            classUpSpb[c] = secondsPerByte(o.uplink());
            classDownSpb[c] = secondsPerByte(o.downlink());
            classUpDelayS[c] = o.uplink().delayNs() / 1e9;
            classDownDelayS[c] = o.downlink().delayNs() / 1e9;
        }
        for (int c : ownerClass) {
            classCount[c]++;
        }
        List<Integer> batchValues = new ArrayList<>();
        for (int c = 0; c < nc; c++) {
            if (!batchValues.contains(classBatch[c])) {
                batchValues.add(classBatch[c]);
            }
        }
        int ng = batchValues.size();
        groupBatch = new int[ng];
        groupCount = new double[ng];
        groupFactorSum = new double[ng];
        groupSlowest = new int[ng][];
        groupFastest = new int[ng][];
        for (int g = 0; g < ng; g++) {
            groupBatch[g] = batchValues.get(g);
            List<Integer> slowest = new ArrayList<>();
            List<Integer> fastest = new ArrayList<>();
            for (int c = 0; c < nc; c++) {
                if (classBatch[c] != groupBatch[g]) {
                    continue;
                }
                groupCount[g] += classCount[c];
                groupFactorSum[g] += classCount[c] * classFactor[c];
                boolean dominated = false;
                boolean dominates = false;
                for (int d = 0; d < nc; d++) {
                    if (d != c && classBatch[d] == groupBatch[g]) {
                        dominated |= slower(d, c);
                        dominates |= slower(c, d);
                    }
                }
                if (!dominated) {
                    slowest.add(c);
                }
                if (!dominates) {
                    fastest.add(c);
                }
            }
            groupSlowest[g] = slowest.stream().mapToInt(Integer::intValue).toArray();
            groupFastest[g] = fastest.stream().mapToInt(Integer::intValue).toArray();
        }
        scratchF = new double[maxStages];
        scratchB = new double[maxStages];
        scratchA = new double[maxStages];
        scratchG = new double[maxStages];
        hopSpb = secondsPerByte(problem.hopLink());
        hopDelayS = problem.hopLink().delayNs() / 1e9;
        scratchFCall = new double[maxStages];
        scratchFSample = new double[maxStages];
        scratchBCall = new double[maxStages];
        scratchBSample = new double[maxStages];
        scratchStep = new double[maxStages];
        scratchOut = new double[maxStages];
        scratchOwned = new boolean[maxStages];
        scratchHopBusy = new double[maxStages];
        scratchHopLinkBusy = new double[2 * maxStages];
        scratchHopFill = new double[maxStages];
        scratchHopDrain = new double[maxStages];
        scratchHopWork = new double[maxStages];
        scratchHopToCoordinator = new double[maxStages];
        this.rt = problem.runtime();
        choices = problem.microBatchChoices();
        names = new String[3 * np + 3 * (hopsAtMost + 1)];
        for (int p = 0; p < np; p++) {
            names[3 * p] = "owner" + p;
            names[3 * p + 1] = "owner" + p + ".up";
            names[3 * p + 2] = "owner" + p + ".down";
        }
        for (int h = 1; h <= hopsAtMost; h++) {
            names[3 * np + 3 * h] = "hop" + h;
            names[3 * np + 3 * h + 1] = "hop" + h + "->hop" + (h + 1);
            names[3 * np + 3 * h + 2] = "hop" + (h + 1) + "->hop" + h;
        }
        this.n = problem.blocks().size();
        fwd = new double[n + 1];
        bwd = new double[n + 1];
        fwdCall = new double[n + 1];
        bwdCall = new double[n + 1];
        step = new double[n + 1];
        params = new long[n + 1];
        acts = new long[n + 1];
        outputBytes = new double[n];
        windowWidth = hopsAtMost + 3;
        windowTable = new int[choices.length * windowWidth * windowWidth];
        maxMicroOf = new int[choices.length];
        for (int i = 0; i < choices.length; i++) {
            maxMicroOf[i] = maxMicro(choices[i]);
        }
        for (int i = 0; i < n; i++) {
            BlockCost b = problem.blocks().get(i);
            fwd[i + 1] = fwd[i] + b.forwardS();
            bwd[i + 1] = bwd[i] + b.backwardS();
            fwdCall[i + 1] = fwdCall[i] + b.forwardCallS();
            bwdCall[i + 1] = bwdCall[i] + b.backwardCallS();
            step[i + 1] = step[i] + b.stepS();
            params[i + 1] = params[i] + b.parameterBytes();
            acts[i + 1] = acts[i] + b.activationBytes();
            outputBytes[i] = b.outputBytes();
        }
    }

    /** Searches every candidate; keeps {@code alternatives} runners-up; simulates on up to 8 of the processors. */
    public Result search(int alternatives) {
        return search(alternatives, Math.min(Runtime.getRuntime().availableProcessors(), MAX_THREADS));
    }

    /** As {@link #search(int)}, simulating on {@code threads} threads (the caller's among them). */
    public Result search(int alternatives, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        int[] counts = new int[2];
        List<Ranked> feasible = feasible(counts); // in enumeration order
        // first the plans guessed best, so that the limit below is tight early; then the rest in bound order, taken
        // from a heap as they are needed (the search stops long before the last of tens of thousands)
        int seeds = Math.min(feasible.size(), alternatives + 1 + SEEDS);
        List<Ranked> order = guessedBest(feasible, seeds);
        boolean[] seeded = new boolean[counts[0]];
        for (Ranked c : order) {
            seeded[c.index()] = true;
        }
        List<Ranked> rest = new ArrayList<>(feasible.size() - seeds);
        for (Ranked c : feasible) {
            if (!seeded[c.index()]) {
                rest.add(c);
            }
        }
        // every thread takes the next plan still worth simulating and simulates it limited by the last runner-up
        // then (the runners-up only get better, so a plan stopped at an older limit is no runner-up either)
        Progress progress = new Progress(order, rest, alternatives);
        java.util.concurrent.ExecutorService pool = threads > 1
                ? java.util.concurrent.Executors.newFixedThreadPool(threads - 1, r -> {
                    Thread t = new Thread(r, "plan-search");
                    t.setDaemon(true);
                    return t;
                })
                : null;
        try {
            List<java.util.concurrent.Future<?>> helpers = new ArrayList<>();
            for (int t = 1; t < threads; t++) {
                helpers.add(pool.submit(() -> simulateUntilDone(progress)));
            }
            simulateUntilDone(progress);
            for (java.util.concurrent.Future<?> f : helpers) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("plan search interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("simulating a plan failed: " + e.getCause(), e.getCause());
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
        List<Ranked> simulated = progress.simulated;
        // ties in enumeration order, as simulating every candidate would order them
        simulated.sort(Comparator.comparingDouble(Ranked::key).thenComparingInt(Ranked::index));
        List<Candidate> alt = new ArrayList<>();
        for (int i = 1; i < Math.min(simulated.size(), alternatives + 1); i++) {
            alt.add(simulated.get(i).candidate());
        }
        return new Result(simulated.get(0).candidate(), List.copyOf(alt), counts[0], simulated.size(), counts[1],
                progress.events);
    }

    /**
     * The candidate a cheap guess of every plan's time ranks first (the busiest hop's work with its fill and
     * drain, the slowest owner's transfers and the round's end; ties in enumeration order), simulated alone for
     * its prediction: for a first plan from sizes alone, whose accuracy does not repay a full search. Every
     * node's memory cap holds as in {@link #search}.
     */
    public Candidate guessBest() {
        List<Ranked> feasible = feasible(new int[2]);
        Ranked best = feasible.get(0);
        for (Ranked r : feasible) {
            if (r.guess() < best.guess() || (r.guess() == best.guess() && r.index() < best.index())) {
                best = r;
            }
        }
        return simulate(best.candidate());
    }

    /**
     * Every candidate under the memory cap, bounded and guessed ({@code counts}: candidates, over the cap); throws
     * with what to change when none fits.
     */
    private List<Ranked> feasible(int[] counts) {
        List<Ranked> feasible = new ArrayList<>();
        enumerateAll(feasible, counts);
        if (feasible.isEmpty()) {
            throw new IllegalStateException("no plan fits the memory cap of " + problem.memoryCapBytes()
                    + " bytes per compute node with " + problem.minHops() + ".." + problem.maxHops()
                    + " hops; allow more hops, fewer owners or a larger cap");
        }
        return feasible;
    }

    /** Takes plans from {@code progress} and simulates them until none is left worth simulating. */
    private void simulateUntilDone(Progress progress) {
        while (true) {
            Ranked c = progress.take();
            if (c == null) {
                return;
            }
            long before = simulatedEvents.get()[0];
            // a limit far past any plan's time rather than none for the first plans (no runner-up known yet): the
            // same simulation, but through the same checks as every later one, so that the JIT compiles them from
            // the first plans' profile instead of compiling the simulator again once they appear
            Candidate s = simulate(c.candidate(), Math.min(c.guess(), NO_LIMIT_S));
            progress.record(c, s, simulatedEvents.get()[0] - before);
        }
    }

    /**
     * The {@code n} plans of the least guess (ties in enumeration order), in that order: the seeds. One pass,
     * keeping the best n so far in order.
     */
    private static List<Ranked> guessedBest(List<Ranked> feasible, int n) {
        Ranked[] best = new Ranked[n];
        int size = 0;
        for (Ranked c : feasible) { // in enumeration order: a tie keeps the earlier
            if (size == n && c.guess() >= best[n - 1].guess()) {
                continue;
            }
            int i = size == n ? n - 1 : size++;
            while (i > 0 && best[i - 1].guess() > c.guess()) {
                best[i] = best[i - 1];
                i--;
            }
            best[i] = c;
        }
        return new ArrayList<>(List.of(best).subList(0, size));
    }

    /**
     * The search's shared state: the seeds in the order they are simulated, the other plans in a heap by bound
     * (ties in enumeration order), the best predictions so far (ascending) and what was simulated. take() hands
     * out the next plan with the limit to simulate it by.
     */
    private static final class Progress {
        final List<Ranked> seeds;
        final Ranked[] heap;
        int heapSize;
        final double[] top;
        final List<Ranked> simulated = new ArrayList<>();
        int nextSeed;
        boolean done;
        long events;

        Progress(List<Ranked> seeds, List<Ranked> rest, int alternatives) {
            this.seeds = seeds;
            heap = rest.toArray(new Ranked[0]);
            heapSize = heap.length;
            for (int i = heapSize / 2 - 1; i >= 0; i--) {
                siftDown(i);
            }
            top = new double[alternatives + 1];
            java.util.Arrays.fill(top, Double.POSITIVE_INFINITY);
        }

        private static boolean before(Ranked a, Ranked b) {
            return a.key() < b.key() || (a.key() == b.key() && a.index() < b.index());
        }

        private void siftDown(int i) {
            Ranked x = heap[i];
            while (true) {
                int c = 2 * i + 1;
                if (c >= heapSize) {
                    break;
                }
                if (c + 1 < heapSize && before(heap[c + 1], heap[c])) {
                    c++;
                }
                if (!before(heap[c], x)) {
                    break;
                }
                heap[i] = heap[c];
                i = c;
            }
            heap[i] = x;
        }

        /** The next plan worth simulating, its guess replaced by the limit to simulate it by; null when done. */
        synchronized Ranked take() {
            double limit = top[top.length - 1];
            Ranked c;
            if (nextSeed < seeds.size()) {
                c = seeds.get(nextSeed++);
            } else {
                if (done || heapSize == 0 || heap[0].key() >= limit) {
                    done = true; // neither the best nor a runner-up can come after this
                    return null;
                }
                c = heap[0];
                heap[0] = heap[--heapSize];
                heap[heapSize] = null;
                if (heapSize > 0) {
                    siftDown(0);
                }
            }
            return new Ranked(c.candidate(), c.key(), c.index(), limit);
        }

        synchronized void record(Ranked c, Candidate s, long simulatorEvents) {
            events += simulatorEvents;
            double v = s.predictedIterationS();
            simulated.add(new Ranked(s, v, c.index(), c.guess()));
            for (int i = 0; i < top.length; i++) {
                if (v < top[i]) {
                    System.arraycopy(top, i, top, i + 1, top.length - i - 1);
                    top[i] = v;
                    break;
                }
            }
        }
    }

    /** The prediction for one given plan: {@code hops}, {@code cuts} and {@code microBatches}. */
    public Candidate evaluate(int hops, int[] cuts, int microBatches) {
        int want = problem.mode() == Mode.U_SHAPED ? hops + 1 : hops;
        if (cuts.length != want || cuts[0] < 1 || cuts[cuts.length - 1] > n - 1) {
            throw new IllegalArgumentException("cuts " + java.util.Arrays.toString(cuts) + " do not fit " + hops
                    + " hop(s) on " + n + " blocks in " + problem.mode() + " mode");
        }
        return simulate(bound(hops, cuts.clone(), microBatches));
    }

    /** Simulates every candidate (for tests of the pruning against brute force). */
    public List<Candidate> simulateAll() {
        List<Ranked> all = new ArrayList<>();
        enumerateAll(all, new int[2]);
        List<Candidate> out = new ArrayList<>();
        for (Ranked c : all) {
            out.add(simulate(c.candidate()));
        }
        out.sort(Comparator.comparingDouble(Candidate::predictedIterationS));
        return out;
    }

    private void enumerateAll(List<Ranked> out, int[] counts) {
        for (int hops = problem.minHops(); hops <= problem.maxHops(); hops++) {
            int cutCount = problem.mode() == Mode.U_SHAPED ? hops + 1 : hops;
            if (cutCount > n - 1) {
                break;
            }
            enumerate(new int[cutCount], 0, 1, hops, out, counts);
        }
    }

    private void enumerate(int[] cuts, int i, int from, int hops, List<Ranked> out, int[] counts) {
        if (i == cuts.length) {
            int stages = stages(hops);
            for (int mi = 0; mi < choices.length; mi++) {
                int m = choices[mi];
                int index = counts[0]++;
                // memory first: a plan over the cap needs no bound
                long[] memory = new long[hops];
                boolean over = false;
                for (int h = 1; h <= hops; h++) {
                    memory[h - 1] = hopMemoryBytes(cuts, stages, h, m, maxMicroOf[mi]);
                    over |= problem.memoryCapBytes() > 0 && memory[h - 1] > problem.memoryCapBytes();
                }
                if (over) {
                    counts[1]++;
                } else {
                    out.add(bound(hops, cuts.clone(), m, index, memory));
                }
            }
            return;
        }
        int remaining = cuts.length - i - 1;
        for (int c = from; c <= n - 1 - remaining; c++) {
            cuts[i] = c;
            enumerate(cuts, i + 1, c + 1, hops, out, counts);
        }
    }

    private int stages(int hops) {
        return hops + 1 + (problem.mode() == Mode.U_SHAPED ? 1 : 0);
    }

    private int from(int[] cuts, int s) {
        return s == 0 ? 0 : cuts[s - 1];
    }

    private int to(int[] cuts, int stages, int s) {
        return s == stages - 1 ? n : cuts[s];
    }

    private boolean ownerStage(int stages, int s) {
        return s == 0 || (problem.mode() == Mode.U_SHAPED && s == stages - 1);
    }

    private static boolean sameOwner(OwnerSpec a, OwnerSpec b) {
        return a.batch() == b.batch() && a.slowdown() == b.slowdown() && a.uplink().equals(b.uplink())
                && a.downlink().equals(b.downlink());
    }

    private static int micro(OwnerSpec o, int m) {
        return Math.min(m, o.batch());
    }

    /**
     * Whether class a is at least as slow as class b in every respect (wall time per work, each
     * link's seconds per byte and delay) and slower in one: then every term of a bound that grows with these
     * is at least b's for a, and every term that is taken at its least is at most a's for b.
     */
    private boolean slower(int a, int b) {
        double ka = classWallPerWork[a];
        double kb = classWallPerWork[b];
        boolean atLeast = ka >= kb && classUpSpb[a] >= classUpSpb[b] && classDownSpb[a] >= classDownSpb[b]
                && classUpDelayS[a] >= classUpDelayS[b] && classDownDelayS[a] >= classDownDelayS[b];
        boolean same = ka == kb && classUpSpb[a] == classUpSpb[b] && classDownSpb[a] == classDownSpb[b]
                && classUpDelayS[a] == classUpDelayS[b] && classDownDelayS[a] == classDownDelayS[b];
        return atLeast && !same;
    }

    /** Seconds a link takes per byte (0 for an unlimited link). */
    private static double secondsPerByte(LinkSpec l) {
        return l.rateBitsPerS() == 0 ? 0 : 8.0 / l.rateBitsPerS();
    }

    private static double transferS(LinkSpec l, double bytes) {
        return l.rateBitsPerS() == 0 ? 0 : bytes * 8.0 / l.rateBitsPerS();
    }

    /** Core-seconds of stage s's forward of one micro-batch of {@code size} samples, sends included. */
    private double forwardS(int[] cuts, int stages, int s, double size) {
        int a = from(cuts, s);
        int b = to(cuts, stages, s);
        double t = fwdCall[b] - fwdCall[a] + size * (fwd[b] - fwd[a]) + passS(stages, s);
        if (s < stages - 1) {
            t += rt.copyS(activationBytes(cuts, s, size));
        }
        return t;
    }

    /** Core-seconds of stage s's backward of one micro-batch, its input gradient's send included. */
    private double backwardS(int[] cuts, int stages, int s, double size) {
        int a = from(cuts, s);
        int b = to(cuts, stages, s);
        double t = bwdCall[b] - bwdCall[a] + size * (bwd[b] - bwd[a]) + passS(stages, s);
        if (s > 0) {
            t += rt.copyS(gradientBytes(cuts, s - 1, size));
        }
        return t;
    }

    /** The runtime's own CPU seconds per forward or backward step of stage s, beside the blocks (measured live). */
    private double passS(int stages, int s) {
        return ownerStage(stages, s) ? rt.ownerPassS() : rt.hopPassS();
    }

    private double stepS(int[] cuts, int stages, int s) {
        return step[to(cuts, stages, s)] - step[from(cuts, s)];
    }

    /** Wire bytes of the activation after stage s (with labels in vanilla mode). */
    private double activationBytes(int[] cuts, int s, double size) {
        double b = size * problem.blocks().get(cuts[s] - 1).outputBytes() + rt.headerBytes();
        return problem.mode() == Mode.VANILLA ? b + 4 * size : b;
    }

    /** Wire bytes of the gradient sent back over the link after stage s. */
    private double gradientBytes(int[] cuts, int s, double size) {
        return size * problem.blocks().get(cuts[s] - 1).outputBytes() + rt.headerBytes();
    }

    /** Bytes of the parameters an owner holds (its head, and its tail in U-shaped mode). */
    private long ownerParamBytes(int[] cuts, int stages) {
        long b = params[to(cuts, stages, 0)];
        if (problem.mode() == Mode.U_SHAPED) {
            b += params[n] - params[from(cuts, stages - 1)];
        }
        return b;
    }

    /** Lower bound (per iteration) and memory of a candidate, without simulating it. */
    private Candidate bound(int hops, int[] cuts, int m) {
        return bound(hops, cuts, m, 0).candidate();
    }

    /**
     * Lower bound (per iteration) and memory of a candidate, without simulating it, and the bound the search
     * orders and prunes by. Owners of one class (same batch, slowdown, compute factor and links) have the
     * same terms, computed once; the sums over owners still add every owner's term in owner order.
     */
    private Ranked bound(int hops, int[] cuts, int m, int index) {
        int stages = stages(hops);
        int maxMicro = maxMicro(m);
        long[] memory = new long[hops];
        for (int h = 1; h <= hops; h++) {
            memory[h - 1] = hopMemoryBytes(cuts, stages, h, m, maxMicro);
        }
        return bound(hops, cuts, m, index, memory);
    }

    /** The largest micro-batch (samples) of any owner with {@code m} micro-batches. */
    private int maxMicro(int m) {
        int maxMicro = 1;
        for (OwnerSpec o : classSpec) {
            maxMicro = Math.max(maxMicro, (int) Math.ceil(o.batch() / (double) micro(o, m)));
        }
        return maxMicro;
    }

    /**
     * As {@link #bound(int, int[], int, int)} with each compute node's memory given. Every class of owners is
     * visited once and its terms that are summed over owners are counted as many times as it has owners.
     */
    private Ranked bound(int hops, int[] cuts, int m, int index, long[] memory) {
        int stages = stages(hops);
        boolean uShaped = problem.mode() == Mode.U_SHAPED;
        double labels = problem.mode() == Mode.VANILLA ? 4 : 0;
        double header = rt.headerBytes();
        // the candidate's per-stage terms: compute per call and per sample, optimizer step, bytes after the stage
        double[] fCall = scratchFCall;
        double[] fSample = scratchFSample;
        double[] bCall = scratchBCall;
        double[] bSample = scratchBSample;
        double[] stepOf = scratchStep;
        double[] outAfter = scratchOut;
        boolean[] owned = scratchOwned;
        for (int s = 0; s < stages; s++) {
            int a = s == 0 ? 0 : cuts[s - 1];
            int b = s == stages - 1 ? n : cuts[s];
            fCall[s] = fwdCall[b] - fwdCall[a];
            fSample[s] = fwd[b] - fwd[a];
            bCall[s] = bwdCall[b] - bwdCall[a];
            bSample[s] = bwd[b] - bwd[a];
            stepOf[s] = step[b] - step[a];
            outAfter[s] = s < stages - 1 ? outputBytes[cuts[s] - 1] : 0;
            owned[s] = s == 0 || (uShaped && s == stages - 1);
        }
        double[] hopBusy = scratchHopBusy;
        double[] hopLinkBusy = scratchHopLinkBusy;
        double[] hopFill = scratchHopFill;
        double[] hopDrain = scratchHopDrain;
        double[] hopWork = scratchHopWork;
        double[] hopToCoordinator = scratchHopToCoordinator;
        // a hop cannot start before the first activation reaches it, nor end before the last gradient could leave
        // it and return to an owner: the least of these over participants
        for (int h = 0; h < hops; h++) {
            hopBusy[h] = 0;
            hopWork[h] = 0;
            hopFill[h] = Double.POSITIVE_INFINITY;
            hopDrain[h] = Double.POSITIVE_INFINITY;
            hopToCoordinator[h] = Double.POSITIVE_INFINITY;
        }
        for (int i = 0; i < 2 * Math.max(hops - 1, 0); i++) {
            hopLinkBusy[i] = 0;
        }
        double lb = 0;
        double cpu = 0;
        double hopK = problem.hopFactor() * stretch;
        int ipr = rt.iterationsPerRound();
        long ownerParams = ownerParamBytes(cuts, stages);
        double weights = ownerParams + header;
        double copy = rt.copyS(weights);
        // the round end: the last owner's weights reach the coordinator, are averaged, and go down every downlink
        double arrive = 0;
        double leave = 0;
        double slowestUpload = 0;
        double[] fs = scratchF;
        double[] bs = scratchB;
        double[] ab = scratchA;
        double[] gb = scratchG;
        for (int g = 0; g < groupBatch.length; g++) {
            // the terms of one micro-batch, alike for every owner with this batch
            int batch = groupBatch[g];
            int mm = Math.min(m, batch);
            double size = batch / (double) mm;
            for (int s = 0; s < stages; s++) {
                boolean last = s == stages - 1;
                // core-seconds of one micro-batch's forward (its activation's send included) and backward (its
                // input gradient's send included); bytes of its activation and gradient over the link after s
                ab[s] = last ? 0 : size * outAfter[s] + header + labels * size;
                gb[s] = last ? 0 : size * outAfter[s] + header;
                double pass = owned[s] ? rt.ownerPassS() : rt.hopPassS();
                fs[s] = fCall[s] + size * fSample[s] + pass + (last ? 0 : rt.copyS(ab[s]));
                bs[s] = bCall[s] + size * bSample[s] + pass + (s == 0 ? 0 : rt.copyS(gb[s - 1]));
                double stageWork = mm * (fs[s] + bs[s]) + stepOf[s];
                if (owned[s]) {
                    cpu += groupFactorSum[g] * stageWork;
                } else {
                    hopBusy[s - 1] += groupCount[g] * stageWork * hopK;
                    hopWork[s - 1] += groupCount[g] * (mm * (hopK * fs[s] + hopK * bs[s]));
                    cpu += groupCount[g] * stageWork * problem.hopFactor();
                }
                if (!last && s > 0 && !(s == stages - 2 && uShaped)) {
                    hopLinkBusy[2 * (s - 1)] += groupCount[g] * (mm * ab[s] * hopSpb);
                    hopLinkBusy[2 * (s - 1) + 1] += groupCount[g] * (mm * gb[s] * hopSpb);
                }
            }
            // the largest terms come from the classes no other class of the batch is slower than in every respect
            for (int c : groupSlowest[g]) {
                double ownerK = classWallPerWork[c];
                double upSpb = classUpSpb[c];
                double downSpb = classDownSpb[c];
                double upDelay = classUpDelayS[c];
                double downDelay = classDownDelayS[c];
                double owner = 0;
                double up = 0;
                double down = 0;
                // the pipeline's own bound: every station (stage or link direction) must serve all mm micro-batches,
                // after the first one's forward reached it and before the last one's backward leaves the stations
                // before it
                double prefF = 0;
                double prefB = 0;
                double pipe = 0;
                for (int s = 0; s < stages; s++) {
                    double k = owned[s] ? ownerK : hopK;
                    double f = k * fs[s];
                    double b = k * bs[s];
                    pipe = Math.max(pipe, prefF + mm * (f + b) + prefB);
                    prefF += f;
                    prefB += b;
                    if (owned[s]) {
                        owner += (mm * (fs[s] + bs[s]) + stepOf[s]) * ownerK;
                    }
                    if (s < stages - 1) {
                        double tf;
                        double tb;
                        double df;
                        double db;
                        if (s == 0) {
                            tf = ab[s] * upSpb;
                            tb = gb[s] * downSpb;
                            df = upDelay;
                            db = downDelay;
                            up += mm * ab[s] * upSpb;
                            down += mm * gb[s] * downSpb;
                        } else if (s == stages - 2 && uShaped) {
                            tf = ab[s] * downSpb;
                            tb = gb[s] * upSpb;
                            df = downDelay;
                            db = upDelay;
                            down += mm * ab[s] * downSpb;
                            up += mm * gb[s] * upSpb;
                        } else {
                            tf = ab[s] * hopSpb;
                            tb = gb[s] * hopSpb;
                            df = hopDelayS;
                            db = hopDelayS;
                        }
                        // each direction is its own station: the last activation up, then at least its gradient
                        // back down; the first gradient down no earlier than one activation up
                        pipe = Math.max(pipe, prefF + Math.max(mm * tf + tb, tf + mm * tb) + prefB);
                        prefF += tf + df;
                        prefB += tb + db;
                    }
                }
                lb = Math.max(lb, pipe);
                lb = Math.max(lb, Math.max(owner, Math.max(up, down)));
                // the round: the owner's iterations, then its parts' weights up to the coordinator and the average
                // back
                double exchange = weights * upSpb + upDelay + weights * downSpb + downDelay;
                lb = Math.max(lb, (Math.max(pipe, ipr * owner) + exchange) / ipr);
                // its last optimizer step ends after its pipeline and its processor's work, its uplink after its
                // transfers: then its weights are copied and sent
                double ready = Math.max(Math.max(pipe, ipr * owner), ipr * up);
                double upload = copy + weights * upSpb + upDelay;
                arrive = Math.max(arrive, ready + upload);
                leave = Math.max(leave, weights * downSpb + downDelay + copy);
                slowestUpload = Math.max(slowestUpload, upload);
            }
            // the least times to and from a hop come from the classes no other class of the batch is faster than
            for (int c : groupFastest[g]) {
                double ownerK = classWallPerWork[c];
                double upload = copy + weights * classUpSpb[c] + classUpDelayS[c];
                double prefF = 0;
                double prefB = 0;
                for (int s = 0; s < stages; s++) {
                    if (!owned[s]) {
                        hopFill[s - 1] = Math.min(hopFill[s - 1], prefF);
                        hopDrain[s - 1] = Math.min(hopDrain[s - 1], prefB);
                        hopToCoordinator[s - 1] = Math.min(hopToCoordinator[s - 1], prefB + upload);
                    }
                    double k = owned[s] ? ownerK : hopK;
                    prefF += k * fs[s];
                    prefB += k * bs[s];
                    if (s < stages - 1) {
                        if (s == 0) {
                            prefF += ab[s] * classUpSpb[c] + classUpDelayS[c];
                            prefB += gb[s] * classDownSpb[c] + classDownDelayS[c];
                        } else if (s == stages - 2 && uShaped) {
                            prefF += ab[s] * classDownSpb[c] + classDownDelayS[c];
                            prefB += gb[s] * classUpSpb[c] + classUpDelayS[c];
                        } else {
                            prefF += ab[s] * hopSpb + hopDelayS;
                            prefB += gb[s] * hopSpb + hopDelayS;
                        }
                    }
                }
            }
        }
        // a hop idles before a round's first input and after its last output once per round, not per iteration:
        // the iterations of different owners overlap on it
        for (int h = 0; h < hops; h++) {
            lb = Math.max(lb, (hopFill[h] + hopDrain[h]) / ipr + hopBusy[h]);
        }
        for (int i = 0; i < 2 * Math.max(hops - 1, 0); i++) {
            lb = Math.max(lb, hopLinkBusy[i]);
        }
        if (rt.cores() > 0) {
            lb = Math.max(lb, cpu / rt.cores()); // all compute over the cores
        }
        // when the whole round is simulated, its end is at least the round bound, and so is the prediction;
        // a hair below it, so that rounding cannot prune a plan tied with the best
        double key = lb;
        double average = rt.averageS(ownerParams, problem.owners().size());
        if (ipr <= WHOLE_ROUND_ITERATIONS) {
            double round = arrive + average + leave;
            // the owner whose backward is the last on hop h: after the hop's first input, all forwards and
            // backwards on it, that owner's way back and its weights' upload
            for (int h = 0; h < hops; h++) {
                round = Math.max(round, hopFill[h] + ipr * hopWork[h] + hopToCoordinator[h] + average + leave);
            }
            key = Math.max(lb, round / ipr * (1 - 1e-12));
        }
        // a guess, not a bound: every owner waits for the busiest hop, then the slowest upload and download
        double guess = lb;
        for (int h = 0; h < hops; h++) {
            guess = Math.max(guess, (hopFill[h] + ipr * hopBusy[h] + hopDrain[h] + slowestUpload + average + leave)
                    / ipr);
        }
        return new Ranked(new Candidate(hops, cuts, m, Double.NaN, lb, memory), key, index, guess);
    }

    /** A candidate before simulation, the bound it is searched by, and its place in enumeration order. */
    private record Ranked(Candidate candidate, double key, int index, double guess) {
    }

    /**
     * A compute node's bytes: per participant its segment's parameters, gradients and optimizer state; its
     * activation slots (each for the largest micro-batch: what the segment keeps and its input); the receive
     * buffers of activations and gradients in flight.
     */
    private long hopMemoryBytes(int[] cuts, int stages, int h, int m, int maxMicro) {
        int a = from(cuts, h);
        int b = to(cuts, stages, h);
        long state = (params[b] - params[a]) * (2L + problem.optimizerTensors());
        int slots = Math.max(problem.maxInFlight(), window(m, stages, h));
        long in = problem.blocks().get(a - 1).outputBytes();
        long out = b < n ? problem.blocks().get(b - 1).outputBytes() : 0;
        long perSlot = (long) maxMicro * (acts[b] - acts[a] + in);
        // received, not yet consumed: flow control admits at most slots / window participants at once, each
        // with its window plus one activation (with labels) ahead and a gradient per micro-batch of its window;
        // never more than every participant's whole mini-batch; the receive pools keep their peak
        int window = window(m, stages, h);
        long admitted = slots / window;
        long received = Math.min(totalBatch * (in + out + 4),
                admitted * maxMicro * ((window + 1) * (in + 4) + (long) window * out));
        return state * problem.owners().size() + slots * perSlot + received;
    }

    private int window(int m, int stages, int stage) {
        int width = windowWidth;
        for (int i = 0; i < choices.length; i++) {
            if (choices[i] == m) {
                int at = (i * width + stages) * width + stage;
                if (windowTable[at] == 0) {
                    windowTable[at] = computeWindow(m, stages, stage);
                }
                return windowTable[at];
            }
        }
        long key = ((long) m << 32) | ((long) stages << 16) | stage;
        Integer cached = windows.get(key);
        if (cached == null) {
            cached = computeWindow(m, stages, stage);
            windows.put(key, cached);
        }
        return cached;
    }

    /** The most micro-batches any owner keeps in flight on {@code stage} with {@code m} micro-batches. */
    private int computeWindow(int m, int stages, int stage) {
        int w = 1;
        java.util.BitSet seen = new java.util.BitSet();
        for (OwnerSpec o : classSpec) {
            int mm = micro(o, m); // owners differ in far more than their micro-batch counts
            if (!seen.get(mm)) {
                seen.set(mm);
                w = Math.max(w, problem.schedule().maxInFlight(mm, stages, stage));
            }
        }
        return w;
    }

    private final java.util.Map<Long, Integer> windows = new java.util.HashMap<>();
    /** Windows of the searched micro-batch counts: (choice * width + stages) * width + stage, 0 = not yet known. */
    private final int[] windowTable;
    private final int windowWidth;

    /** The micro-batch counts searched, and the largest micro-batch (samples) of any owner with each. */
    private final int[] choices;
    private final int[] maxMicroOf;

    /** One simulator per thread, reset for every plan: its buffers outlive the plans. */
    private final ThreadLocal<PipelineSimulator> simulators = ThreadLocal.withInitial(PipelineSimulator::new);

    /** Per thread: the simulator's events over every simulation it ran for this search. */
    private final ThreadLocal<long[]> simulatedEvents = ThreadLocal.withInitial(() -> new long[1]);

    /** Resource names: owner p's processor, uplink and downlink at 3p..3p+2; hop h's processor and links after. */
    private final String[] names;

    /** The candidate with its iteration time predicted by simulating its pipeline and round end. */
    public Candidate simulate(Candidate c) {
        return simulate(c, Double.POSITIVE_INFINITY);
    }

    /**
     * As {@link #simulate(Candidate)}, but a candidate that cannot be predicted below {@code limitS} per
     * iteration may come back with an infinite prediction: when the whole round is simulated (no
     * extrapolation), its simulation stops once simulated time passes limitS times the round's iterations,
     * as the round's end, and so the prediction, can only be later.
     */
    Candidate simulate(Candidate c, double limitS) {
        int rounds = rt.iterationsPerRound();
        double roundS;
        if (rounds <= WHOLE_ROUND_ITERATIONS) {
            // a hair above the limit, so that rounding cannot stop a plan that ties the limit
            double horizonS = limitS < Double.POSITIVE_INFINITY ? limitS * rounds * (1 + 1e-9) : Double.POSITIVE_INFINITY;
            roundS = roundS(c, rounds, horizonS);
        } else {
            // k - 1 iterations first: the prediction grows with k iterations' time T as
            // (T + (rounds - k) (T - shorter)) / rounds, so once the k iterations' simulation passes the horizon
            // that makes it limitS, the plan cannot come in under the limit
            int k = SIMULATED_ITERATIONS;
            double shorter = roundS(c, k - 1, Double.POSITIVE_INFINITY);
            double horizonS = limitS < Double.POSITIVE_INFINITY
                    ? (limitS * rounds + (rounds - k) * shorter) / (rounds - k + 1) * (1 + 1e-9)
                    : Double.POSITIVE_INFINITY;
            double longer = roundS(c, k, horizonS);
            roundS = longer + (rounds - k) * (longer - shorter);
        }
        double predicted = Math.max(roundS / rounds, c.lowerBoundS());
        return new Candidate(c.hops(), c.cuts(), c.microBatches(), predicted, c.lowerBoundS(), c.nodeMemoryBytes());
    }

    /**
     * The simulated round's time over its iterations, not raised to the candidate's lower bound (for tests that
     * the bound is one: no simulated schedule beats it); rounds longer than {@value #WHOLE_ROUND_ITERATIONS}
     * iterations are extrapolated as in {@link #simulate(Candidate)}.
     */
    double simulatedIterationS(Candidate c) {
        int rounds = rt.iterationsPerRound();
        if (rounds <= WHOLE_ROUND_ITERATIONS) {
            return roundS(c, rounds, Double.POSITIVE_INFINITY) / rounds;
        }
        int k = SIMULATED_ITERATIONS;
        double roundS = roundS(c, k, Double.POSITIVE_INFINITY);
        roundS += (rounds - k) * (roundS - roundS(c, k - 1, Double.POSITIVE_INFINITY));
        return roundS / rounds;
    }

    /** The iterations a candidate's simulation covers: the whole round, or the longer of the extrapolation's two. */
    private int simulatedIterations() {
        int rounds = rt.iterationsPerRound();
        return rounds <= WHOLE_ROUND_ITERATIONS ? rounds : SIMULATED_ITERATIONS;
    }

    /** Each resource's predicted busy seconds per iteration (over the simulated iterations), by name. */
    public java.util.Map<String, Double> busyPerIteration(Candidate c) {
        int k = simulatedIterations();
        Simulation sim = simulation(c, k, Double.POSITIVE_INFINITY);
        PipelineSimulator.Result r = sim.result();
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        List<String> names = sim.simulator().resourceNames();
        for (int i = 0; i < names.size(); i++) {
            m.put(names.get(i), r.busyS()[i] / k);
        }
        return m;
    }

    /**
     * Every task of the candidate's simulated iterations (as {@link #busyPerIteration} simulates them), with
     * its resource's name: to set beside a run's timeline.
     */
    public List<String> timeline(Candidate c) {
        int k = simulatedIterations();
        PipelineSimulator sim = simulators.get();
        Simulation s = simulation(c, k, Double.POSITIVE_INFINITY, true);
        List<String> out = new ArrayList<>();
        for (PipelineSimulator.Task t : s.result().tasks()) {
            out.add(String.format(java.util.Locale.ROOT, "%s %c p%d s%d mb%d %.6f %.6f",
                    sim.resourceNames().get(t.resource()), t.kind(), t.participant(), t.stage(), t.microBatch(),
                    t.startS(), t.endS()));
        }
        return out;
    }

    /** A simulation's result, its simulator, and each owner's uplink and downlink resources. */
    private record Simulation(PipelineSimulator simulator, PipelineSimulator.Result result, int[] ups, int[] downs) {
    }

    /** Seconds of a round of {@code iterations} mini-batches per owner, its aggregation included. */
    private double roundS(Candidate c, int iterations, double horizonS) {
        Simulation sim = simulation(c, iterations, horizonS);
        if (sim.result().makespanS() == Double.POSITIVE_INFINITY) {
            return Double.POSITIVE_INFINITY;
        }
        return roundEndS(c, sim.result(), sim.ups(), sim.downs());
    }

    private Simulation simulation(Candidate c, int iterations, double horizonS) {
        return simulation(c, iterations, horizonS, false);
    }

    private Simulation simulation(Candidate c, int iterations, double horizonS, boolean recordTasks) {
        int stages = stages(c.hops());
        int[] cuts = c.cuts();
        PipelineSimulator sim = simulators.get().reset().cores(rt.cores()).background(rt.backgroundThreads())
                .recordTasks(recordTasks);
        if (horizonS < Double.POSITIVE_INFINITY) {
            sim.horizon(horizonS);
        }
        int np = problem.owners().size();
        int[] hop = new int[c.hops() + 1];
        for (int h = 1; h <= c.hops(); h++) {
            hop[h] = sim.resource(names[3 * np + 3 * h]);
            sim.ranked(hop[h]); // a compute node serves the owner with the slowest uplink first (ComputeNode)
        }
        int[] fwdLink = new int[c.hops() + 1];
        int[] bwdLink = new int[c.hops() + 1];
        for (int h = 1; h < c.hops(); h++) {
            fwdLink[h] = sim.resource(names[3 * np + 3 * h + 1]);
            bwdLink[h] = sim.resource(names[3 * np + 3 * h + 2]);
        }
        int[] ups = new int[np];
        StageCost[][] stageCosts = new StageCost[np][];
        LinkCost[][] linkCosts = new LinkCost[np][];
        int[] downs = new int[np];
        for (int p = 0; p < np; p++) {
            // one owner per call (as below): a first search runs this while it is still interpreted, and the
            // quick compiler then compiles the owner's body alone rather than this whole method, once per loop
            declareOwner(sim, c, iterations, p, hop, fwdLink, bwdLink, ups, downs, stageCosts, linkCosts);
        }
        if (horizonS < Double.POSITIVE_INFINITY) {
            // the round ends after every owner's last step, its weights' upload, the averaging and the slowest
            // download: an owner still computing past its deadline makes the round end past the horizon
            long ownerParams = ownerParamBytes(cuts, stages);
            double weights = ownerParams + rt.headerBytes();
            double after = rt.averageS(ownerParams, np);
            double leave = 0;
            for (OwnerSpec o : problem.owners()) {
                leave = Math.max(leave, transferS(o.downlink(), weights) + o.downlink().delayNs() / 1e9 + rt.copyS(weights));
            }
            // so does one whose last backward on a hop ends too late for its gradient to reach the owner, the owner's
            // backwards and step to run and its weights to go up by then (tested over each hop's participants)
            double[] chain = new double[stages]; // per owner, refilled
            for (int p = 0; p < np; p++) {
                ownerDeadlines(sim, p, stages, horizonS - after - leave, weights, stageCosts[p], linkCosts[p], ups[p],
                        downs[p], chain);
            }
        }
        PipelineSimulator.Result result = sim.simulate();
        simulatedEvents.get()[0] += sim.events();
        return new Simulation(sim, result, ups, downs);
    }

    /** Declares owner p's resources and pipeline (its stages and links) to the simulator. */
    private void declareOwner(PipelineSimulator sim, Candidate c, int iterations, int p, int[] hop, int[] fwdLink,
            int[] bwdLink, int[] ups, int[] downs, StageCost[][] stageCosts, LinkCost[][] linkCosts) {
        int stages = stages(c.hops());
        int[] cuts = c.cuts();
        OwnerSpec o = problem.owners().get(p);
        int owner = sim.resource(names[3 * p]);
        int up = sim.resource(names[3 * p + 1]);
        int down = sim.resource(names[3 * p + 2]);
        ups[p] = up;
        downs[p] = down;
        int mm = micro(o, c.microBatches());
        double size = o.batch() / (double) mm;
        double of = problem.ownerFactor(p);
        double hf = problem.hopFactor();
        StageCost[] sc = new StageCost[stages];
        LinkCost[] lc = new LinkCost[stages - 1];
        for (int s = 0; s < stages; s++) {
            double f = forwardS(cuts, stages, s, size);
            double b = backwardS(cuts, stages, s, size);
            double st = stepS(cuts, stages, s);
            sc[s] = ownerStage(stages, s) ? new StageCost(owner, f * of, b * of, st * of, o.slowdown())
                    : new StageCost(hop[s], f * hf, b * hf, st * hf);
            if (s < stages - 1) {
                double ab = activationBytes(cuts, s, size);
                double gb = gradientBytes(cuts, s, size);
                if (s == 0) {
                    lc[s] = new LinkCost(up, down, transferS(o.uplink(), ab), transferS(o.downlink(), gb),
                            o.uplink().delayNs() / 1e9);
                } else if (s == stages - 2 && problem.mode() == Mode.U_SHAPED) {
                    lc[s] = new LinkCost(down, up, transferS(o.downlink(), ab), transferS(o.uplink(), gb),
                            o.downlink().delayNs() / 1e9);
                } else {
                    lc[s] = new LinkCost(fwdLink[s], bwdLink[s], transferS(problem.hopLink(), ab),
                            transferS(problem.hopLink(), gb), problem.hopLink().delayNs() / 1e9);
                }
            }
        }
        sim.participant(mm, iterations, problem.schedule(), sc, lc);
        sim.urgency(p, problem.ownerUrgency(p));
        stageCosts[p] = sc;
        linkCosts[p] = lc;
    }

    /**
     * Owner p's deadlines, for a round that must end by {@code roundBy} before the averaging and the slowest
     * download: its processor's work, each hop's last backward of it, its links' last transfers ({@code chain}:
     * scratch, one per stage).
     */
    private void ownerDeadlines(PipelineSimulator sim, int p, int stages, double roundBy, double weights,
            StageCost[] sc, LinkCost[] lc, int up, int down, double[] chain) {
        OwnerSpec o = problem.owners().get(p);
        double upload = rt.copyS(weights) + transferS(o.uplink(), weights) + o.uplink().delayNs() / 1e9;
        double ownerBy = roundBy - upload;
        sim.deadline(p, ownerBy);
        // chain[s]: the least time from the end of stage s's last backward to the owner's last step
        chain[0] = sc[0].stepS() * Math.max(stretch, sc[0].slowdown());
        for (int s = 1; s < stages; s++) {
            chain[s] = chain[s - 1] + lc[s - 1].backwardS() + lc[s - 1].delayS()
                    + sc[s - 1].backwardS() * Math.max(stretch, sc[s - 1].slowdown());
            if (!ownerStage(stages, s)) {
                sim.stageDeadline(p, s, ownerBy - chain[s]);
            }
        }
        if (stages > 1) {
            // the owner's links are its own, so their idle time shows: its downlink's last transfer (a gradient
            // for its head, or an activation for its tail, whose chain is longer) arrives before the head's
            // backward and step; its uplink's last (an activation for the first hop, or in U-shaped mode the tail's
            // gradient for the last hop) is followed by at least that gradient's way back to the head
            sim.resourceDeadline(down, ownerBy - (chain[1] - lc[0].backwardS()));
            double afterUp = problem.mode() == Mode.U_SHAPED
                    ? chain[stages - 1] - lc[stages - 2].backwardS()
                    : chain[1];
            sim.resourceDeadline(up, ownerBy - afterUp);
        }
    }

    /**
     * When the round ends: each owner sends its parts' weights up once its own last step and its uplink are
     * done; the coordinator averages them all and sends the average down each downlink; each hop averages its
     * per-participant copies after its last step.
     */
    private double roundEndS(Candidate c, PipelineSimulator.Result r, int[] ups, int[] downs) {
        int stages = stages(c.hops());
        int[] cuts = c.cuts();
        int np = problem.owners().size();
        long ownerParams = ownerParamBytes(cuts, stages);
        double weights = ownerParams + rt.headerBytes();
        double[] lastEnd = r.lastEndS();
        double[] ownerDone = new double[np];
        for (int p = 0; p < np; p++) {
            for (int s = 0; s < stages; s++) {
                if (ownerStage(stages, s)) {
                    ownerDone[p] = Math.max(ownerDone[p], r.lastStepEndS()[p][s]);
                }
            }
        }
        double arrived = 0;
        for (int p = 0; p < np; p++) {
            OwnerSpec o = problem.owners().get(p);
            double start = Math.max(ownerDone[p], lastEnd[ups[p]]) + rt.copyS(weights);
            arrived = Math.max(arrived, start + transferS(o.uplink(), weights) + o.uplink().delayNs() / 1e9);
        }
        double averaged = arrived + rt.averageS(ownerParams, np);
        double end = r.makespanS();
        for (int p = 0; p < np; p++) {
            OwnerSpec o = problem.owners().get(p);
            end = Math.max(end, averaged + transferS(o.downlink(), weights) + o.downlink().delayNs() / 1e9
                    + rt.copyS(weights));
        }
        for (int h = 1; h <= c.hops(); h++) {
            double hopParams = params[to(cuts, stages, h)] - params[from(cuts, h)];
            end = Math.max(end, lastEnd[h - 1] + rt.averageS(hopParams, np));
        }
        return end;
    }
}
