package io.mpsl.launcher;

import io.mpsl.scheduler.RoleProcess;
import io.mpsl.scheduler.config.PlanConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code mpsl node CONFIG.yaml --role NAME [--set key=value ...] [--out DIR]}: one role of a config in this
 * process, over Aeron UDP to the other roles' processes (process mode, one process per host on a cluster).
 */
final class NodeCommand {
    static final String USAGE = "node CONFIG.yaml --role NAME [--set key=value ...] [--out DIR]";

    private NodeCommand() {
    }

    static int run(String[] args) throws Exception {
        ConfigArgs a = ConfigArgs.parse(args, Map.of("--out", "a directory", "--role",
                "a name: coordinator, owner0.., hop1.."), "configs/mpsl-multihop.yaml");
        Path out = a.path("--out");
        String role = a.options().get("--role");
        if (role == null) {
            throw new UsageException("which role? --role coordinator, owner0.., hop1..");
        }
        PlanConfig pc = PlanConfig.load(a.config(), a.sets());
        if (out == null) {
            out = Path.of("results", pc.string("name"));
        }
        new RoleProcess(pc, role, System.out).run(out);
        return 0;
    }
}
