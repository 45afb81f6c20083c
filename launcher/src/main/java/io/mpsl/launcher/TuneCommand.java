package io.mpsl.launcher;

import io.mpsl.nn.data.DatasetPair;
import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
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
 * {@code mpsl tune CONFIG [--set key=value ...] [--json FILE]}: profiles the model and probes the links
 * briefly, then prints the plan the autotuner chooses (cut points and micro-batches; both are searched
 * whatever the config says, within tune_max_hops, tune_micro_batches and memory_cap_mb), its predicted
 * iteration time and memory per compute node, and the next best alternatives.
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
        Tuner.Choice c;
        try (DatasetPair data = new Experiment(pc, System.out).loadData(MemoryAccount.root("data"))) {
            c = Tuner.tune(pc, data.train().sampleShape(), data.train().classes(), data.train().size(), 4);
        }
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
            Files.writeString(json, Json.writePretty(c.toJsonMap()) + "\n");
            System.out.println("wrote " + json);
        }
        return 0;
    }
}
