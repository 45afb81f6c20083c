package io.mpsl.kernels.cpu;

import static io.mpsl.kernels.TestTensors.assertClose;

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

/**
 * The check the CPU convolution paths share: on every engine and thread count, forward, data gradient and
 * accumulated weight gradient against the scalar oracle on fresh random tensors, and repeated calls bit for bit.
 */
final class ConvOracle {
    private ConvOracle() {
    }

    /** OpenBLAS at 1-3 threads (when it loads), the Vector API engine at 2, a scalar GEMM at 3. */
    static List<CpuBackend> engines() {
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

    /**
     * Checks every spec on every engine (seeded from the clock, printed); weight gradients sum many products in
     * another order than the oracle, so they get their own tolerance.
     */
    static void check(List<ConvSpec> specs, double tolerance, double weightTolerance) {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        ScalarBackend oracle = new ScalarBackend();
        List<CpuBackend> backends = engines();
        try (TestTensors t = new TestTensors(seed)) {
            for (ConvSpec s : specs) {
                check(t, oracle, backends, s, tolerance, weightTolerance);
            }
        } finally {
            for (CpuBackend b : backends) {
                b.close();
            }
        }
    }

    private static void check(TestTensors t, ScalarBackend oracle, List<CpuBackend> backends, ConvSpec s,
            double tolerance, double weightTolerance) {
        int[] inDims = {s.batch(), s.inChannels(), s.inH(), s.inW()};
        int[] outDims = {s.batch(), s.outChannels(), s.outH(), s.outW()};
        int[] wDims = {s.outChannels(), s.inChannels(), s.kernelH(), s.kernelW()};
        Tensor in = t.uniform(inDims);
        Tensor w = t.uniform(wDims);
        Tensor dOut = t.uniform(outDims);
        Tensor start = t.uniform(wDims);
        Tensor expected = t.zeros(outDims);
        oracle.conv2dForward(expected, in, w, s);
        Tensor expectedDIn = t.zeros(inDims);
        oracle.conv2dBackwardData(expectedDIn, dOut, w, s);
        Tensor expectedDW = t.copy(start);
        oracle.conv2dBackwardWeights(expectedDW, dOut, in, s);
        int plane = s.outH() * s.outW();
        Tensor bias = t.uniform(s.outChannels());
        Tensor expectedBiased = t.copy(expected);
        oracle.biasAdd(expectedBiased, bias, s.batch(), s.outChannels(), plane);
        Tensor expectedActivated = t.zeros(outDims);
        oracle.reluForward(expectedActivated, expectedBiased);
        Tensor expectedReluOnly = t.zeros(outDims);
        oracle.reluForward(expectedReluOnly, expected);
        Tensor startBias = t.uniform(s.outChannels());
        Tensor expectedDBias = t.copy(startBias);
        oracle.biasBackward(expectedDBias, dOut, s.batch(), s.outChannels(), plane);
        for (CpuBackend backend : backends) {
            String name = backend.name() + " " + s;
            Tensor out = t.filled(Float.NaN, outDims);
            backend.conv2dForward(out, in, w, s);
            assertClose("forward " + name, out, expected, tolerance);
            Tensor again = t.filled(Float.NaN, outDims);
            backend.conv2dForward(again, in, w, s);
            assertClose("forward repeated bit for bit " + name, again, out, 0);

            Tensor dIn = t.filled(Float.NaN, inDims);
            backend.conv2dBackwardData(dIn, dOut, w, s);
            assertClose("backward data " + name, dIn, expectedDIn, tolerance);

            Tensor dW = t.copy(start);
            backend.conv2dBackwardWeights(dW, dOut, in, s);
            assertClose("backward weights (accumulated) " + name, dW, expectedDW, weightTolerance);
            Tensor dWAgain = t.copy(start);
            backend.conv2dBackwardWeights(dWAgain, dOut, in, s);
            assertClose("backward weights repeated bit for bit " + name, dWAgain, dW, 0);

            // the fused calls: convolution with its bias, and the whole backward with dOut shared
            Tensor biased = t.filled(Float.NaN, outDims);
            backend.conv2dForward(biased, in, w, bias, false, s);
            assertClose("forward with bias " + name, biased, expectedBiased, tolerance);
            Tensor activated = t.filled(Float.NaN, outDims);
            backend.conv2dForward(activated, in, w, bias, true, s);
            assertClose("forward with bias and ReLU " + name, activated, expectedActivated, tolerance);
            Tensor activatedOnly = t.filled(Float.NaN, outDims);
            backend.conv2dForward(activatedOnly, in, w, null, true, s);
            assertClose("forward with ReLU, no bias " + name, activatedOnly, expectedReluOnly, tolerance);
            Tensor dWAll = t.copy(start);
            Tensor dBias = t.copy(startBias);
            Tensor dInAll = t.filled(Float.NaN, inDims);
            backend.conv2dBackward(dWAll, dBias, dInAll, dOut, in, w, s);
            assertClose("whole backward, weights " + name, dWAll, expectedDW, weightTolerance);
            assertClose("whole backward, bias (accumulated) " + name, dBias, expectedDBias, weightTolerance);
            assertClose("whole backward, data " + name, dInAll, expectedDIn, tolerance);
            Tensor dWOnly = t.copy(start);
            backend.conv2dBackward(dWOnly, null, null, dOut, in, w, s);
            assertClose("whole backward without bias and data, weights bit for bit " + name, dWOnly, dWAll, 0);
        }
    }
}
