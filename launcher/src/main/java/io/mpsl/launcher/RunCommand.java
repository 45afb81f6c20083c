package io.mpsl.launcher;

import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import java.nio.file.Path;
import java.util.Map;

/** {@code mpsl run CONFIG.yaml [--set key=value ...] [--out DIR]}: every role in this JVM. */
final class RunCommand {
    static final String USAGE = "run CONFIG.yaml [--set key=value ...] [--out DIR]";

    private RunCommand() {
    }

    static int run(String[] args) throws Exception {
        ConfigArgs a = ConfigArgs.parse(args, Map.of("--out", "a directory"), "configs/pipar-vgg5.yaml");
        Path out = a.path("--out");
        PlanConfig pc = PlanConfig.load(a.config(), a.sets());
        if (out == null) {
            out = Path.of("results", pc.string("name"));
        }
        new Experiment(pc, System.out).run(out);
        return 0;
    }
}
