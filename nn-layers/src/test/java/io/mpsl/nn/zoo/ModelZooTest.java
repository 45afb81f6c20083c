package io.mpsl.nn.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.GradientCheck;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Segment;
import io.mpsl.nn.SeededRandom;
import io.mpsl.nn.Shapes;
import io.mpsl.nn.SoftmaxCrossEntropy;
import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every zoo model cut at every block boundary (each block its own segment, chained) computes the same forward
 * output, parameter gradients, batch-norm statistics and input gradient as the whole model, bit for bit, with the
 * scalar oracle backend. Large models run on small inputs (noted per test) to keep the suite fast.
 */
class ModelZooTest {
    private static final int CLASSES = 10;
    private static final long SEED = 42;

    /** Runs the whole model and the chain of single-block segments on the same batch and compares everything. */
    static void chainedSegmentsEqualWholeModel(String name, Shape input, int batch) {
        try (Backend scalar = new ScalarBackend()) {
            chainedSegmentsEqualWholeModel(name, input, batch, scalar);
        }
    }

    /** The same with the im2col CPU backend on a loop GEMM, for models too big for the scalar oracle. */
    static void chainedSegmentsEqualWholeModelOnCpu(String name, Shape input, int batch) {
        try (Backend cpu = io.mpsl.nn.LoopGemm.backend()) {
            chainedSegmentsEqualWholeModel(name, input, batch, cpu);
        }
    }

    static void chainedSegmentsEqualWholeModel(String name, Shape input, int batch, Backend backend) {
        ModelSpec spec = ModelZoo.create(name, input, CLASSES);
        MemoryAccount account = MemoryAccount.root(name);
        OptimizerSpec sgd = OptimizerSpec.sgd(0.1f, 0f, 0f);
        List<AutoCloseable> open = new ArrayList<>();
        try (TensorArena arena = new TensorArena(account);
                SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(backend, CLASSES, batch, account)) {
            Tensor x = arena.allocate(Shapes.batched(batch, input));
            GradientCheck.fillGaussian(x, new SeededRandom(7), 1.0);
            Tensor labels = arena.allocate(Shape.of(batch), DType.I32);
            for (int i = 0; i < batch; i++) {
                labels.setInt(i, (3 * i + 1) % CLASSES);
            }
            // whole model
            Segment whole = spec.build(0, spec.blockCount(), backend, true);
            ParameterState wholeState = whole.newState(SEED, sgd, account);
            ActivationContext wholeCtx = whole.newContext(batch, account);
            open.add(wholeState);
            open.add(wholeCtx);
            float[] wholeLogits = whole.forward(wholeState, wholeCtx, x, true).toFloatArray();
            double wholeLoss = loss.forward(whole.forward(wholeState, wholeCtx, x, true), labels);
            float[] wholeDIn = whole.backward(wholeState, wholeCtx, loss.backward(labels, 1f / batch)).toFloatArray();
            // every block its own segment: every boundary is a cut
            int n = spec.blockCount();
            Segment[] parts = new Segment[n];
            ParameterState[] states = new ParameterState[n];
            ActivationContext[] ctxs = new ActivationContext[n];
            for (int b = 0; b < n; b++) {
                parts[b] = spec.build(b, b + 1, backend, true);
                states[b] = parts[b].newState(SEED, sgd, account);
                ctxs[b] = parts[b].newContext(batch, account);
                open.add(states[b]);
                open.add(ctxs[b]);
            }
            Tensor y = x;
            for (int b = 0; b < n; b++) {
                y = parts[b].forward(states[b], ctxs[b], y, true);
            }
            // the whole model ran forward twice above; run the chain twice too so dropout keys and BN statistics match
            float[] chainLogits = y.toFloatArray();
            y = x;
            for (int b = 0; b < n; b++) {
                y = parts[b].forward(states[b], ctxs[b], y, true);
            }
            double chainLoss = loss.forward(y, labels);
            Tensor g = loss.backward(labels, 1f / batch);
            for (int b = n - 1; b >= 0; b--) {
                g = parts[b].backward(states[b], ctxs[b], g);
            }
            assertArrayEquals(wholeLogits, chainLogits, 0f, name + ": logits of the chain differ");
            assertEquals(wholeLoss, chainLoss, 0.0, name + ": loss of the chain differs");
            assertArrayEquals(wholeDIn, g.toFloatArray(), 0f, name + ": input gradient of the chain differs");
            Map<String, Tensor> wholeValues = wholeState.namedTensors();
            Map<String, Tensor> wholeGrads = wholeState.namedGradients();
            int compared = 0;
            for (int b = 0; b < n; b++) {
                for (Map.Entry<String, Tensor> e : states[b].namedTensors().entrySet()) {
                    assertSameBits(wholeValues.get(e.getKey()), e.getValue(), name + ": " + e.getKey()
                            + " differs after two forwards");
                    compared++;
                }
                for (Map.Entry<String, Tensor> e : states[b].namedGradients().entrySet()) {
                    assertSameBits(wholeGrads.get(e.getKey()), e.getValue(), name + ": gradient of " + e.getKey()
                            + " differs");
                }
            }
            assertEquals(wholeValues.size(), compared, name + ": the segments together hold every named tensor");
            System.out.printf("%-18s %s batch %d on %s: %d blocks, %,d parameters, chained segments equal the whole"
                    + " model bit for bit (loss %.4f)%n", name, input, batch, backend.name(), n, whole.parameterCount(),
                    wholeLoss / batch);
        } finally {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Bit-for-bit equality of two tensors' memory, without copying them to the heap. */
    static void assertSameBits(Tensor expected, Tensor actual, String message) {
        assertEquals(expected.shape(), actual.shape(), message);
        long at = expected.segment().mismatch(actual.segment());
        if (at >= 0) {
            long i = at / Float.BYTES;
            assertEquals(expected.get(i), actual.get(i), 0f, message + " at element " + i);
        }
    }

    @Test
    void mlpSegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModel("mlp", Shape.of(1, 28, 28), 3);
    }

    @Test
    void lenet5SegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModel("lenet5", Shape.of(1, 28, 28), 3);
        chainedSegmentsEqualWholeModel("lenet5", Shape.of(3, 32, 32), 2);
    }

    @Test
    void vgg5SegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModelOnCpu("vgg5", Shape.of(1, 28, 28), 2);
    }

    @Test
    void vgg11SegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModelOnCpu("vgg11", Shape.of(1, 16, 16), 2);
    }

    @Test
    void vgg16SegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModelOnCpu("vgg16", Shape.of(3, 8, 8), 2);
    }

    @Test
    void vgg19SegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModelOnCpu("vgg19", Shape.of(3, 8, 8), 2);
    }

    @Test
    void vgg19TorchvisionSegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModelOnCpu("vgg19-tv", Shape.of(3, 8, 8), 1);
    }

    @Test
    void resnet18SegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModelOnCpu("resnet18", Shape.of(3, 8, 8), 2);
    }

    @Test
    void resnet50SegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModelOnCpu("resnet50", Shape.of(3, 8, 8), 2);
    }

    @Test
    void mobilenetV3SmallSegmentsEqualWholeModel() {
        chainedSegmentsEqualWholeModelOnCpu("mobilenetv3-small", Shape.of(3, 32, 32), 2);
    }

    @Test
    void everyModelTakesMnistAndCifarInputsAndEndsInTheClasses() {
        for (String name : ModelZoo.names()) {
            for (Shape input : List.of(Shape.of(1, 28, 28), Shape.of(3, 32, 32))) {
                ModelSpec spec = ModelZoo.create(name, input, CLASSES);
                assertEquals(Shape.of(CLASSES), spec.outputShape(), name + " on " + input);
                Segment s = spec.build(new ScalarBackend());
                System.out.printf("%-18s %-12s %3d blocks %,12d parameters%n", name, input, spec.blockCount(),
                        s.parameterCount());
            }
        }
    }

    @Test
    void parameterCountsMatchTheReferenceArchitectures() {
        // counts of the same architectures in PyTorch (CIFAR layouts, 10 classes; torchvision's vgg19 and
        // mobilenet_v3_small with a 10-class last layer)
        assertEquals(784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10, count("mlp", 1, 28));
        assertEquals(61_706, count("lenet5", 1, 28)); // the classic LeNet-5
        assertEquals(11_173_962, count("resnet18", 3, 32));
        assertEquals(23_520_842, count("resnet50", 3, 32));
        assertEquals(9_225_610, count("vgg11", 3, 32)); // the CIFAR VGGs without batch norm
        assertEquals(14_719_818, count("vgg16", 3, 32));
        assertEquals(20_029_514, count("vgg19", 3, 32));
        assertEquals(139_611_210, count("vgg19-tv", 3, 32));
        assertEquals(1_528_106, count("mobilenetv3-small", 3, 32));
    }

    private static long count(String name, int channels, int size) {
        return ModelZoo.create(name, Shape.of(channels, size, size), CLASSES).build(new ScalarBackend())
                .parameterCount();
    }

    @Test
    void shouldRejectUnknownModelsAndTinyInputs() {
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.create("alexnet", Shape.of(3, 32, 32), 10));
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.create("vgg5", Shape.of(3, 4, 4), 10));
        assertThrows(IllegalArgumentException.class, () -> ModelZoo.create("vgg5", Shape.of(784), 10));
    }
}
