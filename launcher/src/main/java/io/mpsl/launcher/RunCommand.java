package io.mpsl.launcher;

import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code mpsl run CONFIG.yaml [--set key=value ...] [--out DIR]}: every role in this JVM. */
final class RunCommand {
    static final String USAGE = "run CONFIG.yaml [--set key=value ...] [--out DIR]";

    private RunCommand() {
    }

    static int run(String[] args) throws Exception {
        Path config = null;
        Path out = null;
        List<String> sets = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--set" -> {
                    if (++i >= args.length) {
                        throw new UsageException("--set needs key=value");
                    }
                    sets.add(args[i]);
                }
                case "--out" -> {
                    if (++i >= args.length) {
                        throw new UsageException("--out needs a directory");
                    }
                    out = Path.of(args[i]);
                }
                default -> {
                    if (args[i].startsWith("--") || config != null) {
                        throw new UsageException("unexpected argument '" + args[i] + "'");
                    }
                    config = Path.of(args[i]);
                }
            }
        }
        if (config == null) {
            throw new UsageException("which config? e.g. configs/pipar-vgg5.yaml");
        }
        PlanConfig pc = PlanConfig.load(config, sets);
        if (out == null) {
            out = Path.of("results", pc.string("name"));
        }
        new Experiment(pc, System.out).run(out);
        return 0;
    }
}
