package io.mpsl.launcher;

import io.mpsl.bench.train.Flags;
import io.mpsl.kernels.Backend;
import io.mpsl.kernels.Backends;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.data.DataDirs;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.DatasetPair;
import io.mpsl.nn.data.Datasets;
import io.mpsl.nn.train.EpochResult;
import io.mpsl.nn.train.LrSchedule;
import io.mpsl.nn.train.TrainConfig;
import io.mpsl.nn.train.TrainListener;
import io.mpsl.nn.train.TrainResult;
import io.mpsl.nn.train.Trainer;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.json.Json;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code mpsl train}: centralized training of a zoo model on MNIST, Fashion-MNIST or CIFAR-10, with a progress
 * bar per epoch, loss and test accuracy per epoch, optional checkpoints and resume, and a JSON summary.
 */
final class TrainCommand {
    /** Short, for the command list; a bad option lists every option there is. */
    static final String USAGE = "train --model M --dataset D --epochs E [OPTIONS]";

    private static final Set<String> VALUED = Set.of("model", "dataset", "data-dir", "epochs", "batch", "lr",
            "optimizer", "momentum", "weight-decay", "schedule", "warmup-epochs", "threads", "seed", "json",
            "checkpoint", "resume", "limit");

    private TrainCommand() {
    }

    static int run(String[] args) throws Exception {
        TrainConfig config;
        Path json;
        try {
            Flags f = Flags.parse(args, VALUED, Set.of());
            if (!f.positional().isEmpty()) {
                throw new IllegalArgumentException("unexpected argument '" + f.positional().get(0) + "'");
            }
            String model = f.required("model", "one of " + ModelZoo.names());
            if (!ModelZoo.names().contains(model)) {
                throw new IllegalArgumentException("unknown model '" + model + "'; one of " + ModelZoo.names());
            }
            config = new TrainConfig().model(model)
                    .dataset(f.choice("dataset", f.required("dataset", "one of " + Datasets.NAMES), Datasets.NAMES))
                    .dataDir(f.path("data-dir", null))
                    .epochs(f.integer("epochs", 1, 1))
                    .batch(f.integer("batch", TrainConfig.DEFAULT_BATCH, 1))
                    .optimizer(f.choice("optimizer", "sgd", TrainConfig.OPTIMIZERS))
                    .learningRate(f.number("lr", Float.NaN, 0f))
                    .momentum(f.number("momentum", TrainConfig.DEFAULT_MOMENTUM, 0f))
                    .weightDecay(f.number("weight-decay", TrainConfig.DEFAULT_WEIGHT_DECAY, 0f))
                    .schedule(LrSchedule.of(f.choice("schedule", TrainConfig.DEFAULT_SCHEDULE.lowerName(),
                            LrSchedule.NAMES)))
                    .warmupEpochs(f.number("warmup-epochs", TrainConfig.DEFAULT_WARMUP_EPOCHS, 0f))
                    .threads(f.integer("threads", Backends.defaultThreads(), 1))
                    .seed(f.longValue("seed", TrainConfig.DEFAULT_SEED))
                    .limit(f.integer("limit", 0, 1))
                    .checkpoint(f.path("checkpoint", null))
                    .resume(f.path("resume", null));
            if (!f.has("epochs")) {
                throw new IllegalArgumentException("--epochs is required (how many passes over the training set)");
            }
            json = f.path("json", null);
            config.conclude();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return train(config, json, System.out);
    }

    static int train(TrainConfig config, Path json, PrintStream out) throws Exception {
        Path dataDir = config.dataDir() != null ? config.dataDir() : DataDirs.defaultDir();
        MemoryAccount account = MemoryAccount.root("train");
        try (DatasetPair data = Datasets.load(config.dataset(), dataDir, account);
                Backend backend = Backends.create(config.threads())) {
            Dataset train = config.limit() > 0 ? data.train().head(config.limit()) : data.train();
            Dataset test = data.test();
            ModelSpec spec = ModelZoo.create(config.model(), train.sampleShape(), train.classes());
            out.printf(Locale.ROOT, "%s on %s: %d train, %d test samples from %s; backend %s, %d thread%s%n",
                    spec.name(), config.dataset(), train.size(), test.size(), Datasets.resolveDir(config.dataset(),
                            dataDir), backend.name(), backend.threads(), backend.threads() == 1 ? "" : "s");
            out.printf(Locale.ROOT, "%s, lr %s (%s, warm-up %s epochs), batch %d, %d epoch%s, seed %d%n",
                    config.optimizer(), config.learningRate(), config.schedule().lowerName(), config.warmupEpochs(),
                    config.batch(), config.epochs(),
                    config.epochs() == 1 ? "" : "s", config.seed());
            try (Trainer trainer = new Trainer(spec, backend, config, account)) {
                if (config.resume() != null) {
                    var p = trainer.resume(config.resume());
                    out.printf(Locale.ROOT, "resumed from %s at epoch %d, batch %d%n", config.resume(), p.epoch() + 1,
                            p.batch());
                }
                TrainResult r = trainer.fit(train, test, config.epochs(), new Progress(out, isTerminal()));
                Map<String, Object> summary = summary(config, spec, backend, train, test, trainer, r);
                if (json != null) {
                    Path parent = json.toAbsolutePath().getParent();
                    if (parent != null) {
                        Files.createDirectories(parent);
                    }
                    Files.writeString(json, Json.writePretty(summary) + "\n");
                    out.println("summary written to " + json);
                }
                if (!r.epochs().isEmpty()) {
                    out.printf(Locale.ROOT, "test accuracy %.2f%%, %.1f samples/s%n", 100 * r.testAccuracy(),
                            r.samplesPerSecond());
                }
            }
        }
        return 0;
    }

    private static boolean isTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    private static Map<String, Object> summary(TrainConfig c, ModelSpec spec, Backend backend, Dataset train,
            Dataset test, Trainer trainer, TrainResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", spec.name());
        m.put("dataset", c.dataset());
        m.put("parameters", trainer.state().parameterCount());
        m.put("train_samples", train.size());
        m.put("test_samples", test.size());
        m.put("epochs", c.epochs());
        m.put("batch", c.batch());
        m.put("optimizer", c.optimizer());
        m.put("learning_rate", exact(c.learningRate()));
        m.put("schedule", c.schedule().lowerName());
        m.put("warmup_epochs", exact(c.warmupEpochs()));
        m.put("momentum", exact(c.momentum()));
        m.put("weight_decay", exact(c.weightDecay()));
        m.put("seed", c.seed());
        m.put("backend", backend.name());
        m.put("threads", backend.threads());
        m.put("test_accuracy", r.epochs().isEmpty() ? null : r.testAccuracy());
        m.put("samples_per_s", r.samplesPerSecond());
        List<Object> seconds = new ArrayList<>();
        List<Object> trainLoss = new ArrayList<>();
        List<Object> testLoss = new ArrayList<>();
        List<Object> testAccuracy = new ArrayList<>();
        List<Object> epochs = new ArrayList<>();
        for (EpochResult e : r.epochs()) {
            epochs.add(e.epoch() + 1);
            seconds.add(e.trainSeconds());
            trainLoss.add(e.trainLoss());
            testLoss.add(e.testLoss());
            testAccuracy.add(e.testAccuracy());
        }
        m.put("epoch_numbers", epochs);
        m.put("epoch_seconds", seconds);
        m.put("train_loss", trainLoss);
        m.put("test_loss", testLoss);
        m.put("test_accuracy_per_epoch", testAccuracy);
        return m;
    }

    /** The float as the double its decimal form reads as (0.05f as 0.05, not 0.05000000074505806). */
    private static double exact(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /** A progress bar per epoch: redrawn in place on a terminal, a plain line per tenth of the epoch otherwise. */
    static final class Progress implements TrainListener {
        private static final int WIDTH = 30;
        private static final long REDRAW_NS = 200_000_000L;
        private final PrintStream out;
        private final boolean terminal;
        private final StringBuilder line = new StringBuilder(128);
        private int epochs;
        private long startNs;
        private long lastDrawNs;
        private int lastTenth;
        private int firstBatch;

        Progress(PrintStream out, boolean terminal) {
            this.out = out;
            this.terminal = terminal;
        }

        @Override
        public void onEpochStart(int epoch, int epochs, int first, int batches) {
            this.epochs = epochs;
            this.startNs = System.nanoTime();
            this.lastDrawNs = 0;
            this.lastTenth = first * 10 / batches;
            this.firstBatch = first;
        }

        @Override
        public void onBatch(int epoch, int done, int batches, double meanLoss) {
            long now = System.nanoTime();
            if (terminal) {
                if (now - lastDrawNs < REDRAW_NS && done < batches) {
                    return;
                }
                lastDrawNs = now;
                out.print('\r');
                out.print(render(epoch, done, batches, meanLoss, now));
                out.flush();
            } else {
                int tenth = done * 10 / batches;
                if (tenth > lastTenth && tenth < 10) {
                    lastTenth = tenth;
                    out.println(render(epoch, done, batches, meanLoss, now));
                }
            }
        }

        private CharSequence render(int epoch, int done, int batches, double meanLoss, long now) {
            line.setLength(0);
            int filled = (int) ((long) WIDTH * done / batches);
            line.append("epoch ").append(epoch + 1).append('/').append(epochs).append(" [");
            for (int i = 0; i < WIDTH; i++) {
                line.append(i < filled ? '=' : (i == filled ? '>' : ' '));
            }
            line.append("] ").append(done).append('/').append(batches);
            double elapsed = (now - startNs) * 1e-9;
            int ran = done - firstBatch;
            double eta = ran > 0 ? elapsed / ran * (batches - done) : 0;
            line.append(String.format(Locale.ROOT, "  loss %.4f  %.0fs elapsed, %.0fs left", meanLoss, elapsed, eta));
            return line;
        }

        @Override
        public void onEpochEnd(EpochResult r) {
            if (terminal) {
                out.println();
            }
            out.printf(Locale.ROOT, "epoch %d/%d: train loss %.4f, train accuracy %.2f%%, test loss %.4f, "
                    + "test accuracy %.2f%%, %.1f s, %.1f samples/s%n", r.epoch() + 1, epochs, r.trainLoss(),
                    100 * r.trainAccuracy(), r.testLoss(), 100 * r.testAccuracy(), r.trainSeconds(),
                    r.samplesPerSecond());
        }

        @Override
        public void onCheckpoint(Path file, int epoch) {
            out.println("checkpoint written to " + file + " (resume continues at epoch " + (epoch + 1) + ")");
        }
    }
}
