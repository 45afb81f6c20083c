package io.mpsl.nn;

import io.mpsl.kernels.Backend;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;

/**
 * Softmax cross-entropy on logits (batch, classes) and I32 labels (batch): loss = sum_n -log softmax(logits_n)[y_n].
 * Holds the probabilities of the last forward and the logits gradient, for up to {@code capacity} samples.
 */
public final class SoftmaxCrossEntropy implements AutoCloseable {
    private final Backend backend;
    private final int classes;
    private final TensorArena arena;
    private final Tensor probs; // (capacity, classes)
    private final Tensor dLogits; // (capacity, classes)
    private int batch;
    private int viewBatch; // the batch the views below were made for
    private Tensor probsView;
    private Tensor dLogitsView;

    public SoftmaxCrossEntropy(Backend backend, int classes, int capacity, MemoryAccount account) {
        this.backend = backend;
        this.classes = classes;
        this.arena = new TensorArena(account);
        this.probs = arena.allocate(Shape.of(capacity, classes));
        this.dLogits = arena.allocate(Shape.of(capacity, classes));
    }

    /** Sum over the batch of the per-sample loss (divide by the mini-batch size for the mean). */
    public double forward(Tensor logits, Tensor labels) {
        batch = logits.shape().dim(0);
        if (logits.shape().innerSize() != classes || labels.size() != batch || batch > probs.shape().dim(0)) {
            throw new IllegalArgumentException("logits " + logits.shape() + " and labels " + labels.shape()
                    + " do not fit " + classes + " classes and at most " + probs.shape().dim(0) + " samples");
        }
        views();
        Tensor flat = logits.shape().rank() == 2 ? logits : logits.view(batch, classes);
        return backend.softmaxCrossEntropyForward(probsView, flat, labels);
    }

    private void views() {
        if (viewBatch != batch) {
            probsView = probs.slice(0, batch);
            dLogitsView = dLogits.slice(0, batch);
            viewBatch = batch;
        }
    }

    /** dLogits = scale * (probs - onehot(labels)); scale = 1 / mini-batch size makes micro-batches sum to the mean. */
    public Tensor backward(Tensor labels, float scale) {
        backend.softmaxCrossEntropyBackward(dLogitsView, probsView, labels, scale);
        return dLogitsView;
    }

    /** Probabilities of the last forward, (batch, classes). */
    public Tensor probabilities() {
        return probsView;
    }

    /** Samples whose largest logit is at their label. */
    public static int correct(Tensor logits, Tensor labels) {
        int n = logits.shape().dim(0);
        int c = (int) logits.shape().innerSize();
        int right = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            float bestValue = logits.get((long) i * c);
            for (int j = 1; j < c; j++) {
                float v = logits.get((long) i * c + j);
                if (v > bestValue) {
                    bestValue = v;
                    best = j;
                }
            }
            if (best == labels.getInt(i)) {
                right++;
            }
        }
        return right;
    }

    @Override
    public void close() {
        arena.close();
    }
}
