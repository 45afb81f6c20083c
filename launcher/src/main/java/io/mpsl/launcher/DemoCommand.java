package io.mpsl.launcher;

import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mpsl demo [--set key=value ...] [--out DIR]}: the built-in demo config (MNIST, 4 owners, U-shaped,
 * 2 hops, pipelined), then federated averaging and sequential split learning of the same budget.
 */
final class DemoCommand {
    static final String USAGE = "demo [--set key=value ...] [--out DIR]";

    private DemoCommand() {
    }

    static String config() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("demo.yaml")) {
            if (in == null) {
                throw new IOException("demo.yaml is missing from the launcher's resources; rebuild with ./mpsl");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static int run(String[] args) throws Exception {
        List<String> sets = new ArrayList<>();
        Path out = Path.of("results", "demo");
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--set") && i + 1 < args.length) {
                sets.add(args[++i]);
            } else if (args[i].equals("--out") && i + 1 < args.length) {
                out = Path.of(args[++i]);
            } else {
                throw new UsageException("unexpected argument '" + args[i] + "'");
            }
        }
        PlanConfig pc = PlanConfig.parse(config(), "demo.yaml (built in)", sets);
        new Experiment(pc, System.out).run(out);
        return 0;
    }
}
