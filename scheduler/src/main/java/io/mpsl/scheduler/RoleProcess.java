package io.mpsl.scheduler;

import io.mpsl.nn.data.DatasetPair;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.Deployment;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.RunResult;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Process mode: one role of a config in this process, talking to the other roles' processes over Aeron UDP
 * at the endpoints the config names ({@code nodes}, or the default ports from {@code base_port}). Every
 * process loads the same data and builds the same plan, so the run is the one local mode would make. At the
 * end it writes {@code <role>.safetensors} (its final parameters by name) and {@code <role>.json} (what it
 * measured); the coordinator also writes {@code results.json} and {@code results.csv}. Test accuracy is
 * evaluated by the coordinator's process after every round: the hops send it their averaged copies (over a link
 * of the hops' rate), and it has the owners' average.
 */
public final class RoleProcess {
    private final PlanConfig config;
    private final String role;
    private final PrintStream out;

    public RoleProcess(PlanConfig config, String role, PrintStream out) {
        this.config = config;
        this.role = role;
        this.out = out;
    }

    /** Runs the role to the end of the run and writes its files into {@code outDir}. */
    public RunResult run(Path outDir) throws IOException, InterruptedException {
        Plan plan = config.plan(config.algorithm());
        List<String> roles = LocalCluster.roles(plan);
        if (!roles.contains(role)) {
            throw new IllegalArgumentException("unknown role '" + role + "'; the roles of this config are " + roles);
        }
        Deployment deployment = config.deployment(List.of(role));
        if (config.integer("session_token") == 0) {
            deployment.sessionToken(config.derivedSessionToken());
        }
        Files.createDirectories(outDir);
        MemoryAccount dataAccount = MemoryAccount.root("data");
        try (DatasetPair data = new Experiment(config, out).loadData(dataAccount)) {
            LocalCluster.Options opts = new LocalCluster.Options()
                    .ownerThreads(Math.toIntExact(config.integer("owner_threads")))
                    .hopThreads(Math.toIntExact(config.integer("hop_threads")))
                    .warmupRounds(Math.toIntExact(config.integer("warmup_rounds")))
                    .keepTimeline(true)
                    .evaluate(true)
                    .deployment(deployment)
                    .listener((r, acc, loss, s) -> out.printf(Locale.ROOT, "%s: round %d/%d  %.2f s%s%n", role, r + 1,
                            plan.rounds(), s, (Double.isNaN(loss) ? "" : String.format(Locale.ROOT, "  loss %.4f", loss))
                            + (Double.isNaN(acc) ? "" : String.format(Locale.ROOT, "  test accuracy %.4f", acc))));
            out.println(role + ": waiting for the peers of " + roles.size() + " roles (" + plan.owners().size()
                    + " owner(s), " + plan.rounds() + " round(s), model " + plan.model() + ")");
            try (LocalCluster cluster = new LocalCluster(plan, data.train(), data.test(), opts)) {
                RunResult r = cluster.run();
                cluster.writeParameters(outDir);
                cluster.writeTimeline(outDir.resolve(role + ".timeline.json"));
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("role", role);
                json.putAll(r.toJsonMap());
                Files.writeString(outDir.resolve(role + ".json"), Json.writePretty(json) + "\n");
                if (role.equals("coordinator")) {
                    Experiment.write(outDir, List.of(r));
                }
                out.printf(Locale.ROOT, "%s: done, iteration %.4f s, %.1f samples/s; files in %s%n", role, r.iterationS(),
                        r.samplesPerS(), outDir.toAbsolutePath());
                return r;
            }
        }
    }
}
