package io.mpsl.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.Random;

/** Random tensors and comparisons for kernel tests; one arena per test, closed with it. */
public final class TestTensors implements AutoCloseable {
    private final TensorArena arena = new TensorArena(MemoryAccount.root("kernel-test"));
    private final Random random;

    public TestTensors(long seed) {
        this.random = new Random(seed);
    }

    public Random random() {
        return random;
    }

    public Tensor zeros(int... dims) {
        return arena.allocate(dims);
    }

    public Tensor filled(float value, int... dims) {
        return arena.allocate(dims).fill(value);
    }

    /** Uniform in [-1, 1). */
    public Tensor uniform(int... dims) {
        return uniform(-1f, 1f, dims);
    }

    public Tensor uniform(float lo, float hi, int... dims) {
        Tensor t = arena.allocate(dims);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, lo + (hi - lo) * random.nextFloat());
        }
        return t;
    }

    public Tensor copy(Tensor t) {
        return arena.allocate(t.shape(), t.dtype()).copyFrom(t);
    }

    public Tensor labels(int batch, int classes) {
        Tensor t = arena.allocate(Shape.of(batch), DType.I32);
        for (int n = 0; n < batch; n++) {
            t.setInt(n, random.nextInt(classes));
        }
        return t;
    }

    /** Largest |a - b| / (1 + |b|) over all elements; NaN anywhere gives infinity. */
    public static double maxRelativeDiff(Tensor actual, Tensor expected) {
        if (actual.size() != expected.size()) {
            throw new IllegalArgumentException(actual.shape() + " vs " + expected.shape());
        }
        double worst = 0;
        for (long i = 0; i < actual.size(); i++) {
            double a = actual.get(i);
            double e = expected.get(i);
            double d = Math.abs(a - e) / (1 + Math.abs(e));
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, d);
        }
        return worst;
    }

    /** Asserts actual matches expected within {@code tolerance} (relative to 1 + |expected|), printing the gap. */
    public static void assertClose(String what, Tensor actual, Tensor expected, double tolerance) {
        double diff = maxRelativeDiff(actual, expected);
        System.out.printf("%-60s max diff %.3g%n", what, diff);
        assertTrue(diff <= tolerance, what + ": max difference " + diff + " exceeds " + tolerance);
    }

    @Override
    public void close() {
        arena.close();
    }
}
