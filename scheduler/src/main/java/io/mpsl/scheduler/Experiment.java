package io.mpsl.scheduler;

import io.mpsl.nn.data.DataDirs;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.DatasetPair;
import io.mpsl.nn.data.Datasets;
import io.mpsl.nn.data.SyntheticDataset;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.RunResult;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a configuration in local mode (every role in this JVM): the configured algorithm, then each
 * configured baseline of the same setting, and writes {@code results.json}, {@code results.csv} and
 * {@code timeline.json} (Chrome trace format) into the output directory.
 */
public final class Experiment {
    private final PlanConfig config;
    private final PrintStream out;

    public Experiment(PlanConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    /** Loads the configured dataset (train and test). */
    public DatasetPair loadData(MemoryAccount account) throws IOException {
        String name = config.string("dataset");
        if (name.equals("synthetic")) {
            Object shape = config.raw("synthetic_shape");
            int[] dims = new int[3];
            if (!(shape instanceof List<?> l) || l.size() != 3) {
                throw new IllegalArgumentException("synthetic_shape must be [C, H, W], got " + shape);
            }
            for (int i = 0; i < 3; i++) {
                dims[i] = ((Number) l.get(i)).intValue();
            }
            int n = Math.toIntExact(config.integer("synthetic_samples"));
            long seed = config.integer("seed");
            return new DatasetPair(SyntheticDataset.create("synthetic", Shape.of(dims), 10, n, seed, account),
                    SyntheticDataset.create("synthetic-test", Shape.of(dims), 10, Math.max(n / 4, 1), seed, account));
        }
        String dir = config.string("data_dir");
        Path base;
        if (dir != null) {
            base = Path.of(dir);
        } else {
            DataDirs.Search s = DataDirs.search();
            if (s.found() == null) {
                throw new IllegalArgumentException("no data directory found (" + s.describe() + "); set data_dir or run"
                        + " ./mpsl data fetch " + name + " --dir DIR");
            }
            base = s.found();
        }
        return Datasets.load(name, base, account);
    }

    /** The algorithms this config runs: the configured one, then its baselines. */
    public List<Algorithm> algorithms() {
        List<Algorithm> list = new ArrayList<>();
        list.add(config.algorithm());
        for (String b : config.strings("baselines")) {
            Algorithm a = switch (b.toLowerCase(Locale.ROOT)) {
                case "fedavg", "fl" -> Algorithm.FEDAVG;
                case "sequential-sl", "sl" -> Algorithm.SEQUENTIAL_SL;
                case "split" -> Algorithm.SPLIT;
                default -> throw new IllegalArgumentException("unknown baseline '" + b + "'; use fedavg or sequential-sl");
            };
            if (!list.contains(a)) {
                list.add(a);
            }
        }
        return list;
    }

    /** Runs every algorithm, writes the results, returns them (first: the configured algorithm). */
    public List<RunResult> run(Path outDir) throws Exception {
        if (io.mpsl.scheduler.tune.AdaptiveRun.wanted(config)) {
            io.mpsl.scheduler.tune.AdaptiveRun.run(config, this, outDir, out); // round by round, writes results.json
            return List.of();
        }
        Files.createDirectories(outDir);
        MemoryAccount dataAccount = MemoryAccount.root("data");
        List<RunResult> results = new ArrayList<>();
        Map<String, Object> tuned = null;
        try (DatasetPair data = loadData(dataAccount)) {
            PlanConfig config = this.config;
            PlanConfig splitConfig = config; // the configured algorithm's; the baselines keep the config as given
            io.mpsl.scheduler.runtime.TrainingState start = null;
            if (io.mpsl.scheduler.tune.Tuner.liveWanted(config)) {
                // the first round runs with a plan from sizes alone; the tuner profiles after it and chooses the rest
                io.mpsl.scheduler.tune.Tuner.LiveStart ls = io.mpsl.scheduler.tune.Tuner.startLive(config, data.train(),
                        data.test(), new LocalCluster.Options()
                                .ownerThreads(Math.toIntExact(config.integer("owner_threads")))
                                .hopThreads(Math.toIntExact(config.integer("hop_threads")))
                                .deployment(config.deployment(null)), 3);
                splitConfig = ls.rest();
                config = config.with(ls.choice().overrides());
                start = ls.state();
                tuned = ls.toJsonMap();
                out.printf(Locale.ROOT, "== autotuner: round 1 ran %s (%.4f s per iteration); then %s (predicted"
                        + " iteration %.4f s; estimate %.3f s, profiling %.2f s, search %.3f s)%n", ls.initial(),
                        ls.firstRound().iterationS(), ls.choice().best(), ls.choice().best().predictedIterationS(),
                        ls.estimateS(), ls.choice().profileS(), ls.choice().searchS());
            } else if (io.mpsl.scheduler.tune.Tuner.wanted(config)) {
                io.mpsl.scheduler.tune.Tuner.Choice c = io.mpsl.scheduler.tune.Tuner.tune(config,
                        data.train().sampleShape(), data.train().classes(), data.train().size(), 3);
                config = config.with(c.overrides());
                splitConfig = config;
                tuned = c.toJsonMap();
                out.printf(Locale.ROOT, "== autotuner: %s (predicted iteration %.4f s; profiling %.2f s, search %.3f s)%n",
                        c.best(), c.best().predictedIterationS(), c.profileS(), c.searchS());
            }
            for (Algorithm a : algorithms()) {
                PlanConfig ac = results.isEmpty() ? splitConfig : config;
                Plan plan = ac.plan(a);
                out.println("== " + label(a, plan) + ": " + plan.owners().size() + " owner(s), " + plan.rounds()
                        + " round(s), model " + plan.model() + " on " + data.train().name());
                LocalCluster.Options opts = new LocalCluster.Options()
                        .ownerThreads(Math.toIntExact(config.integer("owner_threads")))
                        .hopThreads(Math.toIntExact(config.integer("hop_threads")))
                        .keepTimeline(results.isEmpty())
                        .warmupRounds(Math.toIntExact(ac.integer("warmup_rounds")))
                        .deployment(config.deployment(null))
                        .listener((r, acc, loss, s) -> out.printf(Locale.ROOT,
                                "  round %d/%d  loss %.4f  test accuracy %.4f  %.2f s%n", r + 1, plan.rounds(), loss, acc,
                                s));
                try (LocalCluster cluster = new LocalCluster(plan, data.train(), data.test(), opts)) {
                    if (results.isEmpty() && start != null) {
                        cluster.importState(start);
                    }
                    RunResult r = cluster.run();
                    results.add(r);
                    if (results.size() == 1) {
                        cluster.writeTimeline(outDir.resolve("timeline.json"));
                    }
                    out.printf(Locale.ROOT, "  iteration %.4f s (lower bound %.4f s), %.1f samples/s, accuracy %.4f%n",
                            r.iterationS(), r.lowerBoundS(), r.samplesPerS(), r.finalAccuracy());
                }
            }
        }
        if (tuned != null) {
            tuned.put("measured_iteration_s", results.get(0).iterationS());
            tuned.put("prediction_error_pct", 100 * ((Double) tuned.get("predicted_iteration_s")
                    / results.get(0).iterationS() - 1));
            double roundS = 0; // a one-round run: the mean of the run's rounds
            for (double r : results.get(0).roundS()) {
                roundS += r / results.get(0).roundS().size();
            }
            tuned.put("tune_share_of_round_pct", 100 * (Double) tuned.get("tune_s") / roundS);
            out.printf(Locale.ROOT, "autotuner: predicted %.4f s, measured %.4f s per iteration (%+.1f%%)%n",
                    (Double) tuned.get("predicted_iteration_s"), results.get(0).iterationS(),
                    (Double) tuned.get("prediction_error_pct"));
        }
        write(outDir, results, tuned);
        summarize(results);
        out.println("results in " + outDir.toAbsolutePath());
        return results;
    }

    /** A table of every run, the speedups, and the first run's memory per node. */
    private void summarize(List<RunResult> results) {
        out.println();
        out.printf(Locale.ROOT, "%-16s %10s %14s %12s %12s%n", "run", "accuracy", "samples/s", "iteration s",
                "speedup");
        RunResult main = results.get(0);
        for (RunResult r : results) {
            out.printf(Locale.ROOT, "%-16s %10.4f %14.1f %12.4f %11.2fx%n", r.mode(), r.finalAccuracy(), r.samplesPerS(),
                    r.iterationS(), r.iterationS() / main.iterationS());
        }
        for (int i = 1; i < results.size(); i++) {
            RunResult b = results.get(i);
            out.printf(Locale.ROOT, "%s is %.2fx faster than %s (iteration %.4f s vs %.4f s)%n", main.mode(),
                    b.iterationS() / main.iterationS(), b.mode(), main.iterationS(), b.iterationS());
        }
        out.println();
        out.println("memory per node (" + main.mode() + "):");
        out.printf(Locale.ROOT, "  %-12s %12s %12s %12s %12s%n", "node", "peak MiB", "params MiB", "optim MiB",
                "activ. MiB");
        for (RunResult.Node n : main.nodes()) {
            out.printf(Locale.ROOT, "  %-12s %12.2f %12.2f %12.2f %12.2f%n", n.name(), n.peakBytes() / 1048576.0,
                    n.parameterBytes() / 1048576.0, n.optimizerBytes() / 1048576.0,
                    n.activationPeakBytes() / 1048576.0);
        }
    }

    private static String label(Algorithm a, Plan p) {
        return switch (a) {
            case FEDAVG -> "federated averaging";
            case SEQUENTIAL_SL -> "sequential split learning";
            case SPLIT -> p.hops() + "-hop " + (p.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'))
                    + " parallel split learning, schedule " + p.schedule().name().toLowerCase(Locale.ROOT)
                    + ", micro-batches " + p.owners().get(0).microBatches();
        };
    }

    /** results.json (the first run, with each baseline under "baselines") and results.csv. */
    static void write(Path outDir, List<RunResult> results) throws IOException {
        write(outDir, results, null);
    }

    /** As {@link #write(Path, List)}, with the autotuner's choice and prediction (if any) under "tuner". */
    static void write(Path outDir, List<RunResult> results, Map<String, Object> tuned) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>(results.get(0).toJsonMap());
        if (tuned != null) {
            json.put("tuner", tuned);
        }
        List<Object> baselines = new ArrayList<>();
        for (int i = 1; i < results.size(); i++) {
            Map<String, Object> b = new LinkedHashMap<>(results.get(i).toJsonMap());
            b.put("speedup_of_main", results.get(i).iterationS() / results.get(0).iterationS());
            baselines.add(b);
        }
        json.put("baselines", baselines);
        writeAtomically(outDir.resolve("results.json"), Json.writePretty(json) + "\n");
        StringBuilder csv = new StringBuilder(
                "mode,iterations,iteration_s,lower_bound_s,samples_per_s,test_accuracy,resource,busy_s,idle_s\n");
        for (RunResult r : results) {
            for (RunResult.Resource res : r.resources()) {
                csv.append(String.format(Locale.ROOT, "%s,%d,%.6f,%.6f,%.3f,%.5f,%s,%.6f,%.6f%n", r.mode(),
                        r.iterations(), r.iterationS(), r.lowerBoundS(), r.samplesPerS(), r.finalAccuracy(), res.name(),
                        res.busyS(), res.idleS()));
            }
        }
        writeAtomically(outDir.resolve("results.csv"), csv.toString());
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp)) {
            w.write(text);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
