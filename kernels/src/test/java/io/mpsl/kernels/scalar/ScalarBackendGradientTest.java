package io.mpsl.kernels.scalar;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.PoolSpec;
import io.mpsl.kernels.TestTensors;
import io.mpsl.tensor.Tensor;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The oracle's backward passes against central finite differences of a double-precision objective,
 * f = sum(out * probe) for a fixed random probe (or the loss itself for softmax cross-entropy), so the
 * oracle is not trusted on its own word. Inputs of the non-smooth operations are kept away from their kinks.
 */
class ScalarBackendGradientTest {
    private final ScalarBackend oracle = new ScalarBackend();

    private static TestTensors tensors(String test) {
        long seed = System.nanoTime();
        System.out.println("== " + test + " seed " + seed);
        return new TestTensors(seed);
    }

    /** f = sum_i out[i] * probe[i], in double. */
    private static double dot(Tensor out, Tensor probe) {
        double s = 0;
        for (long i = 0; i < out.size(); i++) {
            s += (double) out.get(i) * probe.get(i);
        }
        return s;
    }

    /**
     * Compares analytic[i] with (f(x + eps e_i) - f(x - eps e_i)) / (2 eps) for every element of x, where the
     * step is the one float rounding actually made; prints the largest difference.
     */
    private static void assertGradient(String what, Tensor x, Tensor analytic, DoubleSupplier f, float eps,
            double tolerance) {
        double worst = 0;
        for (long i = 0; i < x.size(); i++) {
            float saved = x.get(i);
            float up = saved + eps;
            float down = saved - eps;
            x.set(i, up);
            double fUp = f.getAsDouble();
            x.set(i, down);
            double fDown = f.getAsDouble();
            x.set(i, saved);
            double numeric = (fUp - fDown) / ((double) up - down);
            double diff = Math.abs(numeric - analytic.get(i)) / (1 + Math.abs(numeric));
            worst = Math.max(worst, diff);
        }
        System.out.printf("%-70s max diff to finite differences %.3g%n", what, worst);
        assertTrue(worst <= tolerance, what + ": max difference " + worst + " exceeds " + tolerance);
    }

    @Test
    void convolutionBackwardPassesMatchFiniteDifferences() {
        ConvSpec[] specs = {
            ConvSpec.of(2, 3, 5, 4, 2, 3, 2, 1),
            new ConvSpec(1, 2, 6, 5, 3, 2, 3, 1, 2, 1, 0, 1),
            ConvSpec.of(2, 4, 5, 5, 4, 3, 1, 1).withGroups(2),
            ConvSpec.of(2, 3, 5, 5, 3, 3, 1, 1).withGroups(3)};
        try (TestTensors t = tensors("conv finite differences")) {
            for (ConvSpec s : specs) {
                Tensor in = t.uniform(s.batch(), s.inChannels(), s.inH(), s.inW());
                Tensor w = t.uniform(s.outChannels(), s.inChannels() / s.groups(), s.kernelH(), s.kernelW());
                Tensor out = t.zeros(s.batch(), s.outChannels(), s.outH(), s.outW());
                Tensor probe = t.uniform(s.batch(), s.outChannels(), s.outH(), s.outW());
                DoubleSupplier f = () -> {
                    oracle.conv2dForward(out, in, w, s);
                    return dot(out, probe);
                };
                Tensor dIn = t.zeros(s.batch(), s.inChannels(), s.inH(), s.inW());
                oracle.conv2dBackwardData(dIn, probe, w, s);
                assertGradient("conv backward data " + s, in, dIn, f, 1e-2f, 1e-4);
                Tensor dW = t.zeros(s.outChannels(), s.inChannels() / s.groups(), s.kernelH(), s.kernelW());
                oracle.conv2dBackwardWeights(dW, probe, in, s);
                assertGradient("conv backward weights " + s, w, dW, f, 1e-2f, 1e-4);
            }
        }
    }

    /** Distinct values 0.01 apart, shuffled, so a small step never changes which element is the maximum. */
    private static Tensor distinct(TestTensors t, int... dims) {
        Tensor x = t.zeros(dims);
        int n = (int) x.size();
        for (int i = 0; i < n; i++) {
            x.set(i, (i - n / 2) * 0.01f);
        }
        for (int i = n - 1; i > 0; i--) {
            int j = t.random().nextInt(i + 1);
            float a = x.get(i);
            x.set(i, x.get(j));
            x.set(j, a);
        }
        return x;
    }

    @Test
    void poolingBackwardPassesMatchFiniteDifferences() {
        PoolSpec[] specs = {PoolSpec.of(2, 2, 6, 5, 2, 2, 0), PoolSpec.of(1, 3, 7, 6, 3, 2, 1),
            new PoolSpec(2, 1, 5, 7, 2, 3, 1, 2, 1, 1)};
        try (TestTensors t = tensors("pool finite differences")) {
            for (PoolSpec s : specs) {
                Tensor in = distinct(t, s.batch(), s.channels(), s.inH(), s.inW());
                Tensor out = t.zeros(s.batch(), s.channels(), s.outH(), s.outW());
                Tensor probe = t.uniform(s.batch(), s.channels(), s.outH(), s.outW());
                Tensor dIn = t.zeros(s.batch(), s.channels(), s.inH(), s.inW());

                oracle.maxPoolBackward(dIn, probe, in, s);
                assertGradient("max pool backward " + s, in, dIn, () -> {
                    oracle.maxPoolForward(out, in, s);
                    return dot(out, probe);
                }, 2e-3f, 1e-4);

                oracle.avgPoolBackward(dIn, probe, s);
                assertGradient("avg pool backward " + s, in, dIn, () -> {
                    oracle.avgPoolForward(out, in, s);
                    return dot(out, probe);
                }, 1e-2f, 1e-4);
            }
            Tensor in = t.uniform(3, 4, 7);
            Tensor out = t.zeros(3, 4);
            Tensor probe = t.uniform(3, 4);
            Tensor dIn = t.zeros(3, 4, 7);
            oracle.globalAvgPoolBackward(dIn, probe, 3, 4, 7);
            assertGradient("global avg pool backward (3, 4, 7)", in, dIn, () -> {
                oracle.globalAvgPoolForward(out, in, 3, 4, 7);
                return dot(out, probe);
            }, 1e-2f, 1e-4);
        }
    }

    /** Uniform in [-5, 5), nudged at least {@code gap} away from each kink. */
    private static Tensor awayFrom(TestTensors t, float gap, float[] kinks, int n) {
        Tensor x = t.uniform(-5f, 5f, n);
        for (int i = 0; i < n; i++) {
            for (float k : kinks) {
                float v = x.get(i);
                if (Math.abs(v - k) < gap) {
                    x.set(i, v < k ? k - gap : k + gap);
                }
            }
        }
        return x;
    }

    @Test
    void activationBackwardPassesMatchFiniteDifferences() {
        try (TestTensors t = tensors("activation finite differences")) {
            int n = 257;
            Tensor probe = t.uniform(n);
            Tensor out = t.zeros(n);
            Tensor dIn = t.zeros(n);

            Tensor x = awayFrom(t, 0.05f, new float[] {0f}, n);
            oracle.reluBackward(dIn, probe, x);
            assertGradient("relu backward", x, dIn, () -> {
                oracle.reluForward(out, x);
                return dot(out, probe);
            }, 1e-3f, 1e-4);

            Tensor h = awayFrom(t, 0.05f, new float[] {-3f, 3f}, n);
            oracle.hswishBackward(dIn, probe, h);
            assertGradient("hswish backward", h, dIn, () -> {
                oracle.hswishForward(out, h);
                return dot(out, probe);
            }, 1e-3f, 1e-3);
        }
    }

    @Test
    void biasBackwardMatchesFiniteDifferences() {
        try (TestTensors t = tensors("bias finite differences")) {
            int batch = 3;
            int channels = 5;
            int spatial = 6;
            Tensor x = t.uniform(batch, channels, spatial);
            Tensor bias = t.uniform(channels);
            Tensor out = t.zeros(batch, channels, spatial);
            Tensor probe = t.uniform(batch, channels, spatial);
            Tensor dBias = t.zeros(channels);
            oracle.biasBackward(dBias, probe, batch, channels, spatial);
            assertGradient("bias backward (3, 5, 6)", bias, dBias, () -> {
                out.copyFrom(x);
                oracle.biasAdd(out, bias, batch, channels, spatial);
                return dot(out, probe);
            }, 1e-2f, 1e-4);
        }
    }

    @Test
    void softmaxCrossEntropyBackwardMatchesFiniteDifferencesOfTheLoss() {
        try (TestTensors t = tensors("softmax cross-entropy finite differences")) {
            int batch = 4;
            int classes = 7;
            Tensor logits = t.uniform(-3f, 3f, batch, classes);
            Tensor labels = t.labels(batch, classes);
            Tensor probs = t.zeros(batch, classes);
            Tensor dLogits = t.zeros(batch, classes);
            oracle.softmaxCrossEntropyForward(probs, logits, labels);
            oracle.softmaxCrossEntropyBackward(dLogits, probs, labels, 1f);
            assertGradient("softmax cross-entropy backward (4, 7)", logits, dLogits,
                    () -> oracle.softmaxCrossEntropyForward(probs, logits, labels), 1e-3f, 1e-4);
        }
    }
}
