package io.mpsl.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import io.mpsl.kernels.TestTensors;
import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tap-GEMM convolution against the scalar oracle, on every GEMM engine and several thread counts. */
class ShiftedConvolutionTest {
    private static final double TOLERANCE = 2e-5;
    /**
     * Weight gradients sum batch * outH * outW products (up to ~7000 here) in float, in another order than
     * the oracle: rounding alone reaches ~7e-5 of the sum's scale. A wrong tap or offset is off by O(1).
     */
    private static final double WEIGHT_TOLERANCE = 2e-4;
    private final ScalarBackend oracle = new ScalarBackend();

    /** Shapes the shifted path takes: odd sizes and channels, kernels 1, 3, 5 and 3x5, padding 0 to 2. */
    private static List<ConvSpec> specs() {
        return List.of(
                ConvSpec.of(3, 17, 11, 13, 19, 3, 1, 1),
                ConvSpec.of(5, 32, 16, 16, 48, 3, 1, 1),
                ConvSpec.of(2, 16, 24, 24, 16, 5, 1, 2),
                ConvSpec.of(3, 19, 6, 7, 17, 1, 1, 0),
                new ConvSpec(2, 16, 14, 20, 21, 3, 5, 1, 1, 1, 2, 1),
                ConvSpec.of(1, 16, 46, 46, 16, 3, 1, 0),
                ConvSpec.of(2, 16, 20, 20, 18, 3, 1, 2),
                ConvSpec.of(3, 64, 16, 16, 16, 3, 1, 1));
    }

    @Test
    void shouldTakeOnlyStrideOneSingleGroupMapsWithLittleDroppedWork() {
        assertTrue(ShiftedConvolution.applies(ConvSpec.of(64, 64, 32, 32, 64, 3, 1, 1)));
        assertTrue(ShiftedConvolution.applies(ConvSpec.of(64, 128, 16, 16, 128, 3, 1, 1)));
        assertFalse(ShiftedConvolution.applies(ConvSpec.of(64, 3, 32, 32, 64, 3, 1, 1)), "3 input channels");
        assertFalse(ShiftedConvolution.applies(ConvSpec.of(64, 64, 32, 32, 8, 3, 1, 1)), "8 output channels");
        assertFalse(ShiftedConvolution.applies(ConvSpec.of(64, 64, 32, 32, 64, 3, 2, 1)), "stride 2");
        assertFalse(ShiftedConvolution.applies(ConvSpec.of(4, 64, 32, 32, 64, 3, 1, 1).withGroups(2)), "groups");
        assertFalse(ShiftedConvolution.applies(ConvSpec.of(4, 64, 32, 32, 64, 3, 1, 3)), "pad >= kernel");
        assertFalse(ShiftedConvolution.applies(ConvSpec.of(4, 64, 8, 8, 64, 3, 1, 1)), "8x8 map: 27% dropped");
        for (ConvSpec s : specs()) {
            assertTrue(ShiftedConvolution.applies(s), s.toString());
        }
    }

    @Test
    void shouldMatchOracleForwardDataAndWeightGradients() {
        ConvOracle.check(specs(), TOLERANCE, WEIGHT_TOLERANCE);
    }


    @Test
    void shouldRunEachPartsProductConcurrentlyOnTheGemmEngines() {
        // two threads each running their own one-thread products at once, many times, against the oracle
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        ConvSpec s = ConvSpec.of(8, 32, 16, 16, 32, 3, 1, 1);
        try (TestTensors t = new TestTensors(seed)) {
            for (CpuBackend backend : ConvOracle.engines()) {
                try (backend) {
                    Tensor in = t.uniform(8, 32, 16, 16);
                    Tensor w = t.uniform(32, 32, 3, 3);
                    Tensor expected = t.zeros(8, 32, 16, 16);
                    oracle.conv2dForward(expected, in, w, s);
                    Tensor out = t.zeros(8, 32, 16, 16);
                    Tensor product = t.zeros(64, 64);
                    double worst = 0;
                    for (int r = 0; r < 20; r++) {
                        out.fill(Float.NaN);
                        backend.conv2dForward(out, in, w, s);
                        // a multi-thread product between the parallel calls, as a network's dense layers make
                        Gemm gemm = backend.gemmEngine();
                        gemm.sgemm(false, false, 64, 64, 64, 1f, in.segment(), 0, 64, in.segment(), 4096, 64, 0f,
                                product.segment(), 0, 64);
                        worst = Math.max(worst, TestTensors.maxRelativeDiff(out, expected));
                    }
                    System.out.printf("%s: worst difference over 20 calls %.3g%n", backend.name(), worst);
                    assertTrue(worst <= TOLERANCE, backend.name() + ": " + worst);
                }
            }
        }
    }
}
