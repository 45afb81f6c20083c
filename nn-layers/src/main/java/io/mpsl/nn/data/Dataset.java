package io.mpsl.nn.data;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A labelled image set in memory: {@code images} float32 (N, C, H, W), already normalized, and {@code labels}
 * int32 (N) in {@code [0, classes)}. A dataset may own the arena its tensors live in (then {@link #close()}
 * frees them) or be a view of another dataset ({@link #head}).
 */
public final class Dataset implements AutoCloseable {
    private final String name;
    private final Tensor images; // (n, channels, height, width)
    private final Tensor labels; // (n) I32
    private final int classes;
    private final TensorArena owned;

    /**
     * @param owned the arena holding the tensors, closed with this dataset; null for a view
     */
    public Dataset(String name, Tensor images, Tensor labels, int classes, TensorArena owned) {
        if (images.shape().rank() != 4 || images.dtype() != DType.F32) {
            throw new IllegalArgumentException("images of " + name + " must be F32 (N, C, H, W), got " + images);
        }
        if (labels.shape().rank() != 1 || labels.dtype() != DType.I32 || labels.shape().dim(0) != images.shape().dim(0)) {
            throw new IllegalArgumentException("labels of " + name + " must be I32 (" + images.shape().dim(0)
                    + ",), got " + labels);
        }
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be positive, got " + classes);
        }
        this.name = name;
        this.images = images;
        this.labels = labels;
        this.classes = classes;
        this.owned = owned;
    }

    public String name() {
        return name;
    }

    /** (N, C, H, W) float32. */
    public Tensor images() {
        return images;
    }

    /** (N) int32. */
    public Tensor labels() {
        return labels;
    }

    public int size() {
        return images.shape().dim(0);
    }

    public int classes() {
        return classes;
    }

    /** The shape of one sample: (C, H, W). */
    public Shape sampleShape() {
        int[] d = images.shape().dims();
        return Shape.of(d[1], d[2], d[3]);
    }

    /** Floats per sample: C * H * W. */
    public long sampleSize() {
        return images.shape().innerSize();
    }

    public int label(int i) {
        return labels.getInt(i);
    }

    /** How many samples of each class. */
    public int[] labelCounts() {
        int[] counts = new int[classes];
        MemorySegment s = labels.segment();
        for (int i = 0, n = size(); i < n; i++) {
            counts[s.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i)]++;
        }
        return counts;
    }

    /** The first {@code n} samples (all if {@code n >= size()}), as a view sharing this dataset's memory. */
    public Dataset head(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a dataset needs at least one sample, asked for " + n);
        }
        if (n >= size()) {
            return new Dataset(name, images, labels, classes, null);
        }
        return new Dataset(name, images.slice(0, n), labels.slice(0, n), classes, null);
    }

    /** Frees the tensors if this dataset owns them; views do nothing. */
    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }

    @Override
    public String toString() {
        return name + images.shape();
    }
}
