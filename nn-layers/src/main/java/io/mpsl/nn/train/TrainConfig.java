package io.mpsl.nn.train;

import io.mpsl.nn.OptimizerSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * Settings of a centralized training run, with chainable setters, defaults as named constants and
 * {@link #conclude()} to validate them once. Defaults: SGD with momentum 0.9, learning rate 0.05 (Adam: 0.001)
 * rising linearly over the first half epoch, then decayed by a cosine over the run, batch 64, seed 1. Without
 * the warm-up, lr 0.05 with momentum 0.9 can leave LeNet-5 dead in its first steps.
 */
public final class TrainConfig {
    public static final int DEFAULT_BATCH = 64;
    public static final float DEFAULT_SGD_LR = 0.05f;
    public static final float DEFAULT_ADAM_LR = 0.001f;
    public static final float DEFAULT_MOMENTUM = 0.9f;
    public static final float DEFAULT_WEIGHT_DECAY = 0f;
    public static final LrSchedule DEFAULT_SCHEDULE = LrSchedule.COSINE;
    public static final long DEFAULT_SEED = 1;
    /** Epochs over which the learning rate rises linearly from lr / warm-up steps to lr. */
    public static final float DEFAULT_WARMUP_EPOCHS = 0.5f;
    public static final List<String> OPTIMIZERS = List.of("sgd", "adam");

    private String model;
    private String dataset;
    private Path dataDir;
    private int epochs = 1;
    private int batch = DEFAULT_BATCH;
    private float learningRate = Float.NaN;
    private String optimizer = "sgd";
    private float momentum = DEFAULT_MOMENTUM;
    private float weightDecay = DEFAULT_WEIGHT_DECAY;
    private LrSchedule schedule = DEFAULT_SCHEDULE;
    private float warmupEpochs = DEFAULT_WARMUP_EPOCHS;
    private int threads = 1;
    private long seed = DEFAULT_SEED;
    private int limit;
    private Path checkpoint;
    private Path resume;
    private boolean concluded;

    public TrainConfig model(String name) {
        this.model = name;
        return this;
    }

    public TrainConfig dataset(String name) {
        this.dataset = name;
        return this;
    }

    public TrainConfig dataDir(Path dir) {
        this.dataDir = dir;
        return this;
    }

    public TrainConfig epochs(int n) {
        this.epochs = n;
        return this;
    }

    public TrainConfig batch(int n) {
        this.batch = n;
        return this;
    }

    /** The base learning rate; NaN (the default) means {@link #DEFAULT_SGD_LR} or {@link #DEFAULT_ADAM_LR}. */
    public TrainConfig learningRate(float lr) {
        this.learningRate = lr;
        return this;
    }

    /** "sgd" or "adam". */
    public TrainConfig optimizer(String name) {
        this.optimizer = name;
        return this;
    }

    public TrainConfig momentum(float m) {
        this.momentum = m;
        return this;
    }

    public TrainConfig weightDecay(float wd) {
        this.weightDecay = wd;
        return this;
    }

    public TrainConfig schedule(LrSchedule s) {
        this.schedule = s;
        return this;
    }

    /** Linear learning-rate warm-up over this many epochs (fractions allowed) before the schedule. */
    public TrainConfig warmupEpochs(float e) {
        this.warmupEpochs = e;
        return this;
    }

    public TrainConfig threads(int n) {
        this.threads = n;
        return this;
    }

    /** Seeds the initial weights and the data order. */
    public TrainConfig seed(long s) {
        this.seed = s;
        return this;
    }

    /** Train on the first {@code n} training samples only (0: all). */
    public TrainConfig limit(int n) {
        this.limit = n;
        return this;
    }

    /** Written atomically after every epoch (null: none). */
    public TrainConfig checkpoint(Path file) {
        this.checkpoint = file;
        return this;
    }

    /** A checkpoint to continue from (null: start afresh). */
    public TrainConfig resume(Path file) {
        this.resume = file;
        return this;
    }

    /** Validates every setting and fills in derived defaults; returns this. */
    public TrainConfig conclude() {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("no model given");
        }
        if (dataset == null || dataset.isBlank()) {
            throw new IllegalArgumentException("no dataset given");
        }
        warmupEpochs = Math.min(warmupEpochs, epochs);
        if (!(warmupEpochs >= 0)) {
            throw new IllegalArgumentException("warm-up of " + warmupEpochs + " epochs must be within the " + epochs
                    + " epochs of the run");
        }
        if (epochs < 1 || batch < 1 || threads < 1 || limit < 0) {
            throw new IllegalArgumentException("epochs " + epochs + ", batch " + batch + " and threads " + threads
                    + " must be positive and limit " + limit + " not negative");
        }
        if (!OPTIMIZERS.contains(optimizer)) {
            throw new IllegalArgumentException("unknown optimizer '" + optimizer + "'; one of " + OPTIMIZERS);
        }
        if (Float.isNaN(learningRate)) {
            learningRate = optimizer.equals("adam") ? DEFAULT_ADAM_LR : DEFAULT_SGD_LR;
        }
        if (!(learningRate > 0) || Float.isInfinite(learningRate) || !(momentum >= 0 && momentum < 1)
                || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("learning rate " + learningRate + " must be positive, momentum "
                    + momentum + " in [0, 1), weight decay " + weightDecay + " not negative");
        }
        concluded = true;
        return this;
    }

    /** The optimizer these settings describe, at the base learning rate. */
    public OptimizerSpec optimizerSpec() {
        requireConcluded();
        return optimizer.equals("adam") ? OptimizerSpec.adam(learningRate, weightDecay)
                : OptimizerSpec.sgd(learningRate, momentum, weightDecay);
    }

    private void requireConcluded() {
        if (!concluded) {
            throw new IllegalStateException("call conclude() first");
        }
    }

    public String model() {
        return model;
    }

    public String dataset() {
        return dataset;
    }

    public Path dataDir() {
        return dataDir;
    }

    public int epochs() {
        return epochs;
    }

    public int batch() {
        return batch;
    }

    public float learningRate() {
        return learningRate;
    }

    public String optimizer() {
        return optimizer;
    }

    public float momentum() {
        return momentum;
    }

    public float weightDecay() {
        return weightDecay;
    }

    public LrSchedule schedule() {
        return schedule;
    }

    public float warmupEpochs() {
        return warmupEpochs;
    }

    public int threads() {
        return threads;
    }

    public long seed() {
        return seed;
    }

    public int limit() {
        return limit;
    }

    public Path checkpoint() {
        return checkpoint;
    }

    public Path resume() {
        return resume;
    }
}
