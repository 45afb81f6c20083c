package io.mpsl.nn.train;

import io.mpsl.kernels.Backend;
import io.mpsl.nn.ModelPart;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.SoftmaxCrossEntropy;
import io.mpsl.nn.data.BatchLoader;
import io.mpsl.nn.data.Dataset;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Centralized training of a whole model on one backend: mini-batches in a seeded shuffled order, softmax
 * cross-entropy, the configured optimizer and learning-rate schedule, evaluation on the test set after each
 * epoch, and checkpoints from which {@link #resume} continues bit for bit. One training step is
 * {@code zeroGrad; logits = f(x); loss = CE(logits, y); backward(dLogits / n); step}, over buffers allocated
 * once.
 */
public final class Trainer implements AutoCloseable {
    private final ModelSpec spec;
    private final TrainConfig config;
    private final Backend backend;
    private final ModelPart part;
    private final SoftmaxCrossEntropy loss;
    private final TensorArena arena;
    private int startEpoch;
    private int startBatch;
    private int lastCorrect;

    /** Builds the model with weights drawn from the config's seed. */
    public Trainer(ModelSpec spec, Backend backend, TrainConfig config, MemoryAccount account) {
        this.spec = spec;
        this.config = config;
        this.backend = backend;
        OptimizerSpec optimizer = config.optimizerSpec();
        this.part = new ModelPart(spec.build(backend), config.seed(), optimizer, config.batch(), account.child("model"));
        this.loss = new SoftmaxCrossEntropy(backend, spec.classes(), config.batch(), account.child("loss"));
        this.arena = new TensorArena(account.child("batches"));
    }

    public ModelSpec spec() {
        return spec;
    }

    public Backend backend() {
        return backend;
    }

    /** The model's parameters, gradients and optimizer state. */
    public ParameterState state() {
        return part.state();
    }

    /**
     * Loads a checkpoint written by a run with the same model, optimizer, dataset, batch size, seed and limit;
     * the next {@link #fit} continues where that run stopped.
     */
    public Checkpoint.Position resume(Path file) throws IOException {
        Checkpoint.Position p = Checkpoint.load(file, spec, part.state());
        Map<String, String> mine = settings();
        for (String key : new String[] {"dataset", "batch_size", "seed", "limit"}) {
            String theirs = p.metadata().get(key);
            if (!mine.get(key).equals(theirs)) {
                throw new IOException(file + ": checkpoint was written with " + key + " " + theirs + " but this run has "
                        + mine.get(key) + "; resume with the same settings to continue the same data order");
            }
        }
        startEpoch = p.epoch();
        startBatch = p.batch();
        return p;
    }

    /** The settings that fix the data order and schedule, as checkpoint metadata. */
    public Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("dataset", config.dataset());
        m.put("batch_size", Integer.toString(config.batch()));
        m.put("seed", Long.toString(config.seed()));
        m.put("limit", Integer.toString(config.limit()));
        m.put("epochs", Integer.toString(config.epochs()));
        m.put("base_learning_rate", Float.toString(config.learningRate()));
        m.put("schedule", config.schedule().lowerName());
        m.put("warmup_epochs", Float.toString(config.warmupEpochs()));
        m.put("momentum", Float.toString(config.momentum()));
        m.put("weight_decay", Float.toString(config.weightDecay()));
        return m;
    }

    /**
     * Trains from the current position (epoch 0, or where {@link #resume} left off) up to, not including, epoch
     * {@code untilEpoch}, evaluating on {@code test} after each epoch and writing the config's checkpoint, if
     * any, after each epoch.
     */
    public TrainResult fit(Dataset train, Dataset test, int untilEpoch, TrainListener listener) throws IOException {
        BatchLoader loader = new BatchLoader(train, null, config.batch(), config.seed(), true, arena);
        BatchLoader testLoader = new BatchLoader(test, null, config.batch(), 0, false, arena);
        long totalSteps = (long) config.epochs() * loader.batchesPerEpoch();
        long warmupSteps = Math.round((double) config.warmupEpochs() * loader.batchesPerEpoch());
        ParameterState state = part.state();
        float base = config.learningRate();
        LrSchedule schedule = config.schedule();
        List<EpochResult> results = new ArrayList<>();
        for (int epoch = startEpoch; epoch < untilEpoch; epoch++) {
            int first = epoch == startEpoch ? startBatch : 0;
            loader.seek(epoch, first);
            int batches = loader.batchesPerEpoch();
            listener.onEpochStart(epoch, config.epochs(), first, batches);
            double lossSum = 0;
            long correct = 0;
            long samples = 0;
            long t0 = System.nanoTime();
            while (loader.hasNext()) {
                int n = loader.next();
                state.setLearningRate(schedule.at(base, state.steps(), totalSteps, warmupSteps));
                lossSum += step(loader.images(), loader.labels());
                correct += lastCorrect;
                samples += n;
                listener.onBatch(epoch, loader.batchIndex(), batches, lossSum / samples);
            }
            double seconds = (System.nanoTime() - t0) * 1e-9;
            Evaluation eval = evaluate(testLoader);
            EpochResult r = new EpochResult(epoch, samples == 0 ? Double.NaN : lossSum / samples,
                    samples == 0 ? Double.NaN : (double) correct / samples, eval.loss(), eval.accuracy(), seconds,
                    samples);
            results.add(r);
            listener.onEpochEnd(r);
            if (config.checkpoint() != null) {
                Checkpoint.save(config.checkpoint(), spec, state, epoch + 1, 0, settings());
                listener.onCheckpoint(config.checkpoint(), epoch + 1);
            }
        }
        startEpoch = Math.max(startEpoch, untilEpoch);
        startBatch = 0;
        return new TrainResult(results);
    }

    /**
     * One training step on a batch at the state's current learning rate: zeroGrad, forward, softmax
     * cross-entropy, backward of the batch-mean loss, optimizer step. Returns the summed (not mean) loss of the
     * batch; {@link #lastCorrect()} tells how many of its samples the forward classified right.
     *
     * @param x (n, ...input shape), n up to the configured batch size
     * @param y (n) I32 labels
     */
    public double step(Tensor x, Tensor y) {
        int n = x.shape().dim(0);
        part.zeroGrad();
        Tensor logits = part.forward(x, true);
        double sum = loss.forward(logits, y);
        lastCorrect = SoftmaxCrossEntropy.correct(logits, y);
        part.backward(loss.backward(y, 1f / n));
        part.step();
        return sum;
    }

    /** Samples of the last {@link #step} batch whose largest logit was at their label. */
    public int lastCorrect() {
        return lastCorrect;
    }

    /** Loss and accuracy on a whole dataset, in inference mode. */
    public Evaluation evaluate(Dataset data) {
        return evaluate(new BatchLoader(data, null, config.batch(), 0, false, arena));
    }

    private Evaluation evaluate(BatchLoader l) {
        double lossSum = 0;
        long correct = 0;
        l.startEpoch(0);
        while (l.hasNext()) {
            l.next();
            Tensor logits = part.forward(l.images(), false);
            lossSum += loss.forward(logits, l.labels());
            correct += SoftmaxCrossEntropy.correct(logits, l.labels());
        }
        return new Evaluation(lossSum / l.samples(), (double) correct / l.samples());
    }

    /**
     * @param loss mean cross-entropy
     * @param accuracy fraction classified right, 0..1
     */
    public record Evaluation(double loss, double accuracy) {
    }

    @Override
    public void close() {
        arena.close();
        loss.close();
        part.close();
    }
}
