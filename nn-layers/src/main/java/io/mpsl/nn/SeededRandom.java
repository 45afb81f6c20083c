package io.mpsl.nn;

/**
 * SplitMix64: a small, fast generator whose output depends only on its seed, so weights, dropout masks and
 * synthetic data are bit-identical on every JVM and machine. Not thread-safe; make one per use.
 */
public final class SeededRandom {
    private long state;

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

    /**
     * Standard normal by inverting its distribution function at one uniform draw in (0, 1): Acklam's rational
     * approximation (relative error below 1.2e-9), a polynomial ratio in the central 95% and one logarithm in the
     * tails. One draw per value and no rejection, so it is fast and its output is a plain function of the stream.
     */
    public double nextGaussian() {
        return inverseNormal(((nextLong() >>> 11) + 0.5) * 0x1.0p-53);
    }

    private static final double A0 = -3.969683028665376e+01;
    private static final double A1 = 2.209460984245205e+02;
    private static final double A2 = -2.759285104469687e+02;
    private static final double A3 = 1.383577518672690e+02;
    private static final double A4 = -3.066479806614716e+01;
    private static final double A5 = 2.506628277459239e+00;
    private static final double B0 = -5.447609879822406e+01;
    private static final double B1 = 1.615858368580409e+02;
    private static final double B2 = -1.556989798598866e+02;
    private static final double B3 = 6.680131188771972e+01;
    private static final double B4 = -1.328068155288572e+01;
    private static final double C0 = -7.784894002430293e-03;
    private static final double C1 = -3.223964580411365e-01;
    private static final double C2 = -2.400758277161838e+00;
    private static final double C3 = -2.549732539343734e+00;
    private static final double C4 = 4.374664141464968e+00;
    private static final double C5 = 2.938163982698783e+00;
    private static final double D0 = 7.784695709041462e-03;
    private static final double D1 = 3.224671290700398e-01;
    private static final double D2 = 2.445134137142996e+00;
    private static final double D3 = 3.754408661907416e+00;
    private static final double P_LOW = 0.02425;

    /** x with Phi(x) = p, for p in (0, 1). */
    static double inverseNormal(double p) {
        if (p < P_LOW) {
            return tail(Math.sqrt(-2 * Math.log(p)));
        }
        if (p > 1 - P_LOW) {
            return -tail(Math.sqrt(-2 * Math.log(1 - p)));
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q
                / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
    }

    private static double tail(double q) {
        return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
    }
}
