package io.mpsl.launcher;

import io.mpsl.nn.data.DatasetPair;
import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.tune.Candidate;
import io.mpsl.scheduler.tune.Tuner;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * {@code mpsl tune CONFIG [--set key=value ...] [--json FILE]}: profiles the model and the links in one round of
 * training (at most 32 iterations, its state discarded; see {@link Tuner#tuneLive}), then prints the plan the
 * autotuner chooses for the configuration's rounds (cut points and micro-batches; both are searched whatever the
 * config says, within tune_max_hops, tune_micro_batches and memory_cap_mb), its predicted iteration time and
 * memory per compute node, and the next best alternatives.
 */
final class TuneCommand {
    static final String USAGE = "tune CONFIG.yaml [--set key=value ...] [--json FILE]";

    private TuneCommand() {
    }

    static int run(String[] args) throws Exception {
        ConfigArgs parsed = ConfigArgs.parse(args, Map.of("--json", "a file"), "configs/pipar-vgg5.yaml");
        Path json = parsed.path("--json");
        List<String> all = new ArrayList<>(List.of("cuts=auto", "micro_batches=auto"));
        all.addAll(parsed.sets());
        PlanConfig pc = PlanConfig.load(parsed.config(), all);
        Tuner.LiveStart ls;
        try (DatasetPair data = new Experiment(pc, System.out).loadData(MemoryAccount.root("data"))) {
            ls = Tuner.tuneLive(pc, data.train(), data.test(), new LocalCluster.Options(), 4);
        }
        Tuner.Choice c = ls.choice();
        System.out.printf(Locale.ROOT, "profiled in a round of training: %s for %d iterations, %.2f s (state discarded)%n",
                ls.initial(), ls.firstRound().iterations(), ls.firstRound().wallS());
        Candidate b = c.best();
        System.out.printf(Locale.ROOT, "chosen plan: %d hop(s), cuts %s, %d micro-batches%n", b.hops(),
                java.util.Arrays.toString(b.cuts()), b.microBatches());
        System.out.printf(Locale.ROOT, "predicted iteration: %.4f s (lower bound %.4f s)%n", b.predictedIterationS(),
                b.lowerBoundS());
        long[] mem = b.nodeMemoryBytes();
        for (int h = 0; h < mem.length; h++) {
            System.out.printf(Locale.ROOT, "  hop%d memory: %.2f MiB%s%n", h + 1, mem[h] / 1048576.0,
                    c.problem().memoryCapBytes() > 0
                            ? String.format(Locale.ROOT, " (cap %.2f MiB)", c.problem().memoryCapBytes() / 1048576.0)
                            : "");
        }
        System.out.println("next best:");
        for (Candidate a : c.alternatives()) {
            System.out.printf(Locale.ROOT, "  %d hop(s), cuts %-12s %2d micro-batches: %.4f s (%+.1f%%), max node %.2f MiB%n",
                    a.hops(), java.util.Arrays.toString(a.cuts()), a.microBatches(), a.predictedIterationS(),
                    100 * (a.predictedIterationS() / b.predictedIterationS() - 1), a.maxNodeMemoryBytes() / 1048576.0);
        }
        System.out.printf(Locale.ROOT, "%d candidates (%d over the memory cap), %d simulated on %d cores; profiling %.3f s,"
                + " search %.3f s%n", c.candidates(), c.overMemory(), c.simulated(), c.problem().runtime().cores(),
                c.profileS(), c.searchS());
        if (json != null) {
            Map<String, Object> m = c.toJsonMap();
            m.put("profile_round_plan", ls.initial().toString());
            m.put("profile_round_iterations", ls.firstRound().iterations());
            m.put("profile_round_wall_s", ls.firstRound().wallS());
            Files.writeString(json, Json.writePretty(m) + "\n");
            System.out.println("wrote " + json);
        }
        return 0;
    }
}
