package io.mpsl.kernels.cpu;

import static io.mpsl.kernels.TestTensors.assertClose;

import io.mpsl.kernels.PoolSpec;
import io.mpsl.kernels.ScalarGemm;
import io.mpsl.kernels.TestTensors;
import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The 2x2 stride-2 max pooling loops (scalar; vector for rows of whole half vectors: 32x32, 16x16, 4x64; vector
 * for short rows: 8x8, 4x4, 2x2, 8x4)
 * against the scalar oracle, with many ties and odd sizes.
 */
class PoolingTest {
    private final ScalarBackend oracle = new ScalarBackend();

    @Test
    void shouldPickTheOracleFirstMaximumUnderTiesForEvenAndOddSizes() {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        List<PoolSpec> specs = List.of(PoolSpec.of(3, 5, 8, 8, 2, 2, 0), PoolSpec.of(2, 3, 7, 9, 2, 2, 0),
                PoolSpec.of(2, 17, 2, 2, 2, 2, 0), PoolSpec.of(1, 2, 3, 2, 2, 2, 0),
                PoolSpec.of(2, 4, 33, 31, 2, 2, 0), PoolSpec.of(2, 3, 32, 32, 2, 2, 0), PoolSpec.of(3, 5, 16, 16, 2, 2, 0),
                PoolSpec.of(2, 3, 4, 64, 2, 2, 0), PoolSpec.of(4, 16, 8, 8, 2, 2, 0), PoolSpec.of(3, 7, 8, 8, 2, 2, 0),
                PoolSpec.of(8, 9, 4, 4, 2, 2, 0), PoolSpec.of(5, 13, 2, 2, 2, 2, 0), PoolSpec.of(2, 6, 8, 4, 2, 2, 0),
                PoolSpec.of(3, 5, 4, 16, 2, 2, 0));
        try (TestTensors t = new TestTensors(seed);
                CpuBackend backend = new CpuBackend("scalar-gemm-2", new ScalarGemm(), 2)) {
            for (PoolSpec s : specs) {
                int[] inDims = {s.batch(), s.channels(), s.inH(), s.inW()};
                int[] outDims = {s.batch(), s.channels(), s.outH(), s.outW()};
                Tensor in = t.zeros(inDims);
                for (long i = 0; i < in.size(); i++) {
                    in.set(i, t.random().nextInt(3) - 1); // -1, 0, 1: most windows hold a tie
                }
                Tensor dOut = t.uniform(outDims);
                Tensor expected = t.zeros(outDims);
                oracle.maxPoolForward(expected, in, s);
                Tensor out = t.filled(Float.NaN, outDims);
                backend.maxPoolForward(out, in, s);
                assertClose("max pool forward " + s, out, expected, 0);

                Tensor expectedDIn = t.zeros(inDims);
                oracle.maxPoolBackward(expectedDIn, dOut, in, s);
                Tensor dIn = t.filled(Float.NaN, inDims);
                backend.maxPoolBackward(dIn, dOut, in, s);
                assertClose("max pool backward " + s, dIn, expectedDIn, 0);
            }
        }
    }
}
