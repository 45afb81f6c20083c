package io.mpsl.nn.layers;

import static io.mpsl.nn.layers.Layers.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.GradientCheck;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Segment;
import io.mpsl.nn.SeededRandom;
import io.mpsl.nn.Shapes;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every layer's backward (input gradient and parameter gradients) against central finite differences of
 * f = sum(out * probe) on fresh random inputs, with the scalar oracle backend.
 */
class LayerGradientTest {
    private static final Shape IMAGE = Shape.of(3, 6, 6);
    private static final double TOLERANCE = 2e-2;

    private static double check(String label, Shape in, boolean training, LayerSpec... layers) {
        return check(label, in, training, 1e-2, layers);
    }

    /**
     * Composite layers have ReLU kinks at values the test does not control; a step of 1e-3 makes crossing one
     * unlikely while float rounding stays far below the tolerance.
     */
    private static double checkComposite(String label, Shape in, boolean training, LayerSpec... layers) {
        return check(label, in, training, 1e-3, layers);
    }

    private static double check(String label, Shape in, boolean training, double h, LayerSpec... layers) {
        ModelSpec spec = ModelSpec.builder(label, in, 2).block(label, layers).build();
        return GradientCheck.check(label, spec, training, 2, h, TOLERANCE, 24, label.hashCode());
    }

    @Test
    void linearBackwardMatchesFiniteDifferences() {
        check("linear", Shape.of(7), true, linear(5));
        check("linear on an image", IMAGE, true, linearHe(4));
    }

    @Test
    void convolutionBackwardMatchesFiniteDifferences() {
        check("conv 3x3 pad 1", IMAGE, true, conv(4, 3, 1, 1));
        check("conv 3x3 stride 2 no bias", IMAGE, true, convNoBias(5, 3, 2, 1));
        check("conv 1x1", IMAGE, true, conv(2, 1, 1, 0));
        check("conv 5x5 pad 2", IMAGE, true, conv(2, 5, 1, 2));
    }

    @Test
    void groupedAndDepthwiseConvolutionBackwardMatchesFiniteDifferences() {
        check("grouped conv (2 groups)", Shape.of(4, 5, 5), true, groupedConv(6, 3, 1, 1, 2));
        check("depthwise conv 3x3 stride 2", Shape.of(4, 5, 5), true, groupedConv(4, 3, 2, 1, 4));
        check("depthwise conv 5x5", Shape.of(3, 6, 6), true, groupedConv(3, 5, 1, 2, 3));
    }

    @Test
    void activationBackwardMatchesFiniteDifferences() {
        check("relu", IMAGE, true, relu());
        check("hswish", IMAGE, true, hswish());
    }

    @Test
    void poolingBackwardMatchesFiniteDifferences() {
        check("maxpool 2x2", IMAGE, true, maxPool(2, 2, 0));
        check("maxpool 3x3 stride 2 pad 1", IMAGE, true, maxPool(3, 2, 1));
        check("maxpool 2x2 pad 1 on odd size", Shape.of(2, 5, 5), true, maxPool(2, 2, 1));
        check("avgpool 2x2", IMAGE, true, avgPool(2, 2, 0));
        check("avgpool 3x3 stride 1 pad 1", IMAGE, true, avgPool(3, 1, 1));
        check("global average pool", IMAGE, true, globalAvgPool());
        check("adaptive pool down to 4x4", IMAGE, true, adaptiveAvgPool(4, 4));
        check("adaptive pool up to 7x7", Shape.of(2, 3, 3), true, adaptiveAvgPool(7, 7));
    }

    @Test
    void reshapeAndEvaluationDropoutPassGradientsThrough() {
        check("flatten + linear", IMAGE, true, flatten(), linear(3));
        check("dropout in evaluation", IMAGE, false, dropout(0.5f));
    }

    @Test
    void batchNormBackwardMatchesFiniteDifferencesInTrainingAndEvaluation() {
        check("batchnorm training", IMAGE, true, batchNorm());
        check("batchnorm evaluation", IMAGE, false, batchNorm());
        checkComposite("conv + batchnorm + relu training", IMAGE, true, convNoBias(4, 3, 1, 1), batchNorm(), relu());
    }

    @Test
    void residualBlocksBackwardMatchFiniteDifferences() {
        checkComposite("basic block, identity shortcut", Shape.of(4, 5, 5), true, basicBlock(4, 4, 1));
        checkComposite("basic block, projection shortcut", Shape.of(3, 6, 6), true, basicBlock(3, 4, 2));
        checkComposite("bottleneck, projection shortcut", Shape.of(4, 4, 4), true, bottleneck(4, 2, 1));
        checkComposite("linear residual (no relu)", Shape.of(3, 4, 4), true, residualLinear(List.of(conv(3, 3, 1, 1)),
                List.of()));
    }

    @Test
    void squeezeExciteBackwardMatchesFiniteDifferences() {
        checkComposite("squeeze-excite", Shape.of(6, 4, 4), true, squeezeExcite(3));
    }

    @Test
    void softmaxCrossEntropyBackwardMatchesFiniteDifferences() {
        try (TensorArena arena = new TensorArena(MemoryAccount.root("loss"));
                io.mpsl.nn.SoftmaxCrossEntropy loss = new io.mpsl.nn.SoftmaxCrossEntropy(new ScalarBackend(), 5, 4,
                        MemoryAccount.root("loss2"))) {
            Tensor logits = arena.allocate(3, 5);
            Tensor labels = arena.allocate(Shape.of(3), io.mpsl.tensor.DType.I32);
            labels.copyFrom(new int[] {1, 4, 0});
            GradientCheck.fillGaussian(logits, new SeededRandom(5), 2.0);
            loss.forward(logits, labels);
            float scale = 1f / 3;
            float[] d = loss.backward(labels, scale).toFloatArray();
            double worst = 0;
            double h = 1e-2;
            for (int i = 0; i < logits.size(); i++) {
                float v = logits.get(i);
                logits.set(i, (float) (v + h));
                double up = loss.forward(logits, labels) * scale;
                logits.set(i, (float) (v - h));
                double down = loss.forward(logits, labels) * scale;
                logits.set(i, v);
                double fd = (up - down) / (2 * h);
                worst = Math.max(worst, Math.abs(fd - d[i]));
            }
            System.out.printf("softmax cross-entropy largest difference to finite differences: %.3e%n", worst);
            assertTrue(worst < 1e-3, "largest difference " + worst);
        }
    }

    @Test
    void convolutionWithItsReluAppliedInOnePassMatchesFiniteDifferences() {
        checkComposite("conv + relu in one block", IMAGE, true, conv(4, 3, 1, 1), relu());
    }

    /**
     * A convolution and its ReLU in one block run as one pass ({@link Conv2d.Spec#createApplying}); in two blocks
     * as two layers. Outputs, input gradients and parameter gradients must agree bit for bit, on the CPU backend
     * whose pixel-major and image-by-image paths fuse the ReLU into their own output pass, and on the oracle.
     */
    @Test
    void convolutionWithItsReluAppliedEqualsTheTwoLayersBitForBit() {
        Shape[] inputs = {Shape.of(3, 8, 8), Shape.of(16, 4, 4), Shape.of(16, 12, 12)};
        for (io.mpsl.kernels.Backend backend : List.of(new ScalarBackend(), io.mpsl.kernels.Backends.create(2))) {
            try (backend) {
                for (Shape in : inputs) {
                    ModelSpec fused = ModelSpec.builder("fused", in, 2).block("conv-relu", conv(16, 3, 1, 1), relu())
                            .build();
                    ModelSpec apart = ModelSpec.builder("apart", in, 2).block("conv", conv(16, 3, 1, 1))
                            .block("relu", relu()).build();
                    float[][] a = run(fused, backend, in);
                    float[][] b = run(apart, backend, in);
                    String what = backend.name() + " " + in;
                    assertEquals(a.length, b.length);
                    for (int i = 0; i < a.length; i++) {
                        assertTrue(java.util.Arrays.equals(a[i], b[i]), what + ": result " + i + " differs");
                    }
                    System.out.printf("conv + relu fused and apart, %s: %d results identical%n", what, a.length);
                }
            }
        }
    }

    /** Output, input gradient, weight and bias gradients of one forward and backward on seeded random data. */
    private static float[][] run(ModelSpec spec, io.mpsl.kernels.Backend backend, Shape in) {
        Segment seg = spec.build(0, spec.blockCount(), backend, true);
        MemoryAccount account = MemoryAccount.root("fused");
        try (ParameterState state = seg.newState(7, OptimizerSpec.sgd(0f, 0f, 0f), account);
                ActivationContext ctx = seg.newContext(5, account);
                TensorArena arena = new TensorArena(account)) {
            SeededRandom random = new SeededRandom(11);
            Tensor x = arena.allocate(Shapes.batched(5, in));
            for (long i = 0; i < x.size(); i++) {
                x.set(i, (float) random.nextGaussian());
            }
            float[] y = seg.forward(state, ctx, x, true).toFloatArray();
            Tensor dOut = arena.allocate(Shapes.batched(5, seg.outputShape()));
            for (long i = 0; i < dOut.size(); i++) {
                dOut.set(i, (float) random.nextGaussian());
            }
            state.zeroGrad();
            float[] dIn = seg.backward(state, ctx, dOut).toFloatArray();
            return new float[][] {y, dIn, state.grad(0).toFloatArray(), state.grad(1).toFloatArray()};
        }
    }

    @Test
    void dropoutKeepsItsMaskForBackwardAndScalesKeptValues() {
        Shape in = Shape.of(1000);
        ModelSpec spec = ModelSpec.builder("dropout", in, 2).block("dropout", dropout(0.3f)).build();
        Segment seg = spec.build(0, 1, new ScalarBackend(), true);
        MemoryAccount account = MemoryAccount.root("dropout");
        try (ParameterState state = seg.newState(1, OptimizerSpec.sgd(0f, 0f, 0f), account);
                ActivationContext ctx = seg.newContext(2, account);
                ActivationContext other = seg.newContext(2, account);
                TensorArena arena = new TensorArena(account)) {
            Tensor x = arena.allocate(Shapes.batched(2, in)).fill(2f);
            Tensor dOut = arena.allocate(Shapes.batched(2, in)).fill(3f);
            float[] y = seg.forward(state, ctx, x, true).toFloatArray();
            float[] y2 = seg.forward(state, other, x, true).toFloatArray(); // another micro-batch in flight
            float[] dIn = seg.backward(state, ctx, dOut).toFloatArray();
            int dropped = 0;
            int differ = 0;
            for (int i = 0; i < y.length; i++) {
                assertTrue(y[i] == 0f || y[i] == 2f / 0.7f, "kept values are scaled by 1/(1-p): " + y[i]);
                assertEquals(y[i] == 0f ? 0f : 3f / 0.7f, dIn[i], 1e-6f, "backward uses the forward's mask");
                dropped += y[i] == 0f ? 1 : 0;
                differ += (y[i] == 0f) != (y2[i] == 0f) ? 1 : 0;
            }
            System.out.printf("dropout p=0.3 dropped %d of %d; masks of two micro-batches differ at %d%n", dropped,
                    y.length, differ);
            assertTrue(dropped > 500 && dropped < 700, "about 30% dropped, got " + dropped);
            assertTrue(differ > 200, "each micro-batch draws its own mask");
        }
    }
}
