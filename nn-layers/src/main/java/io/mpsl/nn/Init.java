package io.mpsl.nn;

import io.mpsl.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** How a parameter tensor is initialised from a {@link SeededRandom}. */
public enum Init {
    /** He (Kaiming) normal, fan-in mode: w ~ N(0, 2 / fanIn). For layers followed by ReLU. */
    HE_NORMAL,
    /** Xavier (Glorot) uniform: w ~ U(-a, a), a = sqrt(6 / (fanIn + fanOut)). */
    XAVIER_UNIFORM,
    /** All zeros (biases, batch-norm shift). */
    ZEROS,
    /** All ones (batch-norm scale). */
    ONES;

    private static final int CHUNK = 4096;

    /** Fills {@code t}, drawing from {@code rng} in index order. */
    public void fill(Tensor t, SeededRandom rng, int fanIn, int fanOut) {
        if (this == ZEROS || this == ONES) {
            t.fill(this == ONES ? 1f : 0f);
            return;
        }
        double std = Math.sqrt(2.0 / fanIn);
        double a = Math.sqrt(6.0 / (fanIn + fanOut));
        float[] chunk = new float[(int) Math.min(CHUNK, t.size())];
        for (long start = 0, n = t.size(); start < n; start += chunk.length) {
            int len = (int) Math.min(chunk.length, n - start);
            for (int i = 0; i < len; i++) {
                chunk[i] = this == HE_NORMAL ? (float) (std * rng.nextGaussian()) : (float) (a * (2 * rng.nextDouble()
                        - 1));
            }
            MemorySegment.copy(chunk, 0, t.segment(), ValueLayout.JAVA_FLOAT_UNALIGNED, start * Float.BYTES, len);
        }
    }
}
