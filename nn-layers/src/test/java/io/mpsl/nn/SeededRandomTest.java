package io.mpsl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SeededRandomTest {

    @Test
    void gaussianDrawsHaveTheMomentsAndTailsOfAStandardNormal() {
        SeededRandom rng = new SeededRandom(123);
        int n = 1_000_000;
        double sum = 0;
        double sq = 0;
        double fourth = 0;
        int beyond2 = 0;
        int beyond3 = 0;
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            sum += g;
            sq += g * g;
            fourth += g * g * g * g;
            beyond2 += Math.abs(g) > 2 ? 1 : 0;
            beyond3 += Math.abs(g) > 3 ? 1 : 0;
        }
        double mean = sum / n;
        double var = sq / n - mean * mean;
        System.out.printf("mean %.5f, variance %.5f, kurtosis %.4f, P(|g|>2) %.5f, P(|g|>3) %.6f%n", mean, var,
                fourth / n, (double) beyond2 / n, (double) beyond3 / n);
        assertEquals(0, mean, 0.005);
        assertEquals(1, var, 0.005);
        assertEquals(3, fourth / n, 0.03);
        assertEquals(0.0455, (double) beyond2 / n, 0.001);
        assertEquals(0.0027, (double) beyond3 / n, 0.0003);
    }

    @Test
    void inverseNormalHitsKnownQuantiles() {
        assertEquals(0.0, SeededRandom.inverseNormal(0.5), 1e-12);
        assertEquals(1.959963984540054, SeededRandom.inverseNormal(0.975), 1e-8);
        assertEquals(-2.326347874040841, SeededRandom.inverseNormal(0.01), 1e-8);
        assertEquals(3.090232306167814, SeededRandom.inverseNormal(0.999), 1e-8);
    }

    @Test
    void sameSeedSameStreamAndMixSeparatesBlocks() {
        SeededRandom a = new SeededRandom(SeededRandom.mix(7, 3));
        SeededRandom b = new SeededRandom(SeededRandom.mix(7, 3));
        SeededRandom c = new SeededRandom(SeededRandom.mix(7, 4));
        boolean differs = false;
        for (int i = 0; i < 100; i++) {
            long x = a.nextLong();
            assertEquals(x, b.nextLong());
            differs |= x != c.nextLong();
        }
        assertTrue(differs);
    }
}
