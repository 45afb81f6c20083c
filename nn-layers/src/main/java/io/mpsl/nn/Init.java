package io.mpsl.nn;

import io.mpsl.tensor.Tensor;

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

    /** Fills {@code t}, drawing from {@code rng} in index order. */
    public void fill(Tensor t, SeededRandom rng, int fanIn, int fanOut) {
        long n = t.size();
        switch (this) {
            case HE_NORMAL -> {
                double std = Math.sqrt(2.0 / fanIn);
                for (long i = 0; i < n; i++) {
                    t.set(i, (float) (std * rng.nextGaussian()));
                }
            }
            case XAVIER_UNIFORM -> {
                double a = Math.sqrt(6.0 / (fanIn + fanOut));
                for (long i = 0; i < n; i++) {
                    t.set(i, (float) (a * (2 * rng.nextDouble() - 1)));
                }
            }
            case ZEROS -> t.fill(0f);
            case ONES -> t.fill(1f);
        }
    }
}
