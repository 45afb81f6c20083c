package io.mpsl.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;

/**
 * Checks a segment's backward against central finite differences of the objective f = sum(out * probe), in
 * double, for the input gradient and every parameter gradient, on up to {@code samples} entries per tensor.
 * An entry passes if the central difference or, where a ReLU kink lies within the step, one of the one-sided
 * differences agrees with backward.
 */
public final class GradientCheck {
    private GradientCheck() {
    }

    /** Distinct values on a grid of step 0.05 offset by half a step, shuffled: no kink of ReLU, max or hswish is near. */
    public static void fillSpread(Tensor t, SeededRandom rng, double scale) {
        int n = Math.toIntExact(t.size());
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        double step = Math.min(0.05, 8.0 / n);
        for (int i = 0; i < n; i++) {
            t.set(i, (float) (scale * ((perm[i] - n / 2) + 0.5) * step));
        }
    }

    public static void fillGaussian(Tensor t, SeededRandom rng, double scale) {
        for (long i = 0; i < t.size(); i++) {
            t.set(i, (float) (scale * rng.nextGaussian()));
        }
    }

    private static double objective(Tensor out, Tensor probe) {
        double f = 0;
        for (long i = 0; i < out.size(); i++) {
            f += (double) out.get(i) * probe.get(i);
        }
        return f;
    }

    /**
     * Runs the check on the whole of {@code spec} (batch {@code batch}), returns the largest relative difference
     * seen, and fails if any difference is above {@code tolerance} (relative to max(1, |gradient|)).
     */
    public static double check(String label, ModelSpec spec, boolean training, int batch, double h, double tolerance,
            int samples, long seed) {
        Backend backend = new ScalarBackend();
        Segment seg = spec.build(0, spec.blockCount(), backend, true);
        MemoryAccount account = MemoryAccount.root(label);
        try (ParameterState state = seg.newState(seed, OptimizerSpec.sgd(0f, 0f, 0f), account);
                ActivationContext ctx = seg.newContext(batch, account);
                TensorArena arena = new TensorArena(account)) {
            SeededRandom rng = new SeededRandom(seed + 1);
            Tensor x = arena.allocate(Shapes.batched(batch, seg.inputShape()));
            fillSpread(x, rng, 1.0);
            Tensor probe = arena.allocate(Shapes.batched(batch, seg.outputShape()));
            fillGaussian(probe, rng, 1.0);
            if (!training) {
                // give batch-norm running statistics something other than (0, 1) to work with
                seg.forward(state, ctx, x, true);
            }
            seg.forward(state, ctx, x, training);
            float[] dIn = seg.backward(state, ctx, probe).toFloatArray();
            double worst = compare(label + " input", x, dIn, seg, state, ctx, x, probe, training, h, tolerance, samples,
                    rng);
            for (int p = 0; p < state.size(); p++) {
                float[] grad = state.grad(p).toFloatArray();
                worst = Math.max(worst, compare(label + " " + state.name(p), state.value(p), grad, seg, state, ctx, x, probe,
                        training, h, tolerance, samples, rng));
            }
            System.out.printf("%-40s largest relative difference to finite differences: %.3e%n", label, worst);
            return worst;
        }
    }

    private static double compare(String what, Tensor target, float[] analytic, Segment seg, ParameterState state,
            ActivationContext ctx, Tensor x, Tensor probe, boolean training, double h, double tolerance, int samples,
            SeededRandom rng) {
        long n = target.size();
        double worst = 0;
        int count = (int) Math.min(n, samples);
        for (int s = 0; s < count; s++) {
            long i = n <= samples ? s : (long) (rng.nextDouble() * n);
            float original = target.get(i);
            double mid = objective(seg.forward(state, ctx, x, training), probe);
            target.set(i, (float) (original + h));
            double up = objective(seg.forward(state, ctx, x, training), probe);
            target.set(i, (float) (original - h));
            double down = objective(seg.forward(state, ctx, x, training), probe);
            target.set(i, original);
            double fd = (up - down) / (2 * h);
            double a = analytic[(int) i];
            // a ReLU kink inside [x - h, x + h] spoils the central difference but only one of the one-sided ones
            double diff = Math.min(Math.abs(fd - a), Math.min(Math.abs((up - mid) / h - a), Math.abs((mid - down) / h
                    - a))) / Math.max(1.0, Math.abs(a));
            worst = Math.max(worst, diff);
            assertTrue(diff <= tolerance, what + "[" + i + "]: backward gives " + a + ", finite differences " + fd);
        }
        return worst;
    }
}
