package io.mpsl.launcher;

import io.mpsl.scheduler.RoleProcess;
import io.mpsl.scheduler.config.PlanConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mpsl node CONFIG.yaml --role NAME [--set key=value ...] [--out DIR]}: one role of a config in this
 * process, over Aeron UDP to the other roles' processes (process mode, one process per host on a cluster).
 */
final class NodeCommand {
    static final String USAGE = "node CONFIG.yaml --role NAME [--set key=value ...] [--out DIR]";

    private NodeCommand() {
    }

    static int run(String[] args) throws Exception {
        Path config = null;
        Path out = null;
        String role = null;
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
                case "--role" -> {
                    if (++i >= args.length) {
                        throw new UsageException("--role needs a name: coordinator, owner0.., hop1..");
                    }
                    role = args[i];
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
            throw new UsageException("which config? e.g. configs/mpsl-multihop.yaml");
        }
        if (role == null) {
            throw new UsageException("which role? --role coordinator, owner0.., hop1..");
        }
        PlanConfig pc = PlanConfig.load(config, sets);
        if (out == null) {
            out = Path.of("results", pc.string("name"));
        }
        new RoleProcess(pc, role, System.out).run(out);
        return 0;
    }
}
