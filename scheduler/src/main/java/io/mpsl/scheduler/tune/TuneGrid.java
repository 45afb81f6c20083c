package io.mpsl.scheduler.tune;

import io.mpsl.kernels.Backends;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.data.DatasetPair;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.RunResult;
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
 * {@code mpsl bench tune-grid [--json FILE] [--models vgg5,vgg11]}: validates the cost model. For VGG-5
 * (1x28x28) and VGG-11 (3x32x32) on synthetic data, two owners 2x slower than the compute node, vanilla one-hop
 * split learning with 1F1B, and two link settings (up/down 10/25 and 100/100 Mbit/s), after
 * {@link #JIT_WARMUP_S} seconds of training each model to let the JIT compiler finish its kernels, it runs every plan of
 * three cut points x two micro-batch counts: a warm-up round, a round the live profile learns from, then one
 * cluster of six rounds whose first (the cluster's start) is left out; the measured iteration time is the
 * median of the other five rounds over their iterations. It compares that with four predictions, each with the
 * competition for the cores sampled after the warm-up round once the process's own other threads (the JIT
 * compiler above all) are quiet ({@link Profiler#awaitQuiet}): "predicted", from the separate profile taken as the
 * live run took it before the live profiler (after one round of training, a short profile; the links from that
 * round's transfers); "live", that one after the busy-time correction from the plan's second round (as
 * {@link AdaptiveRun} does); "in-run", from the live profiler's timings of the setting's first rounds (as much
 * training as the configuration's natural round, each owner's share of the training set once, in rounds as long
 * as the plans'; owner 0 at 1 micro-batch and owner 1 at 4, as a live run's first round mixes two counts); and
 * "current", from the live profiler kept current over every round of the setting run before the plan (each of
 * these two with the competition its rounds measured, where the machine's accounting can be read). Per
 * setting it reports whether the plan each prediction would pick (profile, in-run, kept current) is
 * within 5% of the best measured plan. Beside them, and no prediction, "own": the cost model fed the measured
 * rounds' own block timings (their last {@link io.mpsl.scheduler.runtime.BlockClock#WINDOW} calls), which
 * separates the model's composition of the timings from the timings' drift between when they are taken and when
 * the plan runs. Each plan's row ends with the host's steal over its measured rounds ({@code /proc/stat}: the
 * machine's processor time the hypervisor gave to other guests), to tell a noisy minute from a model's miss.
 * Measured rounds over which the host stole more than {@link HostSteal#NOISY_PCT} are measured again, from the
 * same state, once the host is quiet ({@link HostSteal}: at most {@link HostSteal#ATTEMPTS} attempts, the one with
 * the least steal kept, whatever its time); the row keeps every attempt's steal and the first attempt's time, and
 * the summary counts the predictions within 10% of the first attempts alone beside those of the kept ones.
 */
public final class TuneGrid {
    public static final String USAGE = "tune-grid [--json FILE] [--models vgg5,vgg11] [--jit-warmup SECONDS]";

    /** One model's part of the grid. */
    record ModelCase(String model, String shape, int batch, int iterations, int[][] cuts) {
    }

    static final ModelCase[] MODELS = {
        new ModelCase("vgg5", "[1, 28, 28]", 16, 3, new int[][] {{1}, {2}, {3}}),
        new ModelCase("vgg11", "[3, 32, 32]", 8, 2, new int[][] {{1}, {2}, {3}}),
    };
    static final int[] MICRO_BATCHES = {1, 4};
    static final double[][] LINKS = {{10, 25}, {100, 100}};

    private TuneGrid() {
    }

    public static int run(String[] args) throws Exception {
        Path json = null;
        List<String> models = List.of("vgg5", "vgg11");
        double jitWarmupS = JIT_WARMUP_S;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jit-warmup" -> jitWarmupS = Double.parseDouble(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                case "--models" -> models = Arrays.asList(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'; usage: " + USAGE);
            }
        }
        PrintStream out = System.out;
        long start = System.nanoTime();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Map<String, Object>> settings = new ArrayList<>();
        int within = 0;
        int withinLive = 0;
        int total = 0;
        int picksWithin = 0;
        int withinInRun = 0;
        int withinCurrent = 0;
        int picksWithinInRun = 0;
        int picksWithinCurrent = 0;
        int withinOwn = 0;
        List<Double> steals = new ArrayList<>();
        int firstWithinInRun = 0;
        int firstWithinCurrent = 0;
        int retried = 0;
        out.printf(Locale.ROOT, "%-6s %-8s %-6s %3s %12s %12s %8s %12s %8s %10s %8s %10s %8s %10s %8s  %5s %6s %5s%n",
                "model", "links", "cuts", "m", "predicted s", "measured s", "error", "live s", "error", "in-run s",
                "error", "current s", "error", "own s", "error", "bg", "steal%", "tries");
        for (ModelCase mc : MODELS) {
            if (!models.contains(mc.model)) {
                continue;
            }
            warmUpJit(mc, jitWarmupS, out);
            for (double[] link : LINKS) {
                PlanConfig base = config(mc, link);
                List<Map<String, Object>> group = new ArrayList<>();
                try (DatasetPair data = new Experiment(base, out).loadData(MemoryAccount.root("data"))) {
                    Plan plan0 = base.plan(Algorithm.SPLIT);
                    ModelSpec spec = ModelZoo.create(mc.model, data.train().sampleShape(), data.train().classes());
                    // as a live run measures: after a round of training (here of the setting's first plan, its
                    // state discarded) has warmed the code, a short profile, and the links from that round
                    List<io.mpsl.scheduler.runtime.LinkStats> stats = new ArrayList<>();
                    // (as much training as the configuration's natural round, every owner's share of the training
                    // set once, as a live run's first round; in rounds as long as the plans' own, as a live run's
                    // first round is as long as its others: the round-end averaging streams the hop's copies of the
                    // weights, and the calls after it are slower; one long round of vgg11 at 100/100 predicted the
                    // plans' short rounds 17-26% fast. Owner 1 at the other micro-batch count, as a live run's first
                    // round mixes two)
                    int perOwner = data.train().size() / plan0.owners().size();
                    int firstIterations = Math.max(1, (perOwner + mc.batch - 1) / mc.batch);
                    int firstRounds = Math.max(1, (firstIterations + mc.iterations - 1) / mc.iterations);
                    PlanConfig first = base.with(List.of("cuts=" + Arrays.toString(mc.cuts[0]),
                            "micro_batches=" + MICRO_BATCHES[0], "rounds=" + firstRounds));
                    List<BlockCost> sizes = Profiler.estimate(spec).blocks();
                    LiveProfile firstRound = new LiveProfile(sizes);
                    AdaptiveRun.runRound(Tuner.mixed(first.plan(Algorithm.SPLIT), MICRO_BATCHES[1]), data.train(),
                            data.test(), new LocalCluster.Options().evaluate(false), null,
                            new io.mpsl.scheduler.runtime.TrainingState[1], stats, firstRound);
                    long t = System.nanoTime();
                    Tuner.Measurements meas = Tuner.liveMeasurements(plan0, spec, Backends.chosen(), MICRO_BATCHES,
                            stats);
                    double profileS = (System.nanoTime() - t) / 1e9;
                    t = System.nanoTime();
                    Tuner.Measurements inRun = Tuner.liveMeasurements(plan0, firstRound, stats);
                    double inRunS = (System.nanoTime() - t) / 1e9;
                    // the live profiler kept current: every round of the setting so far folded in, the first too
                    LiveProfile current = firstRound.copy();
                    if (Boolean.getBoolean("mpsl.tune.debug")) {
                        for (int b = 0; b < sizes.size(); b++) {
                            out.println("    profile " + meas.profile().blocks().get(b));
                            out.println("    in-run  " + inRun.profile().blocks().get(b));
                        }
                        out.println("    " + meas.links() + " background " + meas.profile().backgroundThreads());
                    }
                    for (int[] cuts : mc.cuts) {
                        for (int m : MICRO_BATCHES) {
                            PlanConfig pc = base.with(List.of("cuts=" + Arrays.toString(cuts), "micro_batches=" + m));
                            Plan plan = pc.plan(Algorithm.SPLIT);
                            // a warm-up round first (its own cluster, its state handed on): the plan's code compiled,
                            // then the competition for the cores sampled as the plan's rounds will meet it (the round
                            // is not folded into the kept-current profile: that predicts the plan from earlier rounds)
                            io.mpsl.scheduler.runtime.TrainingState[] warmed =
                                    new io.mpsl.scheduler.runtime.TrainingState[1];
                            AdaptiveRun.runRound(AdaptiveRun.roundPlan(plan, 0, List.of()), data.train(), data.test(),
                                    new LocalCluster.Options().evaluate(false), null, warmed, null, null);
                            double quietS = Profiler.awaitQuiet(Profiler.QUIET_MAX_S);
                            double background = Profiler.sampleBackground(0.25);
                            if (Boolean.getBoolean("mpsl.tune.debug")) {
                                out.printf(Locale.ROOT, "    waited %.2f s for quiet; competition %.2f threads%n", quietS,
                                        background);
                            }
                            Tuner.Measurements now = withBackground(meas, background);
                            TuningProblem problem = Tuner.problem(pc, plan, now, mc.iterations,
                                    Runtime.getRuntime().availableProcessors(), null, 1.0);
                            PlanSearch search = new PlanSearch(problem);
                            Candidate cand = search.evaluate(1, cuts, m);
                            double predicted = cand.predictedIterationS();
                            // the live profiles' predictions: from the setting's first round, from every round so far
                            double predictedInRun = predict(pc, plan, measurements(firstRound, inRun, background),
                                    mc.iterations, cuts, m);
                            double predictedCurrent = predict(pc, plan, measurements(current, inRun, background),
                                    mc.iterations, cuts, m);
                            // a calibration round (its own cluster, as AdaptiveRun runs each round: each owner's and
                            // the hops' busy time against the prediction), then the measured rounds: one cluster of
                            // 1 + MEASURED_ROUNDS rounds, its first (the cluster's start) left out, the median of the
                            // rest (a round of 2-3 iterations is 0.2-4 s: one round alone moves with every hiccup)
                            io.mpsl.scheduler.runtime.TrainingState[] next = new io.mpsl.scheduler.runtime.TrainingState[1];
                            RunResult cal = AdaptiveRun.runRound(AdaptiveRun.roundPlan(plan, 1, List.of()), data.train(),
                                    data.test(), new LocalCluster.Options().evaluate(false), warmed[0], next, null,
                                    current);
                            double calibrated = calibrate(pc, plan, now, mc.iterations, search, cand, cal);
                            Plan measuredPlan = pc.with(List.of("rounds=" + (1 + MEASURED_ROUNDS)))
                                    .plan(Algorithm.SPLIT);
                            // the measured rounds' own timings too: a prediction from them is no prediction, but
                            // it separates the cost model's composition from the timings' drift over minutes
                            // (taken again, from the same state, where the host's steal over them was over
                            // HostSteal.NOISY_PCT, after waiting for the host to quiet down; the attempt with the
                            // least steal is kept, and the first attempt's figures are reported beside it)
                            Measurement rounds = measure(measuredPlan, data, next[0], current, sizes);
                            RunResult r = rounds.run();
                            LiveProfile own = rounds.own();
                            double measured = medianRoundS(r) / mc.iterations;
                            double steal = rounds.stealPct();
                            double[] tried = rounds.attemptStealPct();
                            int kept = rounds.kept();
                            int attempts = tried.length;
                            steals.add(steal);
                            double firstMeasured = medianRoundS(rounds.first()) / mc.iterations;
                            firstWithinInRun += Math.abs(100 * (predictedInRun / firstMeasured - 1)) <= 10 ? 1 : 0;
                            firstWithinCurrent += Math.abs(100 * (predictedCurrent / firstMeasured - 1)) <= 10 ? 1 : 0;
                            retried += attempts > 1 ? 1 : 0;
                            double postdicted = predict(pc, plan, measurements(own, inRun, background), mc.iterations,
                                    cuts, m);
                            double errOwn = 100 * (postdicted / measured - 1);
                            withinOwn += Math.abs(errOwn) <= 10 ? 1 : 0;
                            double err = 100 * (predicted / measured - 1);
                            double errLive = 100 * (calibrated / measured - 1);
                            double errInRun = 100 * (predictedInRun / measured - 1);
                            double errCurrent = 100 * (predictedCurrent / measured - 1);
                            withinLive += Math.abs(errLive) <= 10 ? 1 : 0;
                            withinInRun += Math.abs(errInRun) <= 10 ? 1 : 0;
                            withinCurrent += Math.abs(errCurrent) <= 10 ? 1 : 0;
                            total++;
                            within += Math.abs(err) <= 10 ? 1 : 0;
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("model", mc.model);
                            row.put("uplink_mbit", link[0]);
                            row.put("downlink_mbit", link[1]);
                            row.put("cuts", Arrays.toString(cuts));
                            row.put("micro_batches", m);
                            row.put("predicted_s", predicted);
                            row.put("measured_s", measured);
                            row.put("error_pct", err);
                            row.put("calibrated_s", calibrated);
                            row.put("calibrated_error_pct", errLive);
                            row.put("in_run_s", predictedInRun);
                            row.put("in_run_error_pct", errInRun);
                            row.put("current_s", predictedCurrent);
                            row.put("current_error_pct", errCurrent);
                            row.put("own_timings_s", postdicted);
                            row.put("own_timings_error_pct", errOwn);
                            row.put("background_threads", background);
                            row.put("host_steal_pct", steal);
                            row.put("attempts_host_steal_pct", Arrays.stream(tried).boxed().toList());
                            row.put("attempt_kept", kept + 1);
                            row.put("first_attempt_measured_s", firstMeasured);
                            rows.add(row);
                            group.add(row);
                            out.printf(Locale.ROOT, "%-6s %3.0f/%-4.0f %-6s %3d %12.4f %12.4f %+7.1f%% %12.4f %+7.1f%%"
                                    + " %10.4f %+7.1f%% %10.4f %+7.1f%% %10.4f %+7.1f%%  %5.1f %6.1f %5s%n", mc.model,
                                    link[0], link[1], Arrays.toString(cuts), m, predicted, measured, err, calibrated,
                                    errLive, predictedInRun, errInRun, predictedCurrent, errCurrent, postdicted, errOwn,
                                    background, steal, kept + 1 + "/" + attempts);
                            if (Boolean.getBoolean("mpsl.tune.debug")) {
                                Map<String, Double> busy = search.busyPerIteration(cand);
                                // RunResult.iterations() counts every round, the left-out first one too
                                int its = (r.rounds() - 1) * (r.iterations() / r.rounds());
                                // each block's time at the plan's micro-batch size, in-run and from the measured rounds
                                int size = mc.batch / m;
                                List<BlockCost> a = firstRound.blocks();
                                List<BlockCost> b = own.blocks();
                                for (int k = 0; k < a.size(); k++) {
                                    out.printf(Locale.ROOT, "    block %d at %d: forward %.3f / %.3f ms, backward %.3f / %.3f"
                                            + " ms, step %.3f / %.3f ms (in-run / own)%n", k, size,
                                            1e3 * a.get(k).forwardS(size), 1e3 * b.get(k).forwardS(size),
                                            1e3 * a.get(k).backwardS(size), 1e3 * b.get(k).backwardS(size),
                                            1e3 * a.get(k).stepS(), 1e3 * b.get(k).stepS());
                                }
                                out.printf(Locale.ROOT, "    competition %.3f / %.3f threads, per step owner %.1f / %.1f us,"
                                        + " hop %.1f / %.1f us (in-run / own)%n", firstRound.runtimeBackgroundThreads(),
                                        own.runtimeBackgroundThreads(), 1e6 * firstRound.ownerPassS(),
                                        1e6 * own.ownerPassS(), 1e6 * firstRound.hopPassS(), 1e6 * own.hopPassS());
                                out.println("    waited runnable for a core, share of run time (own rounds): "
                                        + own.runQueueWait());
                                for (RunResult.Resource res : r.resources()) {
                                    out.printf(Locale.ROOT, "    %-16s busy per iteration: predicted %.4f measured %.4f%n",
                                            res.name(), busy.getOrDefault(res.name(), Double.NaN), res.busyS() / its);
                                }
                            }
                        }
                    }
                    Map<String, Object> pick = least(group, "predicted_s");
                    Map<String, Object> best = least(group, "measured_s");
                    Map<String, Object> pickInRun = least(group, "in_run_s");
                    double ratio = (Double) pick.get("measured_s") / (Double) best.get("measured_s");
                    double ratioInRun = (Double) pickInRun.get("measured_s") / (Double) best.get("measured_s");
                    picksWithin += ratio <= 1.05 ? 1 : 0;
                    picksWithinInRun += ratioInRun <= 1.05 ? 1 : 0;
                    Map<String, Object> pickCurrent = least(group, "current_s");
                    double ratioCurrent = (Double) pickCurrent.get("measured_s") / (Double) best.get("measured_s");
                    picksWithinCurrent += ratioCurrent <= 1.05 ? 1 : 0;
                    Map<String, Object> s = new LinkedHashMap<>();
                    s.put("model", mc.model);
                    s.put("links", link[0] + "/" + link[1]);
                    s.put("tuner_pick", pick.get("cuts") + " m=" + pick.get("micro_batches"));
                    s.put("best_measured", best.get("cuts") + " m=" + best.get("micro_batches"));
                    s.put("pick_vs_best", ratio);
                    s.put("in_run_pick", pickInRun.get("cuts") + " m=" + pickInRun.get("micro_batches"));
                    s.put("in_run_pick_vs_best", ratioInRun);
                    s.put("current_pick", pickCurrent.get("cuts") + " m=" + pickCurrent.get("micro_batches"));
                    s.put("current_pick_vs_best", ratioCurrent);
                    s.put("profile_s", profileS);
                    s.put("in_run_collect_s", inRunS);
                    settings.add(s);
                    out.printf(Locale.ROOT, "  setting %s %s: tuner picks %s (measured %.4f s), best measured %s (%.4f s):"
                            + " %.1f%% slower; from in-run times it picks %s (%.1f%% slower), from them kept current %s"
                            + " (%.1f%% slower); profile %.2f s, in-run collection %.3f s, background threads %.1f%n",
                            mc.model, s.get("links"), s.get("tuner_pick"), (Double) pick.get("measured_s"),
                            s.get("best_measured"), (Double) best.get("measured_s"), 100 * (ratio - 1),
                            s.get("in_run_pick"), 100 * (ratioInRun - 1), s.get("current_pick"),
                            100 * (ratioCurrent - 1), profileS, inRunS, meas.profile().backgroundThreads());
                }
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "%d of %d plans within 10%% of the profile's prediction, %d of %d of the live-calibrated one,"
                + " %d of %d of the in-run one, %d of %d of the in-run one kept current; tuner pick within 5%% of the"
                + " best in %d of %d settings (from in-run times: %d, kept current: %d); %.0f s in all on %d cores%n",
                within, total, withinLive, total, withinInRun, total, withinCurrent, total, picksWithin,
                settings.size(), picksWithinInRun, picksWithinCurrent, wall, Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "(not predictions: %d of %d within 10%% of the cost model fed the measured rounds' own block"
                + " timings, the model's composition without the timings' drift)%n", withinOwn, total);
        double[] steal = steals.stream().mapToDouble(Double::doubleValue).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (steal.length > 0) {
            out.printf(Locale.ROOT, "host steal over the measured rounds: median %.1f%%, most %.1f%% (%d of %d plans over 5%%;"
                    + " the hypervisor's, which slows every hand-off of the plans' threads)%n", steal[steal.length / 2],
                    steal[steal.length - 1], Arrays.stream(steal).filter(v -> v > 5).count(), steal.length);
        }
        out.printf(Locale.ROOT, "%d of %d plans measured again for steal over %.0f%% (kept: the attempt with the least"
                + " steal); from their first attempts alone: %d of %d within 10%% in-run, %d of %d kept current%n",
                retried, total, HostSteal.NOISY_PCT, firstWithinInRun, total, firstWithinCurrent, total);
        if (json != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("plans", rows);
            m.put("settings", settings);
            m.put("within_10pct", within);
            m.put("calibrated_within_10pct", withinLive);
            m.put("in_run_within_10pct", withinInRun);
            m.put("current_within_10pct", withinCurrent);
            m.put("in_run_picks_within_5pct", picksWithinInRun);
            m.put("current_picks_within_5pct", picksWithinCurrent);
            m.put("own_timings_within_10pct", withinOwn);
            m.put("total", total);
            m.put("picks_within_5pct", picksWithin);
            m.put("wall_s", wall);
            m.put("remeasured_for_steal", retried);
            m.put("noisy_steal_pct", HostSteal.NOISY_PCT);
            m.put("first_attempt_in_run_within_10pct", firstWithinInRun);
            m.put("first_attempt_current_within_10pct", firstWithinCurrent);
            if (steal.length > 0) {
                m.put("host_steal_pct_median", steal[steal.length / 2]);
                m.put("host_steal_pct_max", steal[steal.length - 1]);
            }
            Files.writeString(json, Json.writePretty(m) + "\n");
        }
        return 0;
    }

    /**
     * Seconds of training each model runs first, discarded: the JIT compiler takes the kernels' methods to C2
     * only tens of seconds into a process (a vgg11 run compiled PixelMajorConvolution's weight taps with C2 32 s
     * in), so the first settings' timings would be those of partly C1-compiled code, a passing state of the JVM
     * rather than of the plan. 0 leaves it out (then the first setting's in-run timings carry it).
     */
    static final double JIT_WARMUP_S = 20;

    /** Trains {@code mc}'s first plan at 100/100 Mbit/s, round after round, for {@code seconds}; discards it. */
    static void warmUpJit(ModelCase mc, double seconds, PrintStream out) throws Exception {
        if (!(seconds > 0)) {
            return;
        }
        PlanConfig base = config(mc, LINKS[LINKS.length - 1]);
        long t0 = System.nanoTime();
        int rounds = 0;
        try (DatasetPair data = new Experiment(base, out).loadData(MemoryAccount.root("data"))) {
            Plan plan = base.with(List.of("cuts=" + Arrays.toString(mc.cuts[0]))).plan(Algorithm.SPLIT);
            io.mpsl.scheduler.runtime.TrainingState state = null;
            while ((System.nanoTime() - t0) / 1e9 < seconds) {
                io.mpsl.scheduler.runtime.TrainingState[] next = new io.mpsl.scheduler.runtime.TrainingState[1];
                AdaptiveRun.runRound(Tuner.mixed(AdaptiveRun.roundPlan(plan, rounds, List.of()), MICRO_BATCHES[1]),
                        data.train(), data.test(), new LocalCluster.Options().evaluate(false), state, next, null);
                state = next[0];
                rounds++;
            }
        }
        if (Boolean.getBoolean("mpsl.tune.debug")) {
            out.printf(Locale.ROOT, "  JIT warm-up: %d rounds of %s in %.1f s%n", rounds, mc.model,
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * A plan's measured rounds as the grid keeps them: the kept attempt's run, its own timings (null where not
     * asked for) and end state, every attempt's host steal, which attempt was kept (0-based) and the first one's run.
     */
    record Measurement(RunResult run, LiveProfile own, io.mpsl.scheduler.runtime.TrainingState state,
            double[] attemptStealPct, int kept, RunResult first) {
        double stealPct() {
            return attemptStealPct[kept];
        }
    }

    /**
     * Runs {@code measuredPlan} (one cluster, its first round left out as the plan's rounds) from {@code from}, its
     * steps folded into {@code current} (when not null) and into a fresh profile of {@code sizes}' blocks (when not
     * null); where the host stole more than {@link HostSteal#NOISY_PCT} over it, waits for a quiet host and runs it
     * again from the same state, {@link HostSteal#ATTEMPTS} times at most, and keeps the attempt with the least
     * steal (whatever its time).
     */
    static Measurement measure(Plan measuredPlan, DatasetPair data, io.mpsl.scheduler.runtime.TrainingState from,
            LiveProfile current, List<BlockCost> sizes) throws InterruptedException {
        List<RunResult> runs = new ArrayList<>();
        List<LiveProfile> owns = new ArrayList<>();
        List<io.mpsl.scheduler.runtime.TrainingState> states = new ArrayList<>();
        double[] steal = new double[HostSteal.ATTEMPTS];
        int attempts = 0;
        do {
            if (attempts > 0) {
                HostSteal.awaitQuiet(HostSteal.WAIT_MAX_S);
            }
            LiveProfile own = sizes == null ? null : new LiveProfile(sizes);
            io.mpsl.scheduler.runtime.TrainingState[] out = new io.mpsl.scheduler.runtime.TrainingState[1];
            long[] ticks = LocalCluster.hostTicks();
            runs.add(AdaptiveRun.runRound(measuredPlan, data.train(), data.test(),
                    new LocalCluster.Options().evaluate(false).warmupRounds(1), from, out, null, current, own));
            steal[attempts] = LocalCluster.stealPct(ticks, LocalCluster.hostTicks());
            owns.add(own);
            states.add(out[0]);
        } while (HostSteal.noisy(steal[attempts++]) && attempts < HostSteal.ATTEMPTS);
        double[] tried = Arrays.copyOf(steal, attempts);
        int kept = HostSteal.quietest(tried);
        return new Measurement(runs.get(kept), owns.get(kept), states.get(kept), tried, kept, runs.get(0));
    }

    /** Rounds measured per plan (after its warm-up round, calibration round and its cluster's first round). */
    static final int MEASURED_ROUNDS = 5;

    /** The median of a run's round times, its first round left out. */
    static double medianRoundS(RunResult r) {
        List<Double> rs = r.roundS();
        double[] s = new double[rs.size() - 1];
        for (int i = 1; i < rs.size(); i++) {
            s[i - 1] = rs.get(i);
        }
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static Map<String, Object> least(List<Map<String, Object>> group, String key) {
        Map<String, Object> best = group.get(0);
        for (Map<String, Object> g : group) {
            if ((Double) g.get(key) < (Double) best.get(key)) {
                best = g;
            }
        }
        return best;
    }

    /**
     * What a live profile kept over rounds says, as the tuner would take it: its blocks, averaging rate, per-step
     * time and its runs' own competition (where not measured completely, the larger of it and {@code background},
     * probed); the copy rate and the links from {@code inRun}.
     */
    private static Tuner.Measurements measurements(LiveProfile live, Tuner.Measurements inRun, double background) {
        Profiler.Measured p = new Profiler.Measured(live.blocks(), inRun.profile().copyBytesPerS(),
                live.averageBytesPerS() > 0 ? live.averageBytesPerS() : inRun.profile().averageBytesPerS(),
                Tuner.background(live, background), 0, live.ownerPassS(), live.hopPassS());
        return new Tuner.Measurements(p, inRun.links(), 0);
    }

    private static Tuner.Measurements withBackground(Tuner.Measurements m, double background) {
        Profiler.Measured p = m.profile();
        return new Tuner.Measurements(new Profiler.Measured(p.blocks(), p.copyBytesPerS(), p.averageBytesPerS(),
                background, p.seconds(), p.ownerPassS(), p.hopPassS()), m.links(), m.probeS());
    }

    private static double predict(PlanConfig pc, Plan plan, Tuner.Measurements meas, int iterations, int[] cuts,
            int m) {
        TuningProblem problem = Tuner.problem(pc, plan, meas, iterations, Runtime.getRuntime().availableProcessors(),
                null, 1.0);
        return new PlanSearch(problem).evaluate(1, cuts, m).predictedIterationS();
    }

    /**
     * The prediction after one round of live profile: each owner's and the hops' compute scaled by their busy
     * time in {@code round} over the predicted busy time (what {@link AdaptiveRun} does between rounds).
     */
    private static double calibrate(PlanConfig pc, Plan plan, Tuner.Measurements meas, int iterations,
            PlanSearch search, Candidate cand, RunResult round) {
        Map<String, Double> predicted = search.busyPerIteration(cand);
        int its = Math.max(1, round.iterations());
        double[] owner = new double[plan.owners().size()];
        Arrays.fill(owner, 1.0);
        double hopPred = 0;
        double hopMeas = 0;
        for (RunResult.Resource r : round.resources()) {
            Double p = predicted.get(r.name());
            if (p == null || p <= 0) {
                continue;
            }
            if (r.name().startsWith("owner") && !r.name().contains(".")) {
                owner[Integer.parseInt(r.name().substring(5))] = r.busyS() / its / p;
            } else if (r.name().startsWith("hop") && !r.name().contains("-")) {
                hopPred += p;
                hopMeas += r.busyS() / its;
            }
        }
        double hop = hopPred > 0 && hopMeas > 0 ? hopMeas / hopPred : 1.0;
        TuningProblem live = Tuner.problem(pc, plan, meas, iterations, Runtime.getRuntime().availableProcessors(),
                owner, hop);
        return new PlanSearch(live).evaluate(cand.hops(), cand.cuts(), cand.microBatches()).predictedIterationS();
    }

    static PlanConfig config(ModelCase mc, double[] link) {
        String yaml = "name: tune-grid\nmodel: " + mc.model + "\ndataset: synthetic\nsynthetic_shape: " + mc.shape
                + "\nsynthetic_samples: 512\nalgorithm: split\nmode: vanilla\nhops: 1\ncuts: [1]\nschedule: 1f1b\n"
                + "owners: 2\nbatch: " + mc.batch + "\nmicro_batches: 1\nslowdown: 2\nuplink_mbit: " + link[0]
                + "\ndownlink_mbit: " + link[1] + "\nrounds: 3\nlocal_iterations: " + mc.iterations
                + "\nlr: 0.01\nmax_in_flight: 4\n";
        return PlanConfig.parse(yaml, "tune-grid", List.of());
    }
}
