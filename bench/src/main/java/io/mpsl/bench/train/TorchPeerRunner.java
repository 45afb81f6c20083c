package io.mpsl.bench.train;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.Backends;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code mpsl bench torch-peer [--threads 1,2] [--rounds R] [--seconds S] [--json FILE]}: VGG-11 (no batch
 * norm, 3x32x32, batch 64, SGD with momentum) trained by mpsl and by PyTorch ({@code bench/scripts/torch_peer.py})
 * on the same machine, alternating the two runs {@code R} times per thread count so that drift in machine
 * load hits both alike; reports the median samples/s of each and their ratio. If PyTorch cannot be imported,
 * installs Debian's {@code python3-torch} and {@code libopenblas0-pthread} with apt-get first, saying so.
 */
public final class TorchPeerRunner {
    public static final String USAGE = "bench torch-peer [--threads 1,2] [--rounds R] [--seconds S] [--batch B] "
            + "[--warmup W] [--warmup-seconds S] [--steps N] [--json FILE]";
    static final String MODEL = "vgg11";
    static final String SCRIPT = "bench/scripts/torch_peer.py";
    private static final long TIMEOUT_S = 1800;

    private TorchPeerRunner() {
    }

    public static int run(String[] args) throws Exception {
        Flags f = Flags.parse(args, Set.of("threads", "rounds", "seconds", "batch", "json", "warmup", "warmup-seconds",
                "steps"),
                Set.of());
        int[] threads = f.integers("threads", new int[] {1, 2});
        int rounds = f.integer("rounds", 3, 1);
        float seconds = f.number("seconds", 5f, 0f);
        int batch = f.integer("batch", 64, 1);
        int warmup = f.integer("warmup", 2, 0);
        // the first round otherwise still runs partly interpreted Vector API code on a loaded machine
        float warmupSeconds = f.number("warmup-seconds", 20f, 0f);
        int steps = f.integer("steps", 5, 1);
        Path script = findScript();
        String python = ensureTorch();
        Shape input = Shape.of(3, 32, 32);
        List<Object> rows = new ArrayList<>();
        String torchVersion = null;
        for (int t : threads) {
            double[] mine = new double[rounds];
            double[] theirs = new double[rounds];
            try (Backend backend = Backends.create(t)) {
                for (int r = 0; r < rounds; r++) {
                    // alternate which goes first, so neither always runs on a warmer or cooler machine
                    boolean mpslFirst = r % 2 == 0;
                    for (int k = 0; k < 2; k++) {
                        if ((k == 0) == mpslFirst) {
                            mine[r] = TrainThroughput.measure(MODEL, input, batch, backend, warmup, warmupSeconds, steps,
                                    seconds, 1)
                                    .samplesPerSecond();
                        } else {
                            Map<String, Object> out = runTorch(python, script, t, batch, warmup, steps, seconds);
                            theirs[r] = ((Number) out.get("samples_per_s")).doubleValue();
                            torchVersion = String.valueOf(out.get("torch_version"));
                        }
                    }
                    System.out.printf(Locale.ROOT, "threads %d round %d/%d: mpsl (%s) %.1f samples/s, PyTorch %s "
                            + "%.1f samples/s%n", t, r + 1, rounds, backend.name(), mine[r], torchVersion, theirs[r]);
                }
                double m = median(mine);
                double p = median(theirs);
                System.out.printf(Locale.ROOT, "threads %d: mpsl %.1f, PyTorch %.1f samples/s (medians of %d): "
                        + "ratio mpsl/PyTorch %.2fx%n", t, m, p, rounds, m / p);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("threads", t);
                row.put("backend", backend.name());
                row.put("mpsl_samples_per_s", m);
                row.put("torch_samples_per_s", p);
                row.put("ratio", m / p);
                row.put("mpsl_rounds", toList(mine));
                row.put("torch_rounds", toList(theirs));
                rows.add(row);
            }
        }
        if (f.has("json")) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", MODEL);
            json.put("input", input.toString());
            json.put("batch", batch);
            json.put("optimizer", "sgd momentum 0.9");
            json.put("torch_version", torchVersion);
            json.put("rounds", rounds);
            json.put("results", rows);
            Path out = f.path("json", null);
            Files.writeString(out, Json.writePretty(json) + "\n");
            System.out.println("written to " + out);
        }
        return 0;
    }

    private static List<Object> toList(double[] a) {
        List<Object> l = new ArrayList<>();
        for (double d : a) {
            l.add(d);
        }
        return l;
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return (s[(s.length - 1) / 2] + s[s.length / 2]) / 2;
    }

    /** bench/scripts/torch_peer.py in the working directory or one of its ancestors. */
    static Path findScript() throws IOException {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve(SCRIPT);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IOException(SCRIPT + " not found in " + Path.of("").toAbsolutePath() + " or above; run from the "
                + "mpsl checkout (./mpsl does)");
    }

    /** A python that imports torch: python3, or Debian's /usr/bin/python3, installing python3-torch if needed. */
    static String ensureTorch() throws IOException, InterruptedException {
        for (String py : new String[] {"python3", "/usr/bin/python3"}) {
            if (imports(py)) {
                return py;
            }
        }
        System.out.println("PyTorch is not importable by python3; installing Debian's python3-torch and "
                + "libopenblas0-pthread: apt-get install -y python3-torch libopenblas0-pthread (needs root and the "
                + "Debian archive) ...");
        List<String> install = List.of("apt-get", "install", "-y", "--no-install-recommends", "python3-torch",
                "libopenblas0-pthread");
        if (exec(install) != 0) {
            System.out.println("apt-get install failed; running apt-get update and trying again ...");
            exec(List.of("apt-get", "update"));
            if (exec(install) != 0) {
                throw new IOException("could not install python3-torch with apt-get; install PyTorch for python3 "
                        + "yourself (e.g. pip install torch) and run again");
            }
        }
        if (imports("/usr/bin/python3")) {
            return "/usr/bin/python3";
        }
        throw new IOException("python3-torch is installed but /usr/bin/python3 cannot import torch");
    }

    private static boolean imports(String python) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static int exec(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static Map<String, Object> runTorch(String python, Path script, int threads, int batch, int warmup,
            int steps, double seconds) throws IOException, InterruptedException {
        List<String> cmd = List.of(python, script.toString(), "--threads", Integer.toString(threads), "--batch",
                Integer.toString(batch), "--warmup", Integer.toString(warmup), "--steps", Integer.toString(steps),
                "--seconds", Double.toString(seconds));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        String last = out.substring(out.lastIndexOf('\n') + 1);
        return Json.parseObject(last);
    }
}
