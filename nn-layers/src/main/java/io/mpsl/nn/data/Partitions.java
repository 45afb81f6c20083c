package io.mpsl.nn.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Splits the samples of a dataset over data owners. Every sample goes to exactly one owner; the same seed
 * gives the same split. Each owner's indices are returned in ascending order.
 */
public final class Partitions {
    private Partitions() {
    }

    /** IID: a seeded random permutation cut into {@code owners} parts whose sizes differ by at most one. */
    public static int[][] iid(int samples, int owners, long seed) {
        check(samples, owners);
        int[] perm = new int[samples];
        for (int i = 0; i < samples; i++) {
            perm[i] = i;
        }
        BatchLoader.shuffle(perm, seed, 0);
        int[][] parts = new int[owners][];
        int from = 0;
        for (int o = 0; o < owners; o++) {
            int size = samples / owners + (o < samples % owners ? 1 : 0);
            parts[o] = Arrays.copyOfRange(perm, from, from + size);
            Arrays.sort(parts[o]);
            from += size;
        }
        return parts;
    }

    /**
     * Non-IID by label: for each class k, proportions {@code p ~ Dirichlet(alpha, ..., alpha)} over owners and
     * the samples of class k dealt out in those proportions (rounded by largest remainder). Small alpha gives
     * each owner few classes; large alpha tends to IID. Some owners may receive no sample when alpha is small.
     *
     * @param labels the label of each sample, in {@code [0, classes)}
     */
    public static int[][] dirichlet(int[] labels, int classes, int owners, double alpha, long seed) {
        check(labels.length, owners);
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("Dirichlet alpha must be positive and finite, got " + alpha);
        }
        int[] perClass = new int[classes];
        for (int y : labels) {
            if (y < 0 || y >= classes) {
                throw new IllegalArgumentException("label " + y + " outside [0, " + classes + ")");
            }
            perClass[y]++;
        }
        int[][] byClass = new int[classes][];
        int[] fill = new int[classes];
        for (int k = 0; k < classes; k++) {
            byClass[k] = new int[perClass[k]];
        }
        for (int i = 0; i < labels.length; i++) {
            byClass[labels[i]][fill[labels[i]]++] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int[][] parts = new int[owners][labels.length];
        int[] sizes = new int[owners];
        double[] p = new double[owners];
        for (int k = 0; k < classes; k++) {
            int[] idx = byClass[k];
            BatchLoader.shuffle(idx, seed + 31L * k, 1);
            dirichletSample(p, alpha, rng);
            int[] counts = apportion(idx.length, p);
            int from = 0;
            for (int o = 0; o < owners; o++) {
                System.arraycopy(idx, from, parts[o], sizes[o], counts[o]);
                sizes[o] += counts[o];
                from += counts[o];
            }
        }
        for (int o = 0; o < owners; o++) {
            parts[o] = Arrays.copyOf(parts[o], sizes[o]);
            Arrays.sort(parts[o]);
        }
        return parts;
    }

    /** Fills {@code p} with a draw of Dirichlet(alpha, ..., alpha), computed in log space so tiny alpha works. */
    static void dirichletSample(double[] p, double alpha, SplittableRandom rng) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < p.length; i++) {
            p[i] = logGamma(alpha, rng);
            max = Math.max(max, p[i]);
        }
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(p[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
    }

    /**
     * log of a Gamma(shape, 1) draw: Marsaglia and Tsang's method for shape >= 1; for shape < 1,
     * Gamma(shape) = Gamma(shape + 1) * U^(1/shape).
     */
    static double logGamma(double shape, SplittableRandom rng) {
        if (shape < 1) {
            double u = 1.0 - rng.nextDouble(); // (0, 1]
            return logGamma(shape + 1, rng) + Math.log(u) / shape;
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9 * d);
        while (true) {
            double x = rng.nextGaussian();
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = 1.0 - rng.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return Math.log(d * v);
            }
        }
    }

    /** Integer counts summing to {@code total} in proportions {@code p} (largest remainder). */
    static int[] apportion(int total, double[] p) {
        int[] counts = new int[p.length];
        double[] rem = new double[p.length];
        int given = 0;
        for (int i = 0; i < p.length; i++) {
            double exact = total * p[i];
            counts[i] = (int) Math.floor(exact);
            rem[i] = exact - counts[i];
            given += counts[i];
        }
        while (given > total) { // only if rounding made p sum above 1
            int most = 0;
            for (int i = 1; i < p.length; i++) {
                if (counts[i] > counts[most]) {
                    most = i;
                }
            }
            counts[most]--;
            given--;
        }
        while (given < total) {
            int best = 0;
            for (int i = 1; i < p.length; i++) {
                if (rem[i] > rem[best]) {
                    best = i;
                }
            }
            counts[best]++;
            rem[best] = -1;
            given++;
        }
        return counts;
    }

    private static void check(int samples, int owners) {
        if (owners < 1) {
            throw new IllegalArgumentException("need at least one data owner, got " + owners);
        }
        if (samples < owners) {
            throw new IllegalArgumentException(samples + " samples cannot be split over " + owners + " owners");
        }
    }
}
