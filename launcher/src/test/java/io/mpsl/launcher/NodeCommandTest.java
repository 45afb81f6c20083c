package io.mpsl.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.nn.data.DatasetPair;
import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.RunAbortedException;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import io.mpsl.tensor.json.Json;
import io.mpsl.tensor.io.Safetensors;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Process mode: every role of a config in its own OS process ({@code mpsl node}), over Aeron UDP on
 * 127.0.0.1, computes the weights local mode computes; a peer that dies is named by every survivor.
 */
class NodeCommandTest {
    /** Longest a child may take; only a guard so a broken run cannot hang the suite. */
    private static final long CHILD_GUARD_S = 300;

    /** 3 owners, 2 hops, vanilla (labels travel to hop2), 2 rounds of 3 micro-batched iterations. */
    private static String config(int basePort, long token, String extra) {
        return String.join("\n",
                "name: process-mode-test",
                "model: mlp",
                "dataset: synthetic",
                "synthetic_shape: [1, 8, 8]",
                "synthetic_samples: 240",
                "algorithm: split",
                "mode: vanilla",
                "hops: 2",
                "cuts: [1, 2]",
                "schedule: 1f1b",
                "owners: 3",
                "batch: 8",
                "micro_batches: 2",
                "rounds: 2",
                "local_iterations: 3",
                "lr: 0.05",
                "momentum: 0.9",
                "seed: 3",
                "base_port: " + basePort,
                "session_token: " + token,
                "connect_timeout_s: 90",
                extra,
                "");
    }

    /** A base port with {@code n} free UDP ports after it on 127.0.0.1. */
    private static int freeBasePort(int n) throws IOException {
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            boolean free = true;
            for (int i = 0; i < n && free; i++) {
                try (DatagramSocket s = new DatagramSocket(base + i, lo)) {
                    free = s.getLocalPort() == base + i;
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no " + n + " consecutive free UDP ports found");
    }

    private static long token() {
        long t = 0;
        while (t == 0) {
            t = new SecureRandom().nextLong();
        }
        return t;
    }

    /** {@code java} with this JVM's flags (surefire's argLine, a smaller heap) and the test class path. */
    private static Process start(Path config, String role, Path out, Path log) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-Xmx") && !a.startsWith("-agentlib") && !a.startsWith("-javaagent") && !a.endsWith("GC")) {
                cmd.add(a);
            }
        }
        // small children: one GC thread, the quick compiler only (six JVMs start at once on a small machine)
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of("node", config.toString(), "--role", role, "--out", out.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private static String logs(Path dir, List<String> roles) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String r : roles) {
            sb.append("--- ").append(r).append('\n').append(read(dir.resolve(r + ".log")));
        }
        return sb.toString();
    }

    private static Map<String, float[]> load(Path file) throws IOException {
        Map<String, float[]> m = new LinkedHashMap<>();
        try (TensorArena arena = new TensorArena(MemoryAccount.root("load"))) {
            for (Map.Entry<String, Tensor> e : Safetensors.read(file, arena).tensors().entrySet()) {
                m.put(e.getKey(), e.getValue().toFloatArray());
            }
        }
        return m;
    }

    /** ||a - b|| / ||a|| over every tensor of the same names. */
    private static double relativeDifference(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double diff = 0;
        double norm = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            assertEquals(x.length, y.length, k);
            for (int i = 0; i < x.length; i++) {
                double d = x[i] - y[i];
                diff += d * d;
                norm += (double) x[i] * x[i];
            }
        }
        return Math.sqrt(diff / norm);
    }

    @Test
    void shouldTrainTheWeightsOfLocalModeWithSixProcessesOverUdp(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("proc.yaml");
        // a generous peer timeout: six JVMs on a busy 2-core machine can stall each other for seconds
        Files.writeString(config, config(freeBasePort(6), token(), "peer_timeout_s: 10"));
        PlanConfig pc = PlanConfig.load(config, List.of());
        List<String> roles = LocalCluster.roles(pc.plan(pc.algorithm()));
        assertEquals(List.of("coordinator", "owner0", "owner1", "owner2", "hop1", "hop2"), roles);

        // local mode, emulated links, in this JVM
        Path local = dir.resolve("local");
        List<Double> localAccuracy;
        try (DatasetPair data = new Experiment(pc, new PrintStream(PrintStream.nullOutputStream()))
                .loadData(MemoryAccount.root("data"));
                LocalCluster c = new LocalCluster(pc.plan(pc.algorithm()), data.train(), data.test(),
                        new LocalCluster.Options().evaluate(true))) {
            localAccuracy = c.run().testAccuracy();
            c.writeParameters(local);
        }

        // process mode: one OS process per role
        Path procs = dir.resolve("procs");
        Map<String, Process> running = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try {
            for (String r : roles) {
                running.put(r, start(config, r, procs, dir.resolve(r + ".log")));
            }
            for (Map.Entry<String, Process> e : running.entrySet()) {
                boolean ended = e.getValue().waitFor(CHILD_GUARD_S, TimeUnit.SECONDS);
                assertTrue(ended, e.getKey() + " did not finish; the outputs:\n" + logs(dir, roles));
                assertEquals(0, e.getValue().exitValue(), e.getKey() + " failed; the outputs:\n" + logs(dir, roles));
            }
        } finally {
            for (Process p : running.values()) {
                p.destroyForcibly();
            }
        }
        System.out.printf("6 processes over UDP took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        for (String r : roles) {
            double d = relativeDifference(load(local.resolve(r + ".safetensors")), load(procs.resolve(r + ".safetensors")));
            System.out.println(r + ": process mode vs local mode, relative weight difference " + d);
            assertTrue(d <= 1e-5, r + " differs by " + d);
        }
        String results = Files.readString(procs.resolve("results.json"));
        assertTrue(results.contains("\"mode\": \"vanilla\""), results);
        // the coordinator's process evaluated the model the hops sent it: local mode's accuracy, round by round
        Object perRound = Json.parseObject(results).get("test_accuracy_per_round");
        System.out.println("test accuracy per round: local " + localAccuracy + ", process mode " + perRound);
        assertEquals(2, localAccuracy.size());
        assertEquals(localAccuracy, perRound, "process mode's test accuracy per round");
        assertTrue(Files.exists(procs.resolve("hop2.json")), "hop2 wrote no report");
    }

    @Test
    void shouldFailEverySurvivorNamingAPeerWhoseProcessWasKilled(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("kill.yaml");
        // 1 hop, 2 owners, many rounds: long enough to kill owner1 in the middle
        String yaml = config(freeBasePort(4), token(), "peer_timeout_s: 5.0").replace("hops: 2", "hops: 1")
                .replace("cuts: [1, 2]", "cuts: [1]").replace("owners: 3", "owners: 2").replace("rounds: 2", "rounds: 10000");
        Files.writeString(config, yaml);
        List<String> roles = List.of("coordinator", "owner0", "owner1", "hop1");
        Map<String, Process> running = new LinkedHashMap<>();
        try {
            for (String r : roles) {
                running.put(r, start(config, r, dir.resolve("out"), dir.resolve(r + ".log")));
            }
            Path coordinatorLog = dir.resolve("coordinator.log");
            long guard = System.nanoTime() + TimeUnit.SECONDS.toNanos(CHILD_GUARD_S);
            while (!read(coordinatorLog).contains("round 2/")) {
                assertTrue(System.nanoTime() < guard && running.get("coordinator").isAlive(),
                        "the run did not get going:\n" + logs(dir, roles));
                Thread.sleep(50);
            }
            running.get("owner1").destroyForcibly(); // SIGKILL: no goodbye
            long killedNs = System.nanoTime();
            for (String r : List.of("coordinator", "owner0", "hop1")) {
                Process p = running.get(r);
                boolean ended = p.waitFor(CHILD_GUARD_S, TimeUnit.SECONDS);
                String log = read(dir.resolve(r + ".log"));
                assertTrue(ended, r + " hangs after owner1 was killed; the outputs:\n" + logs(dir, roles));
                System.out.printf("%s stopped %.1f s after the kill: %s%n", r, (System.nanoTime() - killedNs) / 1e9,
                        log.lines().filter(l -> l.startsWith("mpsl node")).findFirst().orElse("?"));
                assertNotEquals(0, p.exitValue(), r + " exited normally; its output:\n" + log);
                assertTrue(log.contains("mpsl node: ") && log.contains("owner1"), r + " does not name owner1:\n" + log);
            }
        } finally {
            for (Process p : running.values()) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void shouldNameTheRolesThatNeverCameWhenTheConnectTimeoutPasses(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("alone.yaml");
        Files.writeString(config, config(freeBasePort(6), token(), "").replace("connect_timeout_s: 90",
                "connect_timeout_s: 1.0\npeer_timeout_s: 1.0"));
        RunAbortedException e = assertThrows(RunAbortedException.class,
                () -> NodeCommand.run(new String[] {config.toString(), "--role", "hop1", "--out", dir.toString()}));
        assertTrue(e.getMessage().contains("owner0") && e.getMessage().contains("owner2") && e.getMessage().contains("hop2"),
                e.getMessage());
        UsageException u = assertThrows(UsageException.class, () -> NodeCommand.run(new String[] {config.toString()}));
        assertTrue(u.getMessage().startsWith("which role?"), u.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> NodeCommand.run(new String[] {config.toString(), "--role", "hop3"}));
        assertTrue(bad.getMessage().contains("unknown role 'hop3'"), bad.getMessage());
    }
}
