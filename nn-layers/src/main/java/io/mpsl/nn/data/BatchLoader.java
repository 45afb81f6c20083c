package io.mpsl.nn.data;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Iterates over a dataset (or a subset of its samples) in mini-batches, copying each batch into tensors
 * allocated once: {@link #images()} (batch, C, H, W) and {@link #labels()} (batch). With shuffling, the order
 * of epoch {@code e} is a permutation drawn from {@code (seed, e)} alone, so a run resumed at (epoch, batch)
 * with {@link #seek} sees exactly the batches an uninterrupted run would. The last batch of an epoch may be
 * smaller; {@link #images()} is then a view of its first rows (views made once, so {@link #next()} allocates
 * nothing).
 *
 * <p>Typical use: {@code loader.startEpoch(e); while (loader.hasNext()) { int n = loader.next(); ... }}.
 */
public final class BatchLoader {
    private final Dataset data;
    private final int[] indices;
    private final int[] order;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final long sampleBytes;
    private final Tensor fullImages; // (batchSize, C, H, W)
    private final Tensor fullLabels; // (batchSize) I32
    private final Tensor lastImages; // (last batch size, C, H, W), a view of fullImages
    private final Tensor lastLabels; // (last batch size) I32, a view of fullLabels
    private Tensor images;
    private Tensor labels;
    private int epoch = -1;
    private int batch;

    /**
     * @param indices the samples of {@code data} to iterate over (a partition), or null for all of them
     * @param arena where the batch tensors live
     */
    public BatchLoader(Dataset data, int[] indices, int batchSize, long seed, boolean shuffle, TensorArena arena) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (indices == null) {
            indices = new int[data.size()];
            for (int i = 0; i < indices.length; i++) {
                indices[i] = i;
            }
        } else {
            indices = indices.clone();
            for (int i : indices) {
                if (i < 0 || i >= data.size()) {
                    throw new IllegalArgumentException("sample index " + i + " outside " + data);
                }
            }
        }
        if (indices.length == 0) {
            throw new IllegalArgumentException("no samples to iterate over in " + data);
        }
        this.data = data;
        this.indices = indices;
        this.order = indices.clone();
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.sampleBytes = data.sampleSize() * Float.BYTES;
        int[] d = data.images().shape().dims();
        this.fullImages = arena.allocate(Shape.of(batchSize, d[1], d[2], d[3]), DType.F32);
        this.fullLabels = arena.allocate(Shape.of(batchSize), DType.I32);
        int last = indices.length % batchSize == 0 ? batchSize : indices.length % batchSize;
        this.lastImages = last == batchSize ? fullImages : fullImages.slice(0, last);
        this.lastLabels = last == batchSize ? fullLabels : fullLabels.slice(0, last);
        this.images = fullImages;
        this.labels = fullLabels;
    }

    /** Samples per epoch. */
    public int samples() {
        return indices.length;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch, the last one possibly partial: ceil(samples / batchSize). */
    public int batchesPerEpoch() {
        return (indices.length + batchSize - 1) / batchSize;
    }

    /** Begins epoch {@code e} (0-based) at its first batch. */
    public void startEpoch(int e) {
        seek(e, 0);
    }

    /** Positions the loader at batch {@code b} of epoch {@code e}: the next {@link #next()} loads that batch. */
    public void seek(int e, int b) {
        if (e < 0 || b < 0 || b > batchesPerEpoch()) {
            throw new IllegalArgumentException("cannot seek to epoch " + e + " batch " + b + " of "
                    + batchesPerEpoch());
        }
        if (e != epoch) {
            System.arraycopy(indices, 0, order, 0, indices.length);
            if (shuffle) {
                shuffle(order, seed, e);
            }
            epoch = e;
        }
        batch = b;
    }

    /** The current epoch (0-based), or -1 before {@link #startEpoch}. */
    public int epoch() {
        return epoch;
    }

    /** The index of the next batch to load within the epoch. */
    public int batchIndex() {
        return batch;
    }

    public boolean hasNext() {
        return epoch >= 0 && batch < batchesPerEpoch();
    }

    /** Loads the next batch into {@link #images()} and {@link #labels()}; returns how many samples it holds. */
    public int next() {
        if (!hasNext()) {
            throw new IllegalStateException("epoch " + epoch + " has no batch " + batch + "; call startEpoch first");
        }
        int from = batch * batchSize;
        int n = Math.min(batchSize, indices.length - from);
        MemorySegment src = data.images().segment();
        MemorySegment dst = fullImages.segment();
        Tensor srcLabels = data.labels();
        for (int i = 0; i < n; i++) {
            int s = order[from + i];
            MemorySegment.copy(src, s * sampleBytes, dst, i * sampleBytes, sampleBytes);
            fullLabels.setInt(i, srcLabels.getInt(s));
        }
        images = n == batchSize ? fullImages : lastImages;
        labels = n == batchSize ? fullLabels : lastLabels;
        batch++;
        return n;
    }

    /** The batch last loaded: (n, C, H, W). */
    public Tensor images() {
        return images;
    }

    /** The labels of the batch last loaded: (n) I32. */
    public Tensor labels() {
        return labels;
    }

    /** The dataset index at {@code position} of the current epoch's order (for tests and diagnostics). */
    public int sampleAt(int position) {
        return order[position];
    }

    /** Fisher-Yates shuffle with a generator seeded from (seed, epoch) only. */
    static void shuffle(int[] a, long seed, int epoch) {
        SplittableRandom rng = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (epoch + 1L)));
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
