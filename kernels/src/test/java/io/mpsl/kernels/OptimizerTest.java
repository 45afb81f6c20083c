package io.mpsl.kernels;

import static io.mpsl.kernels.TestTensors.assertClose;

import io.mpsl.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Optimizer steps of every backend against the update rules of torch.optim.SGD (dampening 0, no Nesterov)
 * and torch.optim.Adam (L2 weight decay, amsgrad off), written out here element by element in double over
 * several steps with a fresh gradient each step.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OptimizerTest {
    private static final int STEPS = 5;
    private final List<Backend> backends = TestBackends.create();

    List<Backend> backends() {
        return backends;
    }

    @AfterAll
    void closeBackends() {
        for (Backend b : backends) {
            b.close();
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void sgdFollowsPyTorchOverSeveralSteps(Backend backend) {
        long seed = System.nanoTime();
        System.out.println("== " + backend.name() + " sgd seed " + seed);
        float[][] settings = {{0.1f, 0.9f, 0.01f}, {0.05f, 0f, 0f}, {0.2f, 0.5f, 0f}, {0.1f, 0f, 0.1f}};
        try (TestTensors t = new TestTensors(seed)) {
            for (int size : new int[] {1, 19, 4099}) {
                for (float[] lrMomentumDecay : settings) {
                    float lr = lrMomentumDecay[0];
                    float momentum = lrMomentumDecay[1];
                    float decay = lrMomentumDecay[2];
                    Tensor param = t.uniform(size);
                    Tensor velocity = momentum == 0f ? null : t.zeros(size);
                    double[] p = toDoubles(param);
                    double[] buf = new double[size];
                    for (int step = 1; step <= STEPS; step++) {
                        Tensor grad = t.uniform(size);
                        backend.sgdStep(param, grad, velocity, lr, momentum, decay);
                        for (int i = 0; i < size; i++) {
                            double dp = grad.get(i) + (double) decay * p[i];
                            if (momentum != 0f) {
                                buf[i] = step == 1 ? dp : momentum * buf[i] + dp; // torch: buf = clone(d_p) first
                                dp = buf[i];
                            }
                            p[i] -= lr * dp;
                        }
                    }
                    assertClose("sgd n=" + size + " lr=" + lr + " momentum=" + momentum + " decay=" + decay, param,
                            fromDoubles(t, p), 1e-5);
                    if (velocity != null) {
                        assertClose("sgd momentum buffer n=" + size, velocity, fromDoubles(t, buf), 1e-5);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void adamFollowsPyTorchOverSeveralSteps(Backend backend) {
        long seed = System.nanoTime();
        System.out.println("== " + backend.name() + " adam seed " + seed);
        float[][] settings = {{1e-3f, 0.9f, 0.999f, 1e-8f, 0f}, {1e-2f, 0.8f, 0.99f, 1e-6f, 0.05f}};
        try (TestTensors t = new TestTensors(seed)) {
            for (int size : new int[] {1, 19, 4099}) {
                for (float[] h : settings) {
                    float lr = h[0];
                    float beta1 = h[1];
                    float beta2 = h[2];
                    float eps = h[3];
                    float decay = h[4];
                    Tensor param = t.uniform(size);
                    Tensor m = t.zeros(size);
                    Tensor v = t.zeros(size);
                    double[] p = toDoubles(param);
                    double[] em = new double[size];
                    double[] ev = new double[size];
                    for (int step = 1; step <= STEPS; step++) {
                        Tensor grad = t.uniform(size);
                        backend.adamStep(param, grad, m, v, lr, beta1, beta2, eps, decay, step);
                        double biasCorrection1 = 1 - Math.pow(beta1, step);
                        double biasCorrection2 = 1 - Math.pow(beta2, step);
                        double stepSize = lr / biasCorrection1;
                        for (int i = 0; i < size; i++) {
                            double g = grad.get(i) + (double) decay * p[i];
                            em[i] += (1 - (double) beta1) * (g - em[i]); // torch: exp_avg.lerp_(grad, 1 - beta1)
                            ev[i] = ev[i] * beta2 + (1 - (double) beta2) * g * g;
                            double denom = Math.sqrt(ev[i]) / Math.sqrt(biasCorrection2) + eps;
                            p[i] -= stepSize * em[i] / denom;
                        }
                    }
                    String what = " n=" + size + " lr=" + lr + " betas=" + beta1 + "," + beta2 + " decay=" + decay;
                    assertClose("adam param" + what, param, fromDoubles(t, p), 1e-5);
                    assertClose("adam exp_avg" + what, m, fromDoubles(t, em), 1e-5);
                    assertClose("adam exp_avg_sq" + what, v, fromDoubles(t, ev), 1e-5);
                }
            }
        }
    }

    private static double[] toDoubles(Tensor x) {
        double[] d = new double[(int) x.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = x.get(i);
        }
        return d;
    }

    private static Tensor fromDoubles(TestTensors t, double[] d) {
        Tensor x = t.zeros(d.length);
        for (int i = 0; i < d.length; i++) {
            x.set(i, (float) d[i]);
        }
        return x;
    }
}
