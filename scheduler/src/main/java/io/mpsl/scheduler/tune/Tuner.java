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
import io.mpsl.scheduler.runtime.LinkProbe;
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
        int batch = plan.owners().get(0).batch();
        int maxM = 1;
        int minM = Integer.MAX_VALUE;
        for (int m : microBatchChoices) {
            maxM = Math.max(maxM, Math.min(m, batch));
            minM = Math.min(minM, Math.min(m, batch));
        }
        int small = Math.max(1, batch / maxM);
        int large = Math.max(small, batch / minM);
        Profiler.Measured prof = Profiler.measure(spec, provider, plan.optimizer(), small, large, PROFILE_WARMUP,
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
                meas.profile().copyBytesPerS(), meas.profile().averageBytesPerS(), iterationsPerRound, 64);
        return new TuningProblem(meas.profile().blocks(), owners, hopLink, plan.mode(), plan.schedule(), minHops,
                maxHops, ms, plan.optimizer().stateTensorsPerParameter(), cap, plan.maxInFlight(), rt,
                ownerFactor == null ? new double[0] : ownerFactor, hopFactor);
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
        List<String> overrides = new ArrayList<>();
        overrides.add("hops=" + best.hops());
        overrides.add("cuts=" + Arrays.toString(best.cuts()));
        overrides.add("micro_batches=" + best.microBatches());
        return new Choice(best, alt, candidates, simulated, over, overrides, profileS, searchS, problem);
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
     * Everything {@code ./mpsl tune} and {@code run} with {@code auto} do: profile, probe, search. The
     * configuration's model is built for samples of {@code sampleShape} and {@code classes} classes.
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
