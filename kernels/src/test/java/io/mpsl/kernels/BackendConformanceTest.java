package io.mpsl.kernels;

import static io.mpsl.kernels.TestTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every operation of every backend of {@link TestBackends} against the scalar oracle, on fresh
 * random inputs of awkward sizes. Also checks the overwrite/accumulate contract: forward and backward-data
 * outputs are pre-filled with NaN (reading them would leak), parameter gradients with random values that
 * must be added to.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackendConformanceTest {
    private static final double TOLERANCE = 2e-5;

    private final ScalarBackend oracle = new ScalarBackend();
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

    private static long seed(Backend b, String test) {
        long seed = System.nanoTime();
        System.out.println("== " + b.name() + " " + test + " seed " + seed);
        return seed;
    }

    static List<ConvSpec> convSpecs() {
        return List.of(
                ConvSpec.of(1, 1, 1, 1, 1, 1, 1, 0),
                ConvSpec.of(2, 3, 7, 5, 5, 3, 1, 1),
                ConvSpec.of(3, 4, 9, 11, 6, 3, 2, 1),
                new ConvSpec(2, 5, 6, 7, 3, 2, 3, 1, 2, 0, 1, 1),
                new ConvSpec(2, 2, 5, 8, 3, 3, 1, 1, 1, 1, 0, 1),
                ConvSpec.of(4, 17, 3, 3, 13, 1, 1, 0),
                ConvSpec.of(3, 3, 8, 8, 4, 5, 1, 2),
                ConvSpec.of(2, 4, 5, 5, 6, 3, 1, 1).withGroups(2),
                ConvSpec.of(2, 3, 6, 6, 6, 3, 2, 1).withGroups(3),
                ConvSpec.of(3, 6, 7, 7, 6, 3, 1, 1).withGroups(6),
                ConvSpec.of(2, 5, 8, 9, 5, 3, 2, 1).withGroups(5),
                new ConvSpec(2, 4, 11, 19, 4, 3, 5, 1, 1, 1, 2, 4),
                ConvSpec.of(5, 2, 17, 19, 3, 3, 1, 0),
                ConvSpec.of(7, 3, 6, 6, 4, 3, 1, 1),
                ConvSpec.of(5, 4, 7, 6, 6, 3, 2, 1).withGroups(2),
                ConvSpec.of(3, 16, 8, 8, 32, 3, 1, 1));
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void convolutionMatchesOracleAndKeepsOverwriteAndAccumulateContract(Backend backend) {
        try (TestTensors t = new TestTensors(seed(backend, "conv"))) {
            for (ConvSpec s : convSpecs()) {
                int[] inDims = {s.batch(), s.inChannels(), s.inH(), s.inW()};
                int[] outDims = {s.batch(), s.outChannels(), s.outH(), s.outW()};
                int[] wDims = {s.outChannels(), s.inChannels() / s.groups(), s.kernelH(), s.kernelW()};
                Tensor in = t.uniform(inDims);
                Tensor w = t.uniform(wDims);
                Tensor dOut = t.uniform(outDims);

                Tensor expected = t.zeros(outDims);
                oracle.conv2dForward(expected, in, w, s);
                Tensor out = t.filled(Float.NaN, outDims);
                backend.conv2dForward(out, in, w, s);
                assertClose("conv forward " + s, out, expected, TOLERANCE);

                Tensor expectedDIn = t.zeros(inDims);
                oracle.conv2dBackwardData(expectedDIn, dOut, w, s);
                Tensor dIn = t.filled(Float.NaN, inDims);
                backend.conv2dBackwardData(dIn, dOut, w, s);
                assertClose("conv backward data " + s, dIn, expectedDIn, TOLERANCE);

                Tensor start = t.uniform(wDims);
                Tensor expectedDW = t.copy(start);
                oracle.conv2dBackwardWeights(expectedDW, dOut, in, s);
                Tensor dW = t.copy(start);
                backend.conv2dBackwardWeights(dW, dOut, in, s);
                assertClose("conv backward weights (accumulated) " + s, dW, expectedDW, TOLERANCE);
            }
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void convolutionIsRepeatableAcrossBatchSizesOnOneBackend(Backend backend) {
        // workspaces grow and are reused: a big call, then a small one, then the big one again
        try (TestTensors t = new TestTensors(seed(backend, "conv reuse"))) {
            ConvSpec big = ConvSpec.of(6, 4, 9, 9, 5, 3, 1, 1);
            ConvSpec small = big.withBatch(1);
            Tensor in = t.uniform(6, 4, 9, 9);
            Tensor w = t.uniform(5, 4, 3, 3);
            Tensor first = t.zeros(6, 5, 9, 9);
            Tensor again = t.zeros(6, 5, 9, 9);
            backend.conv2dForward(first, in, w, big);
            Tensor one = t.zeros(1, 5, 9, 9);
            backend.conv2dForward(one, in.slice(0, 1), w, small);
            backend.conv2dForward(again, in, w, big);
            assertClose("same forward twice", again, first, 0);
            assertClose("first image alone", one, first.slice(0, 1), TOLERANCE);
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void sgemmMatchesOracleForTransposesOffsetsAndBeta(Backend backend) {
        try (TestTensors t = new TestTensors(seed(backend, "sgemm"))) {
            int[][] sizes = {{1, 1, 1}, {7, 13, 5}, {33, 17, 65}, {64, 48, 96}, {3, 129, 31}};
            for (int[] mnk : sizes) {
                int m = mnk[0];
                int n = mnk[1];
                int k = mnk[2];
                for (int variant = 0; variant < 4; variant++) {
                    boolean ta = (variant & 1) != 0;
                    boolean tb = (variant & 2) != 0;
                    int lda = (ta ? m : k) + 3;
                    int ldb = (tb ? k : n) + 1;
                    int ldc = n + 2;
                    int aRows = ta ? k : m;
                    int bRows = tb ? n : k;
                    Tensor a = t.uniform(aRows * lda + 5);
                    Tensor b = t.uniform(bRows * ldb + 7);
                    for (float beta : new float[] {0f, 0.5f}) {
                        Tensor c0 = beta == 0f ? t.filled(Float.NaN, m * ldc + 2) : t.uniform(m * ldc + 2);
                        if (beta == 0f) {
                            for (int i = 0; i < m; i++) {
                                for (int j = n; j < ldc; j++) {
                                    c0.set(2 + (long) i * ldc + j, 42f); // outside C: must stay untouched
                                }
                            }
                        }
                        Tensor expected = t.copy(c0);
                        oracle.sgemm(ta, tb, m, n, k, 1.5f, a.segment(), 5, lda, b.segment(), 7, ldb, beta,
                                expected.segment(), 2, ldc);
                        Tensor c = t.copy(c0);
                        backend.sgemm(ta, tb, m, n, k, 1.5f, a.segment(), 5, lda, b.segment(), 7, ldb, beta,
                                c.segment(), 2, ldc);
                        for (int i = 0; i < m; i++) {
                            for (int j = n; j < ldc; j++) {
                                long at = 2 + (long) i * ldc + j;
                                assertEquals(c0.get(at), c.get(at), 0f, "element outside C changed at " + at);
                            }
                        }
                        assertEquals(c0.get(0), c.get(0), 0f, "element before C changed");
                        assertEquals(c0.get(1), c.get(1), 0f, "element before C changed");
                        Tensor cOnly = t.zeros(m, n);
                        Tensor eOnly = t.zeros(m, n);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                cOnly.set((long) i * n + j, c.get(2 + (long) i * ldc + j));
                                eOnly.set((long) i * n + j, expected.get(2 + (long) i * ldc + j));
                            }
                        }
                        assertClose("sgemm m=" + m + " n=" + n + " k=" + k + " transA=" + ta + " transB=" + tb
                                + " beta=" + beta, cOnly, eOnly, TOLERANCE * 4);
                    }
                }
            }
        }
    }

    static List<PoolSpec> poolSpecs() {
        return List.of(
                PoolSpec.of(2, 3, 8, 8, 2, 2, 0),
                PoolSpec.of(3, 2, 7, 9, 2, 2, 0),
                PoolSpec.of(2, 3, 9, 7, 3, 2, 1),
                PoolSpec.of(1, 5, 6, 5, 3, 1, 1),
                new PoolSpec(2, 2, 5, 11, 1, 3, 1, 2, 0, 1),
                PoolSpec.of(1, 1, 1, 1, 1, 1, 0),
                PoolSpec.of(4, 64, 32, 32, 2, 2, 0));
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void poolingMatchesOracle(Backend backend) {
        try (TestTensors t = new TestTensors(seed(backend, "pool"))) {
            for (PoolSpec s : poolSpecs()) {
                int[] inDims = {s.batch(), s.channels(), s.inH(), s.inW()};
                int[] outDims = {s.batch(), s.channels(), s.outH(), s.outW()};
                Tensor in = t.uniform(inDims);
                Tensor dOut = t.uniform(outDims);

                Tensor expected = t.zeros(outDims);
                Tensor out = t.filled(Float.NaN, outDims);
                oracle.maxPoolForward(expected, in, s);
                backend.maxPoolForward(out, in, s);
                assertClose("max pool forward " + s, out, expected, 0);

                Tensor expectedDIn = t.zeros(inDims);
                Tensor dIn = t.filled(Float.NaN, inDims);
                oracle.maxPoolBackward(expectedDIn, dOut, in, s);
                backend.maxPoolBackward(dIn, dOut, in, s);
                assertClose("max pool backward " + s, dIn, expectedDIn, TOLERANCE);

                out.fill(Float.NaN);
                oracle.avgPoolForward(expected, in, s);
                backend.avgPoolForward(out, in, s);
                assertClose("avg pool forward " + s, out, expected, TOLERANCE);

                dIn.fill(Float.NaN);
                oracle.avgPoolBackward(expectedDIn, dOut, s);
                backend.avgPoolBackward(dIn, dOut, s);
                assertClose("avg pool backward " + s, dIn, expectedDIn, TOLERANCE);
            }
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void globalPoolingAndBiasMatchOracle(Backend backend) {
        try (TestTensors t = new TestTensors(seed(backend, "global pool, bias"))) {
            int[][] shapes = {{1, 1, 1}, {3, 5, 49}, {2, 7, 1}, {4, 64, 1024}, {5, 3, 17}, {16, 512, 4}, {9, 37, 16}};
            for (int[] ncs : shapes) {
                int n = ncs[0];
                int c = ncs[1];
                int sp = ncs[2];
                String what = "(" + n + ", " + c + ", " + sp + ")";
                Tensor in = t.uniform(n, c, sp);
                Tensor expected = t.zeros(n, c);
                Tensor out = t.filled(Float.NaN, n, c);
                oracle.globalAvgPoolForward(expected, in, n, c, sp);
                backend.globalAvgPoolForward(out, in, n, c, sp);
                assertClose("global avg pool forward " + what, out, expected, TOLERANCE);

                Tensor dOut = t.uniform(n, c);
                Tensor expectedDIn = t.zeros(n, c, sp);
                Tensor dIn = t.filled(Float.NaN, n, c, sp);
                oracle.globalAvgPoolBackward(expectedDIn, dOut, n, c, sp);
                backend.globalAvgPoolBackward(dIn, dOut, n, c, sp);
                assertClose("global avg pool backward " + what, dIn, expectedDIn, TOLERANCE);

                Tensor bias = t.uniform(c);
                Tensor expectedOut = t.copy(in);
                Tensor biased = t.copy(in);
                oracle.biasAdd(expectedOut, bias, n, c, sp);
                backend.biasAdd(biased, bias, n, c, sp);
                assertClose("bias add (accumulated) " + what, biased, expectedOut, TOLERANCE);

                Tensor start = t.uniform(c);
                Tensor expectedDBias = t.copy(start);
                Tensor dBias = t.copy(start);
                oracle.biasBackward(expectedDBias, in, n, c, sp);
                backend.biasBackward(dBias, in, n, c, sp);
                assertClose("bias backward (accumulated) " + what, dBias, expectedDBias, 1e-4);
            }
        }
    }

    static int[] elementCounts() {
        return new int[] {1, 7, 17, 1000, 131_075};
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void activationsMatchOracleAlsoInPlace(Backend backend) {
        try (TestTensors t = new TestTensors(seed(backend, "activations"))) {
            for (int size : elementCounts()) {
                Tensor in = t.uniform(-5f, 5f, size);
                Tensor dOut = t.uniform(size);
                Tensor expected = t.zeros(size);
                Tensor out = t.filled(Float.NaN, size);

                oracle.reluForward(expected, in);
                backend.reluForward(out, in);
                assertClose("relu forward n=" + size, out, expected, 0);
                Tensor inPlace = t.copy(in);
                backend.reluForward(inPlace, inPlace);
                assertClose("relu forward in place n=" + size, inPlace, expected, 0);

                oracle.reluBackward(expected, dOut, in);
                out.fill(Float.NaN);
                backend.reluBackward(out, dOut, in);
                assertClose("relu backward n=" + size, out, expected, 0);
                Tensor dInPlace = t.copy(dOut);
                backend.reluBackward(dInPlace, dInPlace, in);
                assertClose("relu backward in place n=" + size, dInPlace, expected, 0);

                oracle.hswishForward(expected, in);
                out.fill(Float.NaN);
                backend.hswishForward(out, in);
                assertClose("hswish forward n=" + size, out, expected, 1e-6);

                oracle.hswishBackward(expected, dOut, in);
                out.fill(Float.NaN);
                backend.hswishBackward(out, dOut, in);
                assertClose("hswish backward n=" + size, out, expected, 1e-6);
                dInPlace = t.copy(dOut);
                backend.hswishBackward(dInPlace, dInPlace, in);
                assertClose("hswish backward in place n=" + size, dInPlace, expected, 1e-6);
            }
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void elementwiseUtilitiesMatchOracle(Backend backend) {
        try (TestTensors t = new TestTensors(seed(backend, "elementwise"))) {
            for (int size : elementCounts()) {
                Tensor a = t.uniform(size);
                Tensor b = t.uniform(size);
                Tensor c = t.uniform(size);

                Tensor expected = t.copy(a);
                Tensor y = t.copy(a);
                oracle.axpy(expected, -0.75f, b);
                backend.axpy(y, -0.75f, b);
                assertClose("axpy n=" + size, y, expected, 1e-6);

                Tensor cleared = t.filled(Float.NaN, size);
                backend.zero(cleared);
                assertClose("zero n=" + size, cleared, t.zeros(size), 0);

                oracle.add(expected, a, b);
                Tensor sum = t.filled(Float.NaN, size);
                backend.add(sum, a, b);
                assertClose("add n=" + size, sum, expected, 1e-6);
                Tensor aliased = t.copy(a);
                backend.add(aliased, aliased, b);
                assertClose("add into a n=" + size, aliased, expected, 1e-6);

                float[] weights = {0.25f, 0.5f, 0.125f};
                oracle.scaledSum(expected, new Tensor[] {a, b, c}, weights);
                Tensor avg = t.filled(Float.NaN, size);
                backend.scaledSum(avg, new Tensor[] {a, b, c}, weights);
                assertClose("scaled sum of 3 n=" + size, avg, expected, 1e-6);
                Tensor into = t.copy(b);
                backend.scaledSum(into, new Tensor[] {a, into, c}, weights);
                assertClose("scaled sum into an input n=" + size, into, expected, 1e-6);
                oracle.scaledSum(expected, new Tensor[] {c}, new float[] {2f});
                backend.scaledSum(avg, new Tensor[] {c}, new float[] {2f});
                assertClose("scaled sum of 1 n=" + size, avg, expected, 1e-6);
            }
        }
    }

    @ParameterizedTest(name = "{0}", autoCloseArguments = false)
    @MethodSource("backends")
    void softmaxCrossEntropyMatchesOracle(Backend backend) {
        try (TestTensors t = new TestTensors(seed(backend, "softmax cross-entropy"))) {
            int[][] shapes = {{1, 1}, {5, 10}, {3, 37}, {64, 10}, {2, 1000}};
            for (int[] bc : shapes) {
                int batch = bc[0];
                int classes = bc[1];
                String what = "(" + batch + ", " + classes + ")";
                Tensor logits = t.uniform(-8f, 8f, batch, classes);
                Tensor labels = t.labels(batch, classes);
                Tensor expected = t.zeros(batch, classes);
                Tensor probs = t.filled(Float.NaN, batch, classes);
                double expectedLoss = oracle.softmaxCrossEntropyForward(expected, logits, labels);
                double loss = backend.softmaxCrossEntropyForward(probs, logits, labels);
                System.out.printf("softmax cross-entropy loss %s: %.9g vs oracle %.9g%n", what, loss, expectedLoss);
                assertEquals(expectedLoss, loss, 1e-5 * (1 + Math.abs(expectedLoss)), "loss " + what);
                assertClose("softmax probabilities " + what, probs, expected, 1e-6);

                Tensor expectedD = t.zeros(batch, classes);
                Tensor d = t.filled(Float.NaN, batch, classes);
                oracle.softmaxCrossEntropyBackward(expectedD, expected, labels, 1f / batch);
                backend.softmaxCrossEntropyBackward(d, expected, labels, 1f / batch);
                assertClose("softmax cross-entropy backward " + what, d, expectedD, 1e-6);
            }
        }
    }
}
