package io.mpsl.scheduler.tune;

import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.Backends;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.nn.data.Dataset;
import io.mpsl.scheduler.runtime.LinkProbe;
import io.mpsl.scheduler.runtime.LinkStats;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.RunResult;
import io.mpsl.scheduler.runtime.TrainingState;
import io.mpsl.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The autotuner's front door: from a run configuration (whose {@code cuts} and/or {@code micro_batches} may
 * be {@code auto}), it profiles the model's blocks on this machine, probes the links, builds the
 * {@link TuningProblem} and searches it; the result is the chosen plan as config overrides, its prediction,
 * the runners-up, and what tuning cost.
 */
public final class Tuner {

    /** Profiling effort: passes per micro-batch size before and while timing. */
    public static final int PROFILE_WARMUP = 2;
    public static final int PROFILE_ITERATIONS = 3;

    /** What the tuner measured about the system. */
    public record Measurements(Profiler.Measured profile, Map<String, LinkProbe.Estimate> links, double probeS) {
    }

    /** The tuner's answer. */
    public record Choice(Candidate best, List<Candidate> alternatives, int candidates, int simulated,
            int overMemory, List<String> overrides, double profileS, double searchS, TuningProblem problem) {

        /** Seconds tuning took: profiling, link probes and search. */
        public double tuneS() {
            return profileS + searchS;
        }

        /** The tuner's report for results.json and {@code mpsl tune --json}. */
        public Map<String, Object> toJsonMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("plan", candidateJson(best));
            m.put("predicted_iteration_s", best.predictedIterationS());
            m.put("predicted_lower_bound_s", best.lowerBoundS());
            m.put("node_memory_bytes", toList(best.nodeMemoryBytes()));
            List<Object> alt = new ArrayList<>();
            for (Candidate c : alternatives) {
                alt.add(candidateJson(c));
            }
            m.put("alternatives", alt);
            m.put("candidates", candidates);
            m.put("simulated", simulated);
            m.put("over_memory_cap", overMemory);
            m.put("memory_cap_bytes", problem.memoryCapBytes());
            m.put("profile_s", profileS);
            m.put("search_s", searchS);
            m.put("tune_s", tuneS());
            m.put("cores", problem.runtime().cores());
            m.put("background_threads", problem.runtime().backgroundThreads());
            // to hold against results.json's resources (busy_s over iterations; links without the round-end
            // weights, which the prediction adds at the round's end)
            m.put("predicted_busy_per_iteration_s", new PlanSearch(problem).busyPerIteration(best));
            if (Boolean.getBoolean("mpsl.tune.debug")) {
                List<Object> blocks = new ArrayList<>();
                for (BlockCost b : problem.blocks()) {
                    blocks.add(b.toString());
                }
                m.put("blocks", blocks);
            }
            return m;
        }
    }

    private Tuner() {
    }

    static Map<String, Object> candidateJson(Candidate c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hops", c.hops());
        m.put("cuts", toList(c.cuts()));
        m.put("micro_batches", c.microBatches());
        m.put("predicted_iteration_s", c.predictedIterationS());
        m.put("max_node_memory_bytes", c.maxNodeMemoryBytes());
        return m;
    }

    private static List<Object> toList(int[] a) {
        List<Object> l = new ArrayList<>();
        for (int x : a) {
            l.add(x);
        }
        return l;
    }

    private static List<Object> toList(long[] a) {
        List<Object> l = new ArrayList<>();
        for (long x : a) {
            l.add(x);
        }
        return l;
    }

    /** The configuration with any {@code auto} cuts or micro-batches replaced by stand-in values, to read the rest. */
    public static PlanConfig withAutoStandIns(PlanConfig config) {
        List<String> set = new ArrayList<>();
        if (config.isAuto("cuts") || config.raw("cuts") == null) {
            int hops = Math.toIntExact(config.integer("hops"));
            int cuts = config.string("mode").toLowerCase(Locale.ROOT).startsWith("u") ? hops + 1 : hops;
            StringBuilder sb = new StringBuilder("cuts=[");
            for (int i = 1; i <= cuts; i++) {
                sb.append(i == 1 ? "" : ", ").append(i);
            }
            set.add(sb.append(']').toString());
        }
        if (config.isAuto("micro_batches")) {
            set.add("micro_batches=1");
        }
        return config.with(set);
    }

    /** Whether the configuration asks the tuner for anything. */
    public static boolean wanted(PlanConfig config) {
        return config.isAuto("cuts") || config.isAuto("micro_batches");
    }

    /** Profiles the model and probes the links of {@code plan}. */
    public static Measurements measure(Plan plan, ModelSpec spec, BackendProvider provider, int[] microBatchChoices)
            throws InterruptedException {
        int[] sizes = profileSizes(plan, microBatchChoices);
        Profiler.Measured prof = Profiler.measure(spec, provider, plan.optimizer(), sizes[0], sizes[1], PROFILE_WARMUP,
                PROFILE_ITERATIONS, plan.seed());
        long t = System.nanoTime();
        Map<String, LinkProbe.Estimate> links = LinkProbe.measure(plan);
        return new Measurements(prof, links, (System.nanoTime() - t) / 1e9);
    }

    /**
     * The problem the tuner solves for {@code plan}'s setting: its owners with the measured links, the
     * measured block costs, the runtime's costs on {@code cores} cores.
     */
    public static TuningProblem problem(PlanConfig config, Plan plan, Measurements meas, int iterationsPerRound,
            int cores, double[] ownerFactor, double hopFactor) {
        List<OwnerSpec> owners = new ArrayList<>();
        for (int p = 0; p < plan.owners().size(); p++) {
            OwnerSpec o = plan.owners().get(p);
            LinkProbe.Estimate up = meas.links().get("owner" + p + ".up");
            LinkProbe.Estimate down = meas.links().get("owner" + p + ".down");
            owners.add(new OwnerSpec(o.batch(), o.microBatches(), o.slowdown(), up == null ? o.uplink() : up.spec(),
                    down == null ? o.downlink() : down.spec()));
        }
        LinkProbe.Estimate hl = meas.links().get("hop1->hop2");
        LinkSpec hopLink = hl == null ? plan.hopLink() : hl.spec();
        int maxHops = Math.toIntExact(config.integer("tune_max_hops"));
        boolean autoCuts = config.isAuto("cuts");
        int minHops = autoCuts && maxHops > 0 ? 1 : plan.hops();
        if (!autoCuts || maxHops == 0) {
            maxHops = plan.hops();
        }
        int[] ms = microBatchChoices(config, plan);
        long cap = Math.round(config.number("memory_cap_mb") * 1048576.0);
        RuntimeCosts rt = new RuntimeCosts(cores, cores > 0 ? meas.profile().backgroundThreads() : 0,
                meas.profile().copyBytesPerS(), meas.profile().averageBytesPerS(), iterationsPerRound, 64,
                meas.profile().ownerPassS(), meas.profile().hopPassS());
        // the compute nodes rank owners by their configured uplinks (ComputeNode), not by the measured ones
        double[] urgency = new double[plan.owners().size()];
        for (int p = 0; p < urgency.length; p++) {
            urgency[p] = plan.owners().get(p).uplink().secondsPerByte();
        }
        return new TuningProblem(meas.profile().blocks(), owners, hopLink, plan.mode(), plan.schedule(), minHops,
                maxHops, ms, plan.optimizer().stateTensorsPerParameter(), cap, plan.maxInFlight(), rt,
                ownerFactor == null ? new double[0] : ownerFactor, hopFactor, urgency);
    }

    /** The micro-batch counts to consider: the configured one, or with {@code auto} the tune_micro_batches. */
    public static int[] microBatchChoices(PlanConfig config, Plan plan) {
        int batch = plan.owners().get(0).batch();
        if (!config.isAuto("micro_batches")) {
            return new int[] {plan.owners().get(0).microBatches()};
        }
        List<Integer> l = new ArrayList<>();
        for (String s : config.strings("tune_micro_batches")) {
            int m = Integer.parseInt(s.trim());
            if (m >= 1 && m <= batch && !l.contains(m)) {
                l.add(m);
            }
        }
        if (l.isEmpty()) {
            throw new IllegalArgumentException("tune_micro_batches " + config.strings("tune_micro_batches")
                    + " has no count between 1 and the batch " + batch);
        }
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }

    /**
     * The first plan of a live run, from sizes alone: the candidate {@link PlanSearch#guessBest} ranks first,
     * without a full search (its input is a guess; the plan after the first round is searched in full).
     */
    static Choice guessedChoice(TuningProblem problem) {
        long t = System.nanoTime();
        Candidate best = new PlanSearch(problem).guessBest();
        double searchS = (System.nanoTime() - t) / 1e9;
        List<String> overrides = overrides(best);
        return new Choice(best, List.of(), 1, 1, 0, overrides, 0, searchS, problem);
    }

    /** The config settings that select {@code c}: hops, cuts, micro-batches. */
    private static List<String> overrides(Candidate c) {
        List<String> o = new ArrayList<>();
        o.add("hops=" + c.hops());
        o.add("cuts=" + Arrays.toString(c.cuts()));
        o.add("micro_batches=" + c.microBatches());
        return o;
    }

    /** Searches {@code problem}; with fixed cuts in the config, only those cuts are considered. */
    public static Choice search(PlanConfig config, Plan plan, TuningProblem problem, double profileS,
            int alternatives) {
        long t = System.nanoTime();
        PlanSearch search = new PlanSearch(problem);
        Candidate best;
        List<Candidate> alt;
        int candidates;
        int simulated;
        int over;
        if (config.isAuto("cuts")) {
            PlanSearch.Result r = search.search(alternatives);
            best = r.best();
            alt = r.alternatives();
            candidates = r.candidates();
            simulated = r.simulated();
            over = r.overMemory();
        } else {
            List<Candidate> all = new ArrayList<>();
            for (int m : problem.microBatchChoices()) {
                all.add(search.evaluate(plan.hops(), plan.cuts(), m));
            }
            all.sort((a, b) -> Double.compare(a.predictedIterationS(), b.predictedIterationS()));
            best = all.get(0);
            alt = List.copyOf(all.subList(1, Math.min(all.size(), alternatives + 1)));
            candidates = all.size();
            simulated = all.size();
            over = 0;
        }
        double searchS = (System.nanoTime() - t) / 1e9;
        List<String> overrides = overrides(best);
        return new Choice(best, alt, candidates, simulated, over, overrides, profileS, searchS, problem);
    }

    /**
     * A run whose plan the tuner chose live: the first round ran with {@code initial} (chosen from the model's
     * sizes and the configured links alone, no timing) and trained the state the rest starts from; after it,
     * with the just-in-time compiler warmed by that useful round, a short profile and the links' measured
     * transfers chose {@code choice}; {@code rest} is the configuration of the remaining rounds (one fewer
     * round, one fewer warm-up round, the learning rate decayed by one round).
     */
    public record LiveStart(Choice choice, Candidate initial, int initialSecondMicroBatches, RunResult firstRound,
            TrainingState state, PlanConfig rest, double estimateS, double mixCostBoundS) {

        /** The tuner's report, with the first round's plan and figures and what was counted as tuning cost. */
        public Map<String, Object> toJsonMap() {
            Map<String, Object> m = choice.toJsonMap();
            m.put("initial_plan", candidateJson(initial));
            m.put("initial_second_micro_batches", initialSecondMicroBatches);
            m.put("first_round_iteration_s", firstRound.iterationS());
            m.put("first_round_wall_s", firstRound.wallS());
            m.put("estimate_s", estimateS);
            m.put("first_round_mix_cost_bound_s", mixCostBoundS);
            m.put("tune_counts", "estimate_s (initial plan from sizes) + profile_s (collecting the live profiler's"
                    + " in-run block times, copy/averaging/competition probes) + search_s; the first round is training"
                    + " of the run (every second owner at initial_second_micro_batches, so that blocks are timed at two"
                    + " sizes; first_round_mix_cost_bound_s bounds what that cost, from the chosen problem)");
            m.put("tune_s", estimateS + choice.tuneS());
            return m;
        }
    }

    /** Passes and repetitions of the profile taken after the live run's first round (the code is warm then). */
    static final int LIVE_PROFILE_ITERATIONS = 2;
    static final int LIVE_PROFILE_REPS = 1;
    /** Most seconds the live profile waits for the just-in-time compiler (a round of training gave it time). */
    static final double LIVE_WARMUP_MAX_S = 0.3;

    /**
     * Whether {@code config}'s auto plan can be chosen live ({@link #startLive}): more than one round, and a
     * learning rate that depends on the round only (a run split into a first round and the rest keeps it).
     */
    public static boolean liveWanted(PlanConfig config) {
        return wanted(config) && config.algorithm() == Algorithm.SPLIT && config.integer("rounds") > 1
                && config.integer("lr_warmup_iterations") == 0 && "step".equalsIgnoreCase(config.string("lr_schedule"))
                && config.raw("nodes") == null;
    }

    /**
     * Runs {@code config}'s first round with a plan chosen from sizes alone, then chooses the plan of the
     * remaining rounds from what that round measured (see {@link LiveStart}): the live profiler's block times
     * from the round's own steps ({@link LiveProfile}) and the links' transfers. So that the block times come at
     * two micro-batch sizes (a per-call and a per-sample cost), every second owner runs the first round with a
     * neighbouring micro-batch count (see {@link #secondMicroBatches}). {@code options} are the run's cluster
     * options (threads, deployment); the first round does not evaluate.
     */
    public static LiveStart startLive(PlanConfig config, Dataset train, Dataset test, LocalCluster.Options options,
            int alternatives) throws InterruptedException {
        return startLive(config, train, test, options, alternatives, 0);
    }

    /** Iterations, at most, of the round of training {@link #tuneLive} profiles in. */
    static final int TUNE_ROUND_ITERATIONS = 32;

    /**
     * What {@code ./mpsl tune} does: a round of training of {@code config} (as long as its rounds, at most
     * {@link #TUNE_ROUND_ITERATIONS} iterations; its state discarded; whatever its learning-rate schedule) with a
     * plan chosen from sizes alone, then the choice for the configuration's own rounds from what the live profiler
     * measured in it, as {@code run} with {@code auto} chooses after its first round ({@link #startLive}). The
     * separate profile ({@link #tune}) times each block alone, one participant's weights in the caches; a compute
     * node serving several participants streams theirs from memory, and the tune grid's VGG-11 plans of 2-sample
     * micro-batches read 41-47% under the measurement from it where the in-run timings were within 10%.
     */
    public static LiveStart tuneLive(PlanConfig config, Dataset train, Dataset test, LocalCluster.Options options,
            int alternatives) throws InterruptedException {
        PlanConfig round = config.with(List.of("rounds=2", "warmup_rounds=0", "lr_warmup_iterations=0",
                "lr_schedule=step"));
        int ipr = iterationsPerRound(withAutoStandIns(round).plan(Algorithm.SPLIT), train.size());
        return startLive(round, train, test, options, alternatives, Math.min(ipr, TUNE_ROUND_ITERATIONS));
    }

    /**
     * As {@link #startLive(PlanConfig, Dataset, Dataset, LocalCluster.Options, int)}, the first round cut to
     * {@code firstRoundIterations} iterations (0: as configured); the choice is for the configured rounds.
     */
    static LiveStart startLive(PlanConfig config, Dataset train, Dataset test, LocalCluster.Options options,
            int alternatives, int firstRoundIterations) throws InterruptedException {
        PlanConfig base = withAutoStandIns(config);
        Plan plan = base.plan(Algorithm.SPLIT);
        ModelSpec spec = ModelZoo.create(plan.model(), train.sampleShape(), train.classes());
        if (plan.mode() == Mode.U_SHAPED && spec.blockCount() < 3) {
            throw new IllegalArgumentException(plan.model() + " has too few blocks for U-shaped split learning");
        }
        long t0 = System.nanoTime();
        int cores = Runtime.getRuntime().availableProcessors();
        int ipr = iterationsPerRound(plan, train.size());
        Measurements guess = new Measurements(Profiler.estimate(spec), Map.of(), 0);
        long te = System.nanoTime();
        TuningProblem guessed = problem(config, plan, guess, ipr, cores, null, 1.0);
        Choice first = config.isAuto("cuts") ? guessedChoice(guessed) : search(config, plan, guessed, 0, 0);
        long ts = System.nanoTime();
        int second = secondMicroBatches(guessed, first.best(), microBatchChoices(config, plan));
        double estimateS = (System.nanoTime() - t0) / 1e9;
        if (Boolean.getBoolean("mpsl.tune.debug")) {
            System.out.printf(Locale.ROOT, "estimate: sizes %.4f s, search %.4f s, second count %.4f s%n",
                    (te - t0) / 1e9, (ts - te) / 1e9, (System.nanoTime() - ts) / 1e9);
        }
        List<String> firstOverrides = new ArrayList<>(first.overrides());
        if (firstRoundIterations > 0) {
            firstOverrides.add("local_iterations=" + firstRoundIterations);
        }
        Plan firstPlan = mixed(AdaptiveRun.roundPlan(config.with(firstOverrides).plan(Algorithm.SPLIT), 0,
                List.of()), second);
        TrainingState[] next = new TrainingState[1];
        List<LinkStats> stats = new ArrayList<>();
        LiveProfile live = new LiveProfile(guess.profile().blocks());
        RunResult r0 = AdaptiveRun.runRound(firstPlan, train, test, options.evaluate(false), null, next, stats, live);
        // what the round measured: its blocks' times from its own steps, its links from their transfers
        long t1 = System.nanoTime();
        Measurements meas = liveMeasurements(plan, live, stats);
        double profileS = (System.nanoTime() - t1) / 1e9;
        Choice choice = search(config, plan, problem(config, plan, meas, ipr, cores, null, 1.0), profileS,
                alternatives);
        double mixCostS = 0;
        if (second > 0) { // the mixed round cost at most what the slower of its two counts costs over the other
            PlanSearch s = new PlanSearch(choice.problem());
            Candidate c = first.best();
            mixCostS = Math.max(0, s.evaluate(c.hops(), c.cuts(), second).predictedIterationS()
                    - s.evaluate(c.hops(), c.cuts(), c.microBatches()).predictedIterationS()) * r0.iterations();
        }
        List<String> rest = new ArrayList<>(choice.overrides());
        rest.add("rounds=" + (config.integer("rounds") - 1));
        rest.add("warmup_rounds=" + Math.max(0, config.integer("warmup_rounds") - 1));
        rest.add("lr=" + plan.learningRate(1));
        return new LiveStart(choice, first.best(), second, r0, next[0], config.with(rest), estimateS, mixCostS);
    }

    /**
     * The micro-batch count every second owner runs the live run's first round with, beside {@code first}'s
     * count: of the counts next to it among {@code choices}, the one {@code problem} predicts faster; 0 (no
     * second count) with one owner, or when there is no other count to choose (then one size is all the tuner
     * will use).
     */
    static int secondMicroBatches(TuningProblem problem, Candidate first, int[] choices) {
        if (problem.owners().size() < 2) {
            return 0;
        }
        int m = first.microBatches();
        int below = 0;
        int above = Integer.MAX_VALUE;
        for (int c : choices) {
            if (c < m) {
                below = Math.max(below, c);
            } else if (c > m) {
                above = Math.min(above, c);
            }
        }
        if (below == 0 && above == Integer.MAX_VALUE) {
            return 0;
        }
        if (below == 0 || above == Integer.MAX_VALUE) {
            return below == 0 ? above : below;
        }
        PlanSearch s = new PlanSearch(problem);
        return s.evaluate(first.hops(), first.cuts(), below).predictedIterationS()
                <= s.evaluate(first.hops(), first.cuts(), above).predictedIterationS() ? below : above;
    }

    /** {@code plan} with every second owner (1, 3, ...) at {@code microBatches}; the plan itself when 0. */
    static Plan mixed(Plan plan, int microBatches) {
        if (microBatches <= 0) {
            return plan;
        }
        List<OwnerSpec> owners = new ArrayList<>(plan.owners());
        for (int p = 1; p < owners.size(); p += 2) {
            OwnerSpec o = owners.get(p);
            owners.set(p, new OwnerSpec(o.batch(), Math.min(microBatches, o.batch()), o.slowdown(), o.uplink(),
                    o.downlink()));
        }
        return new Plan(plan.model(), plan.dataset(), plan.algorithm(), plan.mode(), plan.serverCopies(), plan.hops(),
                plan.cuts(), plan.schedule(), owners, plan.hopLink(), plan.rounds(), plan.localIterations(),
                plan.optimizer(), plan.seed(), plan.maxInFlight(), plan.dpClip(), plan.dpSigma(), plan.partitioning(),
                plan.dirichletAlpha(), plan.trainLimit(), plan.testLimit(), plan.lrDecay(), plan.lrWarmupIterations(),
                plan.lrCosine());
    }

    /**
     * What the tuner knows once a round of training has run: the blocks as the live profiler has them (from
     * the round's own steps), the round-end averaging's rate as the round averaged, the runtime's copy rate (a
     * short probe), the competition for the cores (the rounds' own; a short probe adds other programs' where the
     * machine's accounting cannot be read), and each link from the round's own transfers ({@code stats}); links
     * the round did not use keep their configured figures.
     */
    public static Measurements liveMeasurements(Plan plan, LiveProfile live, List<LinkStats> stats)
            throws InterruptedException {
        long t = System.nanoTime();
        List<BlockCost> blocks = live.blocks();
        long t1 = System.nanoTime();
        double copy = Profiler.copyRate(LIVE_COPY_FLOATS, 2);
        // as the round's own averaging went (the first round's partly interpreted: an overestimate; a probe of the
        // same code after it was no faster, as once per round is too seldom for the compiler)
        double average = live.averageBytesPerS() > 0 ? live.averageBytesPerS() : Profiler.ESTIMATED_BYTES_PER_S;
        long t2 = System.nanoTime();
        // the competition the round's nodes met, from the machine's accounting: no probe (a 10 ms probe after a cold
        // first round read 0.7-1.5 threads, the compiler's passing work, and run configs/pipar-vgg5.yaml with auto
        // predicted up to +25% over the measurement); where only the process's visible threads could be counted,
        // the larger of that and a probe of other programs (a sum counted the steal twice)
        double background = background(live,
                live.runtimeBackgroundComplete() ? 0 : Profiler.sampleBackground(LIVE_BACKGROUND_S));
        if (Boolean.getBoolean("mpsl.tune.debug")) {
            System.out.printf(Locale.ROOT, "live profile: blocks %.4f s, copy %.4f s, competition %.4f s;"
                    + " averaging %.3g B/s; the run's own competition %.2f threads, per step owner %.1f us, hop"
                    + " %.1f us%n", (t1 - t) / 1e9, (t2 - t1) / 1e9, (System.nanoTime() - t2) / 1e9, average,
                    live.runtimeBackgroundThreads(), 1e6 * live.ownerPassS(), 1e6 * live.hopPassS());
            System.out.println("live profile: waited runnable for a core, share of run time " + live.runQueueWait());
        }
        Profiler.Measured prof = new Profiler.Measured(blocks, copy, average, background,
                (System.nanoTime() - t) / 1e9, live.ownerPassS(), live.hopPassS());
        return new Measurements(prof, links(plan, stats), 0);
    }

    /**
     * The competition for the cores a prediction from {@code live} assumes: the rounds' own where measured
     * completely, else the larger of it and {@code probed} (other programs', probed; not needed when complete).
     */
    static double background(LiveProfile live, double probed) {
        return live.runtimeBackgroundComplete() ? live.runtimeBackgroundThreads()
                : Math.max(probed, live.runtimeBackgroundThreads());
    }

    /** Floats the live copy-rate probe copies (1 MiB: the activations a hop receives are of this order). */
    static final int LIVE_COPY_FLOATS = 1 << 18;
    /** Seconds of the live competition probe. */
    static final double LIVE_BACKGROUND_S = 0.01;

    /**
     * What the tuner measures once a round of training has run (and warmed the code): a short profile of the
     * blocks, and each link from the round's own transfers ({@code stats}); links the round did not use keep
     * their configured figures.
     */
    public static Measurements liveMeasurements(Plan plan, ModelSpec spec, BackendProvider provider,
            int[] microBatchChoices, List<LinkStats> stats) throws InterruptedException {
        int[] sizes = profileSizes(plan, microBatchChoices);
        Profiler.Measured prof = Profiler.measure(spec, provider, plan.optimizer(), sizes[0], sizes[1], 1,
                LIVE_PROFILE_ITERATIONS, LIVE_PROFILE_REPS, LIVE_WARMUP_MAX_S, plan.seed());
        return new Measurements(prof, links(plan, stats), 0);
    }

    /** Each link as the round's transfers measured it. */
    static Map<String, LinkProbe.Estimate> links(Plan plan, List<LinkStats> stats) {
        Map<String, LinkProbe.Estimate> links = new LinkedHashMap<>();
        for (LinkStats st : stats) {
            if (st.busyNs() > 0 && st.messages() > 0) {
                // over Aeron the shaper keeps no per-message latency: the configured delay stands in for it
                LinkSpec nominal = nominalLink(plan, st.name());
                double latency = st.latencyS() > 0 || nominal == null ? st.latencyS() : nominal.delayNs() / 1e9;
                // a shaped link cannot beat its rate: a higher figure is a busy time the transport undercounted
                // (the Aeron shaper's records, seen at 6-10x the rate), so the rate stands
                double goodput = st.goodputBitsPerS();
                if (nominal != null && nominal.rateBitsPerS() > 0) {
                    goodput = Math.min(goodput, nominal.rateBitsPerS());
                }
                links.put(st.name(), new LinkProbe.Estimate(goodput, latency));
            }
        }
        return links;
    }

    /** The configured link of that name ("owner3.up", "owner3.down", "hop1->hop2"), or null. */
    static LinkSpec nominalLink(Plan plan, String name) {
        if (name.startsWith("hop")) {
            return plan.hopLink();
        }
        int dot = name.indexOf('.');
        if (name.startsWith("owner") && dot > 5) {
            int p = Integer.parseInt(name.substring(5, dot));
            if (p < plan.owners().size()) {
                return name.endsWith(".up") ? plan.owners().get(p).uplink() : plan.owners().get(p).downlink();
            }
        }
        return null;
    }

    /** The small and large micro-batch sizes the profile fits per-call and per-sample costs through. */
    static int[] profileSizes(Plan plan, int[] microBatchChoices) {
        int batch = plan.owners().get(0).batch();
        int maxM = 1;
        int minM = Integer.MAX_VALUE;
        for (int m : microBatchChoices) {
            maxM = Math.max(maxM, Math.min(m, batch));
            minM = Math.min(minM, Math.min(m, batch));
        }
        int small = Math.max(1, batch / maxM);
        return new int[] {small, Math.max(small, batch / minM)};
    }

    /** Mini-batches per owner per round, as the runtime will count them. */
    public static int iterationsPerRound(Plan plan, int trainSamples) {
        if (plan.localIterations() > 0) {
            return plan.localIterations();
        }
        int n = plan.trainLimit() > 0 ? Math.min(plan.trainLimit(), trainSamples) : trainSamples;
        int per = n / plan.owners().size();
        int batch = plan.owners().get(0).batch();
        return Math.max(1, (per + batch - 1) / batch);
    }

    /**
     * The choice from a separate profile (each block timed alone) and link probes, without training: what
     * {@code run} with {@code auto} does where it cannot choose live (one round: a round of training to profile
     * in would cost as much as the run), and the drift bench's static reference. The configuration's model is
     * built for samples of {@code sampleShape} and {@code classes} classes. {@code ./mpsl tune} profiles in a round
     * of training instead ({@link #tuneLive}).
     */
    public static Choice tune(PlanConfig config, Shape sampleShape, int classes, int trainSamples, int alternatives)
            throws InterruptedException {
        long t = System.nanoTime();
        PlanConfig base = withAutoStandIns(config);
        Plan plan = base.plan(Algorithm.SPLIT);
        ModelSpec spec = ModelZoo.create(plan.model(), sampleShape, classes);
        BackendProvider provider = Backends.chosen();
        int[] ms = microBatchChoices(config, plan);
        Measurements meas = measure(plan, spec, provider, ms);
        double profileS = (System.nanoTime() - t) / 1e9;
        int cores = Runtime.getRuntime().availableProcessors();
        TuningProblem problem = problem(config, plan, meas, iterationsPerRound(plan, trainSamples), cores, null, 1.0);
        if (plan.mode() == Mode.U_SHAPED && spec.blockCount() < 3) {
            throw new IllegalArgumentException(plan.model() + " has too few blocks for U-shaped split learning");
        }
        return search(config, plan, problem, profileS, alternatives);
    }
}
