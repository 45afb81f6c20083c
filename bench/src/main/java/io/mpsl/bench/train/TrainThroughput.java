package io.mpsl.bench.train;

import io.mpsl.kernels.Backend;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.data.BatchLoader;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.SyntheticDataset;
import io.mpsl.nn.train.TrainConfig;
import io.mpsl.nn.train.Trainer;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.TensorArena;
import java.util.Arrays;
import java.util.List;

/**
 * Training throughput of a zoo model on synthetic data of its input shape: full training steps (forward,
 * softmax cross-entropy, backward, SGD with momentum) on batches cycled from a small seeded set, after a few
 * warm-up steps, until both a minimum step count and a minimum time are reached.
 */
public final class TrainThroughput {
    public static final int CLASSES = 10;

    private TrainThroughput() {
    }

    /**
     * @param samplesPerSecond samples trained per second over the measured steps
     * @param stepMs each measured step's wall time in milliseconds
     */
    public record Result(String model, Shape input, int batch, int threads, String backend, long parameters,
            double samplesPerSecond, double[] stepMs) {

        /** The median step time in milliseconds. */
        public double medianStepMs() {
            double[] s = stepMs.clone();
            Arrays.sort(s);
            return s.length == 0 ? Double.NaN : (s[(s.length - 1) / 2] + s[s.length / 2]) / 2;
        }
    }

    /** The input shape benchmarks use for a model: 1x28x28 for the MNIST models, 3x32x32 for the others. */
    public static Shape defaultInput(String model) {
        return List.of("mlp", "lenet5").contains(model) ? Shape.of(1, 28, 28) : Shape.of(3, 32, 32);
    }

    /** Parses "CxHxW", e.g. "3x32x32". */
    public static Shape parseShape(String s) {
        String[] p = s.toLowerCase(java.util.Locale.ROOT).split("x");
        if (p.length != 3) {
            throw new IllegalArgumentException("input shape " + s + " is not CxHxW, e.g. 3x32x32");
        }
        try {
            return Shape.of(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("input shape " + s + " is not CxHxW, e.g. 3x32x32", e);
        }
    }

    /**
     * Runs unmeasured steps until at least {@code warmup} ran and {@code warmupSeconds} passed (the JIT compiles
     * the Vector API loops only after many calls), then measured steps until at least {@code minSteps} ran and
     * {@code minSeconds} passed.
     */
    public static Result measure(String model, Shape input, int batch, Backend backend, int warmup,
            double warmupSeconds, int minSteps, double minSeconds, long seed) {
        ModelSpec spec = ModelZoo.create(model, input, CLASSES);
        MemoryAccount account = MemoryAccount.root("bench-train");
        TrainConfig config = new TrainConfig().model(model).dataset("synthetic").batch(batch).learningRate(0.01f)
                .seed(seed).conclude();
        try (Dataset data = SyntheticDataset.create("synthetic", input, CLASSES, batch * 4, seed, account);
                Trainer trainer = new Trainer(spec, backend, config, account);
                TensorArena arena = new TensorArena(account.child("loader"))) {
            BatchLoader loader = new BatchLoader(data, null, batch, seed, true, arena);
            int epoch = 0;
            loader.startEpoch(epoch);
            long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            for (int i = 0; i < warmup || System.nanoTime() < warmupEnd; i++) {
                if (!loader.hasNext()) {
                    loader.startEpoch(++epoch);
                }
                loader.next();
                trainer.step(loader.images(), loader.labels());
            }
            double[] stepMs = new double[Math.max(16, minSteps)];
            int steps = 0;
            long samples = 0;
            long minNs = (long) (minSeconds * 1e9);
            long start = System.nanoTime();
            long now = start;
            while (steps < minSteps || now - start < minNs) {
                if (!loader.hasNext()) {
                    loader.startEpoch(++epoch);
                }
                int n = loader.next();
                long t0 = System.nanoTime();
                trainer.step(loader.images(), loader.labels());
                now = System.nanoTime();
                if (steps == stepMs.length) {
                    stepMs = Arrays.copyOf(stepMs, steps * 2);
                }
                stepMs[steps++] = (now - t0) * 1e-6;
                samples += n;
            }
            double seconds = (now - start) * 1e-9;
            return new Result(model, input, batch, backend.threads(), backend.name(), trainer.state().parameterCount(),
                    samples / seconds, Arrays.copyOf(stepMs, steps));
        }
    }
}
