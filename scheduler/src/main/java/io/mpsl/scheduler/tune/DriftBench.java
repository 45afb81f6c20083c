package io.mpsl.scheduler.tune;

import io.mpsl.nn.data.DatasetPair;
import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.RunResult;
import io.mpsl.tensor.MemoryAccount;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code mpsl bench tune-drift [--out DIR]}: one owner's uplink drops from 25 to 5 Mbit/s mid-run. VGG-5 on
 * synthetic 1x28x28 data, vanilla one hop, two owners 2x slower than the compute node, cuts and micro-batches
 * auto, re-planning on. Then, with the new rates, the plans a static tuner would consider (its best three
 * for the new rate, and the plan from before the drop) run on their own; the adaptive run's rounds after it
 * re-planned are compared with the best of them.
 */
public final class DriftBench {
    public static final String USAGE = "tune-drift [--out DIR]";
    static final int CHANGE_ROUND = 2;
    static final int ROUNDS = 6;

    private static final String COMMON = """
            model: vgg5
            dataset: synthetic
            synthetic_shape: [1, 28, 28]
            synthetic_samples: 512
            algorithm: split
            mode: vanilla
            hops: 1
            cuts: auto
            micro_batches: auto
            tune_micro_batches: [1, 2, 4, 8]
            schedule: 1f1b
            owners: 2
            batch: 16
            slowdown: 2
            uplink_mbit: 25
            downlink_mbit: 25
            local_iterations: 3
            lr: 0.01
            max_in_flight: 8
            """;

    private DriftBench() {
    }

    static PlanConfig adaptive() {
        return PlanConfig.parse("name: tune-drift\n" + COMMON + "rounds: " + ROUNDS + "\nreplan: true\n"
                + "link_changes:\n  - round: " + CHANGE_ROUND + "\n    owner: 0\n    uplink_mbit: 5\n", "tune-drift",
                List.of());
    }

    static PlanConfig staticAtNewRate() {
        return PlanConfig.parse("name: tune-drift-static\n" + COMMON + "rounds: 2\nwarmup_rounds: 1\n"
                + "owner_overrides:\n  - uplink_mbit: 5\n", "tune-drift-static", List.of());
    }

    public static int run(String[] args) throws Exception {
        Path out = Path.of("results", "tune-drift");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--out")) {
                out = Path.of(args[++i]);
            } else {
                throw new IllegalArgumentException("unknown option '" + args[i] + "'; usage: " + USAGE);
            }
        }
        PrintStream ps = System.out;
        PlanConfig config = adaptive();
        Experiment experiment = new Experiment(config, ps);
        List<AdaptiveRun.Round> rounds = AdaptiveRun.run(config, experiment, out, ps);
        int replannedAfter = -1;
        for (AdaptiveRun.Round r : rounds) {
            if (r.replannedAfter() && r.round() >= CHANGE_ROUND && replannedAfter < 0) {
                replannedAfter = r.round();
            }
        }
        AdaptiveRun.Round before = rounds.get(CHANGE_ROUND - 1);
        double after = 0;
        int n = 0;
        for (AdaptiveRun.Round r : rounds) {
            if (replannedAfter >= 0 && r.round() > replannedAfter) {
                after += r.measuredIterationS();
                n++;
            }
        }
        after = n == 0 ? Double.NaN : after / n;
        PlanConfig staticBase = staticAtNewRate();
        List<int[]> plans = new ArrayList<>();
        plans.add(new int[] {before.cuts()[0], before.microBatches()});
        try (DatasetPair data = experiment.loadData(MemoryAccount.root("data"))) {
            Tuner.Choice c = Tuner.tune(staticBase, data.train().sampleShape(), data.train().classes(),
                    data.train().size(), 2);
            plans.add(new int[] {c.best().cuts()[0], c.best().microBatches()});
            for (Candidate a : c.alternatives()) {
                plans.add(new int[] {a.cuts()[0], a.microBatches()});
            }
            double best = Double.POSITIVE_INFINITY;
            String bestName = "";
            List<String> seen = new ArrayList<>();
            for (int[] p : plans) {
                String name = "cuts [" + p[0] + "], " + p[1] + " micro-batches";
                if (seen.contains(name)) {
                    continue;
                }
                seen.add(name);
                Plan plan = staticBase.with(List.of("cuts=[" + p[0] + "]", "micro_batches=" + p[1]))
                        .plan(Algorithm.SPLIT);
                RunResult r;
                try (LocalCluster cl = new LocalCluster(plan, data.train(), data.test(),
                        new LocalCluster.Options().evaluate(false).warmupRounds(1))) {
                    r = cl.run();
                }
                ps.printf(Locale.ROOT, "  static at 5 Mbit/s, %s: iteration %.4f s%n", name, r.iterationS());
                if (r.iterationS() < best) {
                    best = r.iterationS();
                    bestName = name;
                }
            }
            AdaptiveRun.Round last = rounds.get(rounds.size() - 1);
            ps.printf(Locale.ROOT, "owner0's uplink 25 -> 5 Mbit/s from round %d: re-planned after round %s; rounds after"
                    + " it: %.4f s per iteration (last plan %s m=%d); best static plan for 5 Mbit/s: %s, %.4f s:"
                    + " adaptive %+.1f%%%n", CHANGE_ROUND + 1, replannedAfter < 0 ? "never" : "" + (replannedAfter + 1),
                    after, Arrays.toString(last.cuts()), last.microBatches(), bestName, best, 100 * (after / best - 1));
        }
        return 0;
    }
}
