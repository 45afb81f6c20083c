package io.mpsl.bench.train;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.Backends;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code mpsl bench train --model M --batch B --threads T [--input CxHxW] [--warmup W] [--warmup-seconds S]
 * [--steps N] [--seconds S] [--json FILE]}: training throughput on synthetic data (see {@link TrainThroughput}).
 */
public final class TrainBenchRunner {
    public static final String USAGE = "bench train --model M [--batch B] [--threads T] [--input CxHxW] [--warmup W] "
            + "[--warmup-seconds S] [--steps N] [--seconds S] [--json FILE]";

    private TrainBenchRunner() {
    }

    public static int run(String[] args) throws Exception {
        Flags f = Flags.parse(args, Set.of("model", "batch", "threads", "input", "warmup", "warmup-seconds", "steps",
                "seconds", "json", "seed"), Set.of());
        String model = f.required("model", "one of " + ModelZoo.names());
        if (!ModelZoo.names().contains(model)) {
            throw new IllegalArgumentException("unknown model '" + model + "'; one of " + ModelZoo.names());
        }
        int batch = f.integer("batch", 64, 1);
        int threads = f.integer("threads", Backends.defaultThreads(), 1);
        Shape input = f.has("input") ? TrainThroughput.parseShape(f.string("input", "")) : TrainThroughput.defaultInput(
                model);
        int warmup = f.integer("warmup", 3, 0);
        float warmupSeconds = f.number("warmup-seconds", 5f, 0f);
        int steps = f.integer("steps", 10, 1);
        float seconds = f.number("seconds", 5f, 0f);
        long seed = f.longValue("seed", 1);
        TrainThroughput.Result r;
        try (Backend backend = Backends.create(threads)) {
            System.out.printf(Locale.ROOT, "training %s on synthetic %s, batch %d, backend %s with %d thread%s ...%n",
                    model, input, batch, backend.name(), backend.threads(), backend.threads() == 1 ? "" : "s");
            r = TrainThroughput.measure(model, input, batch, backend, warmup, warmupSeconds, steps, seconds, seed);
        }
        System.out.printf(Locale.ROOT, "%s: %.1f samples/s (%d steps, median step %.1f ms)%n", model,
                r.samplesPerSecond(), r.stepMs().length, r.medianStepMs());
        if (f.has("json")) {
            Path json = f.path("json", null);
            Files.writeString(json, Json.writePretty(toJson(r)) + "\n");
            System.out.println("written to " + json);
        }
        return 0;
    }

    static Map<String, Object> toJson(TrainThroughput.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", r.model());
        m.put("input", r.input().toString());
        m.put("batch", r.batch());
        m.put("threads", r.threads());
        m.put("backend", r.backend());
        m.put("parameters", r.parameters());
        m.put("samples_per_s", r.samplesPerSecond());
        m.put("steps", r.stepMs().length);
        m.put("median_step_ms", r.medianStepMs());
        return m;
    }
}
