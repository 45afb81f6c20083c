package io.mpsl.scheduler.tune;

import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.DatasetPair;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.LinkProbe;
import io.mpsl.scheduler.runtime.LinkStats;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.RunResult;
import io.mpsl.scheduler.runtime.TrainingState;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.json.Json;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Training that keeps choosing its plan: each round runs as its own {@link LocalCluster} that takes over the
 * previous round's {@link TrainingState} (weights, optimizer state, data order), so the plan may change at
 * any round boundary without losing anything. After each round the live profile is updated from what the
 * round measured: each owner link's goodput and latency from its transfers, each owner's and the hops'
 * compute from their busy time against the prediction (exponentially weighted). When a link's goodput or a
 * node's speed has drifted from the figures the plan was chosen with by more than {@code replan_threshold}
 * (relative), the tuner searches again; a different best plan takes over from the next round.
 *
 * <p>{@code link_changes} emulate a changing network: from round {@code round} on, owner {@code owner}'s
 * {@code uplink_mbit} and/or {@code downlink_mbit} are as given.
 */
public final class AdaptiveRun {

    /** Weight of the newest observation in the exponentially weighted estimates. */
    static final double ALPHA = 0.7;

    /** One round: the plan it ran, the prediction the plan had when chosen, what the round measured. */
    public record Round(int round, int hops, int[] cuts, int microBatches, double predictedIterationS,
            double measuredIterationS, boolean replannedAfter, String reason) {
    }

    /** A link change from a round on. */
    record LinkChange(int round, int owner, double uplinkMbit, double downlinkMbit) {
    }

    private AdaptiveRun() {
    }

    /** Whether a configuration asks for re-planning or emulated link changes. */
    public static boolean wanted(PlanConfig config) {
        Object o = config.raw("replan");
        return Boolean.TRUE.equals(o) || !linkChanges(config).isEmpty();
    }

    static List<LinkChange> linkChanges(PlanConfig config) {
        Object raw = config.raw("link_changes");
        List<LinkChange> out = new ArrayList<>();
        if (raw == null) {
            return out;
        }
        if (!(raw instanceof List<?> l)) {
            throw new IllegalArgumentException("link_changes must be a list of {round, owner, uplink_mbit and/or"
                    + " downlink_mbit}, got " + raw);
        }
        for (Object e : l) {
            if (!(e instanceof Map<?, ?> m) || !(m.get("round") instanceof Number r) || !(m.get("owner") instanceof Number o)) {
                throw new IllegalArgumentException("link_changes entry " + e + " needs round and owner");
            }
            double up = m.get("uplink_mbit") instanceof Number u ? u.doubleValue() : -1;
            double down = m.get("downlink_mbit") instanceof Number d ? d.doubleValue() : -1;
            if (up < 0 && down < 0) {
                throw new IllegalArgumentException("link_changes entry " + e + " changes neither uplink_mbit nor"
                        + " downlink_mbit");
            }
            out.add(new LinkChange(r.intValue(), o.intValue(), up, down));
        }
        return out;
    }

    /**
     * {@code plan} as one round: round {@code round}'s learning rate, owners' links as changed up to that
     * round.
     */
    static Plan roundPlan(Plan plan, int round, List<LinkChange> changes) {
        if (plan.lrWarmupIterations() > 0 || plan.lrCosine()) {
            // each round runs as a one-round plan, which has no view of the steps of earlier rounds
            throw new IllegalArgumentException("replan: true supports the per-round lr_decay only; remove "
                    + "lr_warmup_iterations and lr_schedule: cosine from the config, or set replan: false");
        }
        List<OwnerSpec> owners = new ArrayList<>(plan.owners());
        for (LinkChange c : changes) {
            if (c.round() <= round) {
                if (c.owner() < 0 || c.owner() >= owners.size()) {
                    throw new IllegalArgumentException("link_changes names owner " + c.owner() + " of "
                            + owners.size());
                }
                OwnerSpec o = owners.get(c.owner());
                LinkSpec up = c.uplinkMbit() >= 0 ? LinkSpec.mbit(c.uplinkMbit(), o.uplink().delayNs() / 1e6)
                        : o.uplink();
                LinkSpec down = c.downlinkMbit() >= 0 ? LinkSpec.mbit(c.downlinkMbit(), o.downlink().delayNs() / 1e6)
                        : o.downlink();
                owners.set(c.owner(), new OwnerSpec(o.batch(), o.microBatches(), o.slowdown(), up, down));
            }
        }
        return new Plan(plan.model(), plan.dataset(), plan.algorithm(), plan.mode(), plan.serverCopies(), plan.hops(),
                plan.cuts(), plan.schedule(), owners, plan.hopLink(), 1, plan.localIterations(),
                plan.optimizer().withLearningRate(plan.learningRate(round)), plan.seed(), plan.maxInFlight(),
                plan.dpClip(), plan.dpSigma(), plan.partitioning(), plan.dirichletAlpha(), plan.trainLimit(),
                plan.testLimit(), 1.0);
    }

    /**
     * Runs one round of {@code plan} (a {@link #roundPlan}) from {@code in} (null: from the start); the state
     * after the round goes to {@code out[0]}, each link's record to {@code links}.
     */
    public static RunResult runRound(Plan plan, Dataset train, Dataset test, LocalCluster.Options options,
            TrainingState in, TrainingState[] out, List<LinkStats> links) throws InterruptedException {
        return runRound(plan, train, test, options, in, out, links, null);
    }

    /**
     * As {@link #runRound(Plan, Dataset, Dataset, LocalCluster.Options, TrainingState, TrainingState[], List)},
     * with what the round's own steps measured folded into {@code live} (when not null).
     */
    public static RunResult runRound(Plan plan, Dataset train, Dataset test, LocalCluster.Options options,
            TrainingState in, TrainingState[] out, List<LinkStats> links, LiveProfile live)
            throws InterruptedException {
        return runRound(plan, train, test, options, in, out, links, live, null);
    }

    /** As the method above, with what the round's steps measured folded into {@code alsoLive} too (when not null). */
    static RunResult runRound(Plan plan, Dataset train, Dataset test, LocalCluster.Options options,
            TrainingState in, TrainingState[] out, List<LinkStats> links, LiveProfile live, LiveProfile alsoLive)
            throws InterruptedException {
        try (LocalCluster cluster = new LocalCluster(plan, train, test, options)) {
            if (in != null) {
                cluster.importState(in);
            }
            RunResult r = cluster.run();
            out[0] = cluster.exportState();
            if (links != null) {
                links.addAll(cluster.linkStats());
            }
            for (LiveProfile l : new LiveProfile[] {live, alsoLive}) {
                if (l != null) {
                    l.update(cluster.blockClocks(), cluster.averageBytesPerS(), cluster.passOverheadS(),
                            cluster.runtimeBackgroundThreads(), cluster.competitionComplete());
                    l.noteRunQueueWait(cluster.runQueueWaitShare());
                }
            }
            return r;
        }
    }

    /** Runs the configuration round by round, re-planning on drift; writes results.json; returns the rounds. */
    public static List<Round> run(PlanConfig config, Experiment experiment, Path outDir, PrintStream out)
            throws Exception {
        Files.createDirectories(outDir);
        List<LinkChange> changes = linkChanges(config);
        double threshold = config.number("replan_threshold");
        boolean replan = Boolean.TRUE.equals(config.raw("replan"));
        List<Round> rounds = new ArrayList<>();
        List<Map<String, Object>> replans = new ArrayList<>();
        try (DatasetPair data = experiment.loadData(MemoryAccount.root("data"))) {
            PlanConfig base = Tuner.withAutoStandIns(config);
            Plan plan0 = base.plan(Algorithm.SPLIT);
            int[] ms = Tuner.microBatchChoices(config, plan0);
            Tuner.Measurements meas = Tuner.measure(plan0,
                    ModelZoo.create(plan0.model(), data.train().sampleShape(), data.train().classes()),
                    io.mpsl.kernels.Backends.chosen(), ms);
            int ipr = Tuner.iterationsPerRound(plan0, data.train().size());
            int cores = Runtime.getRuntime().availableProcessors();
            int np = plan0.owners().size();
            double[] ownerFactor = new double[np];
            Arrays.fill(ownerFactor, 1.0);
            double hopFactor = 1.0;
            Map<String, LinkProbe.Estimate> links = new LinkedHashMap<>(meas.links());
            Map<String, LinkProbe.Estimate> plannedLinks = new LinkedHashMap<>(links);
            double[] plannedOwner = ownerFactor.clone();
            PlanConfig forSearch = config.with(List.of("cuts=auto", "micro_batches=auto"));
            Tuner.Choice choice = Tuner.search(Tuner.wanted(config) ? config : forSearch, plan0,
                    Tuner.problem(config, plan0, meas, ipr, cores, ownerFactor, hopFactor), meas.profile().seconds(), 3);
            PlanConfig current = Tuner.wanted(config) ? config.with(choice.overrides()) : config;
            Candidate candidate = Tuner.wanted(config) ? choice.best()
                    : new PlanSearch(choice.problem()).evaluate(plan0.hops(), plan0.cuts(),
                            plan0.owners().get(0).microBatches());
            out.printf(Locale.ROOT, "== adaptive run: %s%n", candidate);
            TrainingState state = null;
            LocalCluster.Options opts = new LocalCluster.Options().evaluate(false);
            int total = Math.toIntExact(config.integer("rounds"));
            for (int r = 0; r < total; r++) {
                Plan plan = roundPlan(current.plan(Algorithm.SPLIT), r, changes);
                TrainingState[] next = new TrainingState[1];
                List<LinkStats> stats = new ArrayList<>();
                RunResult res = runRound(plan, data.train(), data.test(), opts, state, next, stats);
                state = next[0];
                // live profile: links from their transfers, compute from busy time against the prediction
                for (LinkStats s : stats) {
                    LinkProbe.Estimate old = links.get(s.name());
                    if (old != null && s.busyNs() > 0) {
                        links.put(s.name(), new LinkProbe.Estimate(
                                goodput(old.goodputBitsPerS(), s.goodputBitsPerS(), threshold),
                                ewma(old.latencyS(), s.latencyS())));
                    }
                }
                Tuner.Measurements live = new Tuner.Measurements(meas.profile(), links, meas.probeS());
                // (the owners' configured links of the round, as its compute nodes ranked them; the rates measured)
                TuningProblem problem = Tuner.problem(forSearch, roundPlan(plan0, r, changes), live, ipr, cores,
                        ownerFactor, hopFactor);
                PlanSearch search = new PlanSearch(problem);
                if (r > 0) { // round 0 carries the just-in-time compiler's warm-up
                    Map<String, Double> predicted = search.busyPerIteration(
                            search.evaluate(candidate.hops(), candidate.cuts(), candidate.microBatches()));
                    int its = Math.max(1, res.iterations());
                    double hopPred = 0;
                    double hopMeas = 0;
                    for (RunResult.Resource rs : res.resources()) {
                        Double p = predicted.get(rs.name());
                        if (p == null || p <= 0) {
                            continue;
                        }
                        if (rs.name().startsWith("owner") && !rs.name().contains(".")) {
                            int o = Integer.parseInt(rs.name().substring(5));
                            ownerFactor[o] = ewma(ownerFactor[o], ownerFactor[o] * rs.busyS() / its / p);
                        } else if (rs.name().startsWith("hop") && !rs.name().contains("-")) {
                            hopPred += p;
                            hopMeas += rs.busyS() / its;
                        }
                    }
                    if (hopPred > 0) {
                        hopFactor = ewma(hopFactor, hopFactor * hopMeas / hopPred);
                    }
                }
                String reason = drift(links, plannedLinks, ownerFactor, plannedOwner, threshold);
                boolean replanned = false;
                if (replan && reason != null && r + 1 < total) {
                    TuningProblem p = Tuner.problem(forSearch, roundPlan(plan0, r + 1, changes), live, ipr, cores,
                            ownerFactor, hopFactor);
                    Tuner.Choice c = Tuner.search(forSearch, plan0, p, 0, 3);
                    plannedLinks = new LinkedHashMap<>(links);
                    plannedOwner = ownerFactor.clone();
                    Map<String, Object> rp = new LinkedHashMap<>();
                    rp.put("after_round", r);
                    rp.put("reason", reason);
                    rp.put("search_s", c.searchS());
                    rp.put("plan", Tuner.candidateJson(c.best()));
                    replans.add(rp);
                    if (!Arrays.equals(c.best().cuts(), candidate.cuts())
                            || c.best().microBatches() != candidate.microBatches()) {
                        candidate = c.best();
                        current = config.with(c.overrides());
                        replanned = true;
                    }
                    out.printf(Locale.ROOT, "  re-planned after round %d (%s): %s%s%n", r + 1, reason, c.best(),
                            replanned ? "" : " (unchanged)");
                }
                Round rec = new Round(r, plan.hops(), plan.cuts(), plan.owners().get(0).microBatches(),
                        candidate.predictedIterationS(), res.iterationS(), replanned, reason);
                rounds.add(rec);
                out.printf(Locale.ROOT, "  round %d/%d: cuts %s, %d micro-batches: iteration %.4f s, loss %.4f%n", r + 1,
                        total, Arrays.toString(plan.cuts()), plan.owners().get(0).microBatches(), res.iterationS(),
                        res.trainLoss().isEmpty() ? Double.NaN : res.trainLoss().get(0));
            }
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mode", "adaptive");
        List<Object> rs = new ArrayList<>();
        for (Round r : rounds) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("round", r.round());
            m.put("hops", r.hops());
            m.put("cuts", Arrays.toString(r.cuts()));
            m.put("micro_batches", r.microBatches());
            m.put("iteration_s", r.measuredIterationS());
            m.put("replanned_after", r.replannedAfter());
            m.put("drift", r.reason());
            rs.add(m);
        }
        json.put("rounds", rs);
        json.put("replans", replans);
        Files.writeString(outDir.resolve("results.json"), Json.writePretty(json) + "\n");
        out.println("results in " + outDir.toAbsolutePath());
        return rounds;
    }

    private static double ewma(double old, double now) {
        return (1 - ALPHA) * old + ALPHA * now;
    }

    /**
     * A link's goodput estimate after a round that measured {@code now}: weighted with the old one
     * ({@link #ALPHA}), unless the round is off it by more than {@code threshold} (relative): then the link
     * changed, and the round's figure replaces the estimate (averaged with the rate before the change it would
     * understate the change: a drop from 25 to 5 Mbit/s read 11 Mbit/s after the round of the drop, and the
     * plan chosen for it was not the one for 5).
     */
    static double goodput(double old, double now, double threshold) {
        if (old > 0 && now > 0 && Math.abs(now / old - 1) > threshold) {
            return now;
        }
        return ewma(old, now);
    }

    /** Why the figures drifted past {@code threshold} from those the plan was chosen with, or null. */
    static String drift(Map<String, LinkProbe.Estimate> now, Map<String, LinkProbe.Estimate> planned,
            double[] ownerFactor, double[] plannedOwner, double threshold) {
        for (Map.Entry<String, LinkProbe.Estimate> e : now.entrySet()) {
            LinkProbe.Estimate p = planned.get(e.getKey());
            double a = e.getValue().goodputBitsPerS();
            if (p != null && p.goodputBitsPerS() > 0 && a > 0 && Math.abs(a / p.goodputBitsPerS() - 1) > threshold) {
                return String.format(Locale.ROOT, "%s goodput %.2f -> %.2f Mbit/s", e.getKey(),
                        p.goodputBitsPerS() / 1e6, a / 1e6);
            }
        }
        for (int o = 0; o < ownerFactor.length; o++) {
            // compute is noisier than links (other programs share the cores): twice the threshold
            if (Math.abs(ownerFactor[o] / plannedOwner[o] - 1) > 2 * threshold) {
                return String.format(Locale.ROOT, "owner%d compute x%.2f", o, ownerFactor[o] / plannedOwner[o]);
            }
        }
        return null;
    }
}
