package io.mpsl.nn.data;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * A seeded random dataset of any sample shape, for benchmarks and tests. Each class has a fixed random
 * prototype; sample i is {@code x = 0.5 * prototype[label] + noise}, noise and prototypes N(0, 1), labels
 * uniform over the classes. It is learnable (a model's loss falls on it) yet costs nothing to obtain.
 */
public final class SyntheticDataset {
    private SyntheticDataset() {
    }

    /**
     * @param sampleShape (C, H, W) of one sample
     */
    public static Dataset create(String name, Shape sampleShape, int classes, int samples, long seed,
            MemoryAccount account) {
        if (sampleShape.rank() != 3) {
            throw new IllegalArgumentException("sample shape must be (C, H, W), got " + sampleShape);
        }
        if (classes < 1 || samples < 1) {
            throw new IllegalArgumentException("need at least one class and one sample, got " + classes + " classes and "
                    + samples + " samples");
        }
        int sample = Math.toIntExact(sampleShape.size());
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] prototypes = new float[classes][sample];
        for (float[] p : prototypes) {
            for (int j = 0; j < sample; j++) {
                p[j] = (float) rng.nextGaussian();
            }
        }
        TensorArena arena = new TensorArena(account.child(name));
        Tensor x = arena.allocate(Shape.of(samples, sampleShape.dim(0), sampleShape.dim(1), sampleShape.dim(2)),
                DType.F32);
        Tensor y = arena.allocate(Shape.of(samples), DType.I32);
        float[] row = new float[sample];
        MemorySegment xs = x.segment();
        for (int i = 0; i < samples; i++) {
            int label = rng.nextInt(classes);
            y.setInt(i, label);
            float[] p = prototypes[label];
            for (int j = 0; j < sample; j++) {
                row[j] = 0.5f * p[j] + (float) rng.nextGaussian();
            }
            MemorySegment.copy(row, 0, xs, ValueLayout.JAVA_FLOAT_UNALIGNED, (long) i * sample * Float.BYTES, sample);
        }
        return new Dataset(name, x, y, classes, arena);
    }
}
