package io.mpsl.nn;

/**
 * SplitMix64: a small, fast generator whose output depends only on its seed, so weights, dropout masks and
 * synthetic data are bit-identical on every JVM and machine. Not thread-safe; make one per use.
 */
public final class SeededRandom {
    private long state;
    private double spareGaussian = Double.NaN;

    public SeededRandom(long seed) {
        this.state = seed;
    }

    /** A seed derived from two values (e.g. a model seed and a block index) with good mixing. */
    public static long mix(long a, long b) {
        return mix64(mix64(a + 0x9E3779B97F4A7C15L) ^ (b * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL));
    }

    /** The SplitMix64 finaliser: a bijective 64-bit hash. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix64(state);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        return (int) (((nextLong() >>> 33) * bound) >>> 31);
    }

    /** Standard normal by Marsaglia's polar method (two per accepted pair; the second is kept for the next call). */
    public double nextGaussian() {
        if (!Double.isNaN(spareGaussian)) {
            double g = spareGaussian;
            spareGaussian = Double.NaN;
            return g;
        }
        double u;
        double v;
        double s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spareGaussian = v * m;
        return u * m;
    }
}
