package io.mpsl.kernels.cpu;

import static io.mpsl.kernels.TestTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.ScalarGemm;
import io.mpsl.kernels.TestTensors;
import io.mpsl.kernels.openblas.OpenBlas;
import io.mpsl.kernels.openblas.OpenBlasGemm;
import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.kernels.vector.VectorGemm;
import io.mpsl.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The image-by-image im2col path of shallow convolutions (K = C * kh * kw <= 64) against the scalar oracle. */
class Im2ColConvolutionTest {
    private static final double TOLERANCE = 2e-5;
    /** Weight gradients sum batch * outH * outW products (up to ~5000 here) in another order than the oracle. */
    private static final double WEIGHT_TOLERANCE = 2e-4;
    private final ScalarBackend oracle = new ScalarBackend();

    /** A VGG first layer (RGB, 32x32), a 5x5 single-channel layer, strided and 1x1 ones, a batch of one. */
    private static List<ConvSpec> specs() {
        return List.of(
                ConvSpec.of(5, 3, 32, 32, 64, 3, 1, 1),
                ConvSpec.of(3, 1, 28, 28, 6, 5, 1, 2),
                ConvSpec.of(4, 3, 15, 17, 8, 3, 2, 1),
                ConvSpec.of(3, 40, 6, 6, 24, 1, 1, 0),
                ConvSpec.of(1, 7, 9, 9, 5, 3, 1, 0));
    }

    private static List<CpuBackend> backends() {
        List<CpuBackend> list = new ArrayList<>();
        OpenBlas.Loaded blas = OpenBlas.shared();
        if (blas.ok()) {
            for (int threads = 1; threads <= 3; threads++) {
                list.add(new CpuBackend("openblas-" + threads, new OpenBlasGemm(blas.library(), threads), threads));
            }
        } else {
            System.out.println("OpenBLAS engine skipped: " + blas.failure());
        }
        list.add(new CpuBackend("vector-2", new VectorGemm(2), 2));
        list.add(new CpuBackend("scalar-gemm-3", new ScalarGemm(), 3));
        return list;
    }

    @Test
    void shouldRunOnlyShallowSingleGroupConvolutionsImageByImage() {
        assertTrue(Im2ColConvolution.byImage(ConvSpec.of(64, 3, 32, 32, 64, 3, 1, 1)));
        assertFalse(Im2ColConvolution.byImage(ConvSpec.of(64, 8, 32, 32, 64, 3, 1, 1)), "K = 72");
        assertFalse(Im2ColConvolution.byImage(ConvSpec.of(4, 4, 8, 8, 4, 3, 1, 1).withGroups(2)), "groups");
        for (ConvSpec s : specs()) {
            assertTrue(Im2ColConvolution.byImage(s), s.toString());
        }
    }

    @Test
    void shouldMatchOracleForwardAndWeightGradientsImageByImage() {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        List<CpuBackend> backends = backends();
        try (TestTensors t = new TestTensors(seed)) {
            for (ConvSpec s : specs()) {
                int[] inDims = {s.batch(), s.inChannels(), s.inH(), s.inW()};
                int[] outDims = {s.batch(), s.outChannels(), s.outH(), s.outW()};
                int[] wDims = {s.outChannels(), s.inChannels(), s.kernelH(), s.kernelW()};
                Tensor in = t.uniform(inDims);
                Tensor w = t.uniform(wDims);
                Tensor dOut = t.uniform(outDims);
                Tensor start = t.uniform(wDims);
                Tensor expected = t.zeros(outDims);
                oracle.conv2dForward(expected, in, w, s);
                Tensor expectedDW = t.copy(start);
                oracle.conv2dBackwardWeights(expectedDW, dOut, in, s);
                for (CpuBackend backend : backends) {
                    String name = backend.name() + " " + s;
                    Tensor out = t.filled(Float.NaN, outDims);
                    backend.conv2dForward(out, in, w, s);
                    assertClose("forward " + name, out, expected, TOLERANCE);
                    Tensor dW = t.copy(start);
                    backend.conv2dBackwardWeights(dW, dOut, in, s);
                    assertClose("backward weights (accumulated) " + name, dW, expectedDW, WEIGHT_TOLERANCE);
                    Tensor dWAgain = t.copy(start);
                    backend.conv2dBackwardWeights(dWAgain, dOut, in, s);
                    assertClose("backward weights repeated bit for bit " + name, dWAgain, dW, 0);
                }
            }
        } finally {
            for (CpuBackend b : backends) {
                b.close();
            }
        }
    }
}
