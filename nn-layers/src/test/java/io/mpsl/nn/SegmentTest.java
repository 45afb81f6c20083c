package io.mpsl.nn;

import static io.mpsl.nn.layers.Layers.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Model parts: memory figures, micro-batches in flight, gradient accumulation, determinism, training. */
class SegmentTest {
    private static final Backend SCALAR = new ScalarBackend();
    private static final Backend LOOP = LoopGemm.backend();

    /** conv-bn-relu-pool, then a hidden layer with dropout, then the classifier: every kind of per-part state. */
    private static ModelSpec small() {
        return ModelSpec.builder("small", Shape.of(2, 8, 8), 4)
                .block("conv-bn-relu-pool", convNoBias(4, 3, 1, 1), batchNorm(), relu(), maxPool(2, 2, 0))
                .block("fc16-relu-dropout", flatten(), linearHe(16), relu(), dropout(0.25f))
                .block("fc4", linear(4))
                .build();
    }

    private static Tensor random(TensorArena arena, Shape shape, long seed) {
        Tensor t = arena.allocate(shape);
        GradientCheck.fillGaussian(t, new SeededRandom(seed), 1.0);
        return t;
    }

    private static Tensor labels(TensorArena arena, int n, int classes, long seed) {
        Tensor t = arena.allocate(Shape.of(n), DType.I32);
        SeededRandom rng = new SeededRandom(seed);
        for (int i = 0; i < n; i++) {
            t.setInt(i, rng.nextInt(classes));
        }
        return t;
    }

    @Test
    void reportedMemoryEqualsWhatTheArenasMeasured() {
        for (String name : ModelZoo.names()) {
            ModelSpec spec = ModelZoo.create(name, Shape.of(1, 28, 28), 10);
            int cut = spec.blockCount() / 2;
            int[][] ranges = {{0, spec.blockCount()}, {0, cut}, {cut, spec.blockCount()}};
            // one optimizer per range keeps the big models' allocations small: plain SGD for the whole model
            OptimizerSpec[] opts = {OptimizerSpec.sgd(0.1f, 0f, 0f), OptimizerSpec.adam(1e-3f, 0f),
                OptimizerSpec.sgd(0.1f, 0.9f, 5e-4f)};
            for (int r = 0; r < ranges.length; r++) {
                Segment seg = spec.build(ranges[r][0], ranges[r][1], SCALAR);
                OptimizerSpec opt = opts[r];
                MemoryAccount node = MemoryAccount.root(name);
                MemoryAccount stateAccount = node.child("state");
                MemoryAccount ctxAccount = node.child("activations");
                MemoryReport planned = seg.memory(opt, 4);
                try (ParameterState state = seg.newState(1, opt, stateAccount);
                        ActivationContext ctx = seg.newContext(4, ctxAccount)) {
                    assertWithin(planned.stateBytes(), stateAccount.liveBytes(), name + " state");
                    assertWithin(planned.contextBytes(), ctxAccount.liveBytes(), name + " activations");
                    assertEquals(ctx.byteSize(), ctxAccount.liveBytes(), name + " context arena");
                    assertWithin(planned.totalBytes(), node.liveBytes(), name + " total");
                    // the plan itself against an independent count: 4 bytes per scalar per copy
                    long copies = 2 + opt.stateTensorsPerParameter();
                    assertWithin(state.parameterCount() * 4 * copies, planned.stateBytes() - planned.bufferBytes(),
                            name + " parameters, gradients and optimizer state");
                }
                assertEquals(0, node.liveBytes(), "closing frees everything");
            }
            MemoryReport whole = spec.build(SCALAR).memory(OptimizerSpec.adam(1e-3f, 0f), 32);
            System.out.printf("%-18s 1x28x28 Adam, batch 32: parameters %,d B, gradients %,d B, optimizer %,d B, kept"
                    + " activations %,d B, scratch %,d B%n", name, whole.parameterBytes(), whole.gradientBytes(),
                    whole.optimizerBytes(), whole.keptActivationBytes(), whole.scratchActivationBytes());
        }
    }

    private static void assertWithin(long expected, long actual, String what) {
        assertTrue(Math.abs(expected - actual) <= 0.05 * expected, what + ": expected " + expected + " B, measured "
                + actual + " B");
    }

    @Test
    void keptActivationsPerSampleAreTheLayerOutputsAndWhatBackwardNeeds() {
        // vgg5 on 1x28x28: each conv block keeps the ReLU output (32x28x28: max pool's input) and the pool output
        // (32x14x14); the convolution's output is transient, as ReLU's backward needs only its own output
        Segment seg = ModelZoo.create("vgg5", Shape.of(1, 28, 28), 10).build(SCALAR);
        BlockProfile[] blocks = seg.footprint();
        assertEquals(4L * (32 * 28 * 28 + 32 * 14 * 14), blocks[0].keptBytesPerSample());
        assertEquals(4L * (64 * 14 * 14 + 64 * 7 * 7), blocks[1].keptBytesPerSample());
        assertEquals(4L * (64 * 7 * 7 + 64 * 4 * 4), blocks[2].keptBytesPerSample());
        assertEquals(4L * 128, blocks[3].keptBytesPerSample());
        // resnet18's stem conv-bn-relu keeps batch norm's normalised input and the ReLU output only
        BlockProfile stem = ModelZoo.create("resnet18", Shape.of(3, 32, 32), 10).build(SCALAR).footprint()[0];
        assertEquals(4L * 2 * 64 * 32 * 32, stem.keptBytesPerSample());
        assertEquals(4L * 64 * 4 * 4, blocks[2].outputBytesPerSample());
        assertEquals(4L * (64 * 32 * 9 + 64), blocks[1].parameterBytes());
        long perSample = 0;
        for (BlockProfile b : blocks) {
            perSample += b.keptBytesPerSample();
        }
        MemoryReport m = seg.memory(OptimizerSpec.sgd(0.1f, 0f, 0f), 16);
        assertWithin(16 * perSample, m.keptActivationBytes(), "kept activations of a context for 16");
    }

    @Test
    void profileMeasuresEveryBlock() {
        Segment seg = small().build(SCALAR);
        BlockProfile[] p = seg.profile(4, 1, 2, 3);
        assertEquals(3, p.length);
        for (BlockProfile b : p) {
            System.out.println(b);
            assertTrue(b.forwardNsPerSample() >= 0 && b.backwardNsPerSample() >= 0);
        }
        assertEquals(4L * 4 * 4 * 4, p[0].outputBytesPerSample());
        assertEquals(4L * 16, p[1].outputBytesPerSample());
        assertEquals(Layout.alignedBytes(4 * 2 * 9) + 2 * Layout.alignedBytes(4), p[0].parameterBytes());
    }

    @Test
    void interleavedMicroBatchesAccumulateTheSameGradientsAsOneAfterTheOther() {
        ModelSpec spec = small();
        Segment seg = spec.build(0, spec.blockCount(), SCALAR, true);
        MemoryAccount account = MemoryAccount.root("interleaved");
        OptimizerSpec opt = OptimizerSpec.sgd(0.1f, 0f, 0f);
        try (TensorArena arena = new TensorArena(account);
                ParameterState sequential = seg.newState(5, opt, account);
                ParameterState interleaved = seg.newState(5, opt, account);
                ActivationContext one = seg.newContext(4, account);
                ActivationContext a = seg.newContext(4, account);
                ActivationContext b = seg.newContext(4, account)) {
            Tensor x = random(arena, Shapes.batched(8, spec.inputShape()), 1);
            Tensor dy = random(arena, Shapes.batched(8, spec.outputShape()), 2);
            // one context, micro-batch 0 then micro-batch 1
            seg.forward(sequential, one, x.slice(0, 4), true);
            float[] dIn0 = seg.backward(sequential, one, dy.slice(0, 4)).toFloatArray();
            seg.forward(sequential, one, x.slice(4, 8), true);
            float[] dIn1 = seg.backward(sequential, one, dy.slice(4, 8)).toFloatArray();
            // two contexts in flight: forward 0, forward 1, backward 0, backward 1
            seg.forward(interleaved, a, x.slice(0, 4), true);
            seg.forward(interleaved, b, x.slice(4, 8), true);
            assertArrayEquals(dIn0, seg.backward(interleaved, a, dy.slice(0, 4)).toFloatArray(), 0f);
            assertArrayEquals(dIn1, seg.backward(interleaved, b, dy.slice(4, 8)).toFloatArray(), 0f);
            for (int p = 0; p < sequential.size(); p++) {
                assertArrayEquals(sequential.grad(p).toFloatArray(), interleaved.grad(p).toFloatArray(), 0f,
                        sequential.name(p));
            }
        }
    }

    @Test
    void contextPoolReusesContextsAndBoundsHowManyExist() {
        Segment seg = small().build(SCALAR);
        MemoryAccount account = MemoryAccount.root("pool");
        try (ContextPool pool = new ContextPool(seg, 4, 2, account)) {
            ActivationContext a = pool.acquire();
            ActivationContext b = pool.acquire();
            assertTrue(a != null && b != null && a != b);
            assertEquals(null, pool.acquire(), "a third micro-batch in flight waits");
            long bytes = account.liveBytes();
            MemoryReport m = seg.memory(OptimizerSpec.sgd(0f, 0f, 0f), 4);
            assertEquals(m.poolBytes(2), bytes, "two contexts' kept activations and one shared scratch");
            assertTrue(bytes < 2 * m.contextBytes());
            pool.release(a);
            assertTrue(pool.acquire() == a, "a released context is reused");
            assertEquals(bytes, account.liveBytes(), "reuse allocates nothing");
            assertEquals(2, pool.inUse());
        }
        assertEquals(0, account.liveBytes());
    }

    @Test
    void pooledContextsSharingScratchGiveTheSameResultsAsSeparateOnes() {
        ModelSpec spec = ModelZoo.create("resnet18", Shape.of(3, 8, 8), 10);
        Segment seg = spec.build(2, 5, LOOP);
        MemoryAccount account = MemoryAccount.root("pooled");
        OptimizerSpec opt = OptimizerSpec.sgd(0.1f, 0f, 0f);
        try (TensorArena arena = new TensorArena(account);
                ParameterState pooled = seg.newState(5, opt, account);
                ParameterState separate = seg.newState(5, opt, account);
                ContextPool pool = new ContextPool(seg, 2, 2, account);
                ActivationContext own0 = seg.newContext(2, account);
                ActivationContext own1 = seg.newContext(2, account)) {
            Tensor x = random(arena, Shapes.batched(4, seg.inputShape()), 1);
            Tensor dy = random(arena, Shapes.batched(4, seg.outputShape()), 2);
            ActivationContext a = pool.acquire();
            ActivationContext b = pool.acquire();
            // forward 0, forward 1, backward 0, backward 1: the shared scratch is reused between every pass
            float[] y0 = seg.forward(pooled, a, x.slice(0, 2), true).toFloatArray();
            float[] y1 = seg.forward(pooled, b, x.slice(2, 4), true).toFloatArray();
            float[] d0 = seg.backward(pooled, a, dy.slice(0, 2)).toFloatArray();
            float[] d1 = seg.backward(pooled, b, dy.slice(2, 4)).toFloatArray();
            assertArrayEquals(seg.forward(separate, own0, x.slice(0, 2), true).toFloatArray(), y0, 0f);
            assertArrayEquals(seg.forward(separate, own1, x.slice(2, 4), true).toFloatArray(), y1, 0f);
            assertArrayEquals(seg.backward(separate, own0, dy.slice(0, 2)).toFloatArray(), d0, 0f);
            assertArrayEquals(seg.backward(separate, own1, dy.slice(2, 4)).toFloatArray(), d1, 0f);
            for (int p = 0; p < pooled.size(); p++) {
                assertArrayEquals(separate.grad(p).toFloatArray(), pooled.grad(p).toFloatArray(), 0f, pooled.name(p));
            }
        }
    }

    @Test
    void participantsShareOneActivationContext() {
        ModelSpec spec = small();
        Segment seg = spec.build(1, 3, SCALAR);
        MemoryAccount account = MemoryAccount.root("shared");
        OptimizerSpec opt = OptimizerSpec.sgd(0.1f, 0f, 0f);
        try (TensorArena arena = new TensorArena(account);
                ParameterState alice = seg.newState(1, opt, account);
                ParameterState bob = seg.newState(2, opt, account);
                ParameterState bobAlone = seg.newState(2, opt, account);
                ActivationContext shared = seg.newContext(3, account);
                ActivationContext own = seg.newContext(3, account)) {
            Tensor xa = random(arena, Shapes.batched(3, seg.inputShape()), 3);
            Tensor xb = random(arena, Shapes.batched(2, seg.inputShape()), 4);
            Tensor dy = random(arena, Shapes.batched(3, seg.outputShape()), 5);
            seg.forward(alice, shared, xa, true);
            seg.backward(alice, shared, dy);
            float[] out = seg.forward(bob, shared, xb, true).toFloatArray();
            float[] dIn = seg.backward(bob, shared, dy.slice(0, 2)).toFloatArray();
            assertArrayEquals(seg.forward(bobAlone, own, xb, true).toFloatArray(), out, 0f);
            assertArrayEquals(seg.backward(bobAlone, own, dy.slice(0, 2)).toFloatArray(), dIn, 0f);
            assertArrayEquals(bobAlone.grad(0).toFloatArray(), bob.grad(0).toFloatArray(), 0f);
            assertNotEquals(alice.value(0).get(0), bob.value(0).get(0), "participants have their own weights");
        }
    }

    @Test
    void microBatchGradientsSumToTheMiniBatchMean() {
        ModelSpec spec = ModelZoo.create("mlp", Shape.of(1, 8, 8), 4);
        Segment seg = spec.build(SCALAR);
        MemoryAccount account = MemoryAccount.root("accumulate");
        OptimizerSpec opt = OptimizerSpec.sgd(0.1f, 0f, 0f);
        try (TensorArena arena = new TensorArena(account);
                ParameterState whole = seg.newState(9, opt, account);
                ParameterState micro = seg.newState(9, opt, account);
                ActivationContext ctx = seg.newContext(8, account);
                SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(SCALAR, 4, 8, account)) {
            Tensor x = random(arena, Shapes.batched(8, spec.inputShape()), 6);
            Tensor y = labels(arena, 8, 4, 7);
            loss.forward(seg.forward(whole, ctx, x, true), y);
            seg.backward(whole, ctx, loss.backward(y, 1f / 8));
            for (int m = 0; m < 8; m += 2) {
                loss.forward(seg.forward(micro, ctx, x.slice(m, m + 2), true), y.slice(m, m + 2));
                seg.backward(micro, ctx, loss.backward(y.slice(m, m + 2), 1f / 8));
            }
            double worst = 0;
            for (int p = 0; p < whole.size(); p++) {
                float[] a = whole.grad(p).toFloatArray();
                float[] b = micro.grad(p).toFloatArray();
                for (int i = 0; i < a.length; i++) {
                    worst = Math.max(worst, Math.abs(a[i] - b[i]));
                    assertEquals(a[i], b[i], 1e-6f + 1e-5f * Math.abs(a[i]), whole.name(p) + "[" + i + "]");
                }
            }
            System.out.printf("4 micro-batches of 2 vs one batch of 8: largest gradient difference %.3e%n", worst);
        }
    }

    private static Map<String, float[]> train(ModelSpec spec, long seed, OptimizerSpec opt, int steps) {
        return train(spec, seed, opt, steps, null, null);
    }

    /** Trains; with {@code forwardNs} and {@code backwardNs}, through the timing hooks, which add to them. */
    private static Map<String, float[]> train(ModelSpec spec, long seed, OptimizerSpec opt, int steps, long[] forwardNs,
            long[] backwardNs) {
        Segment seg = spec.build(SCALAR);
        MemoryAccount account = MemoryAccount.root("train");
        try (TensorArena arena = new TensorArena(account);
                ParameterState state = seg.newState(seed, opt, account);
                ActivationContext ctx = seg.newContext(4, account);
                SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(SCALAR, spec.classes(), 4, account)) {
            for (int s = 0; s < steps; s++) {
                Tensor x = random(arena, Shapes.batched(8, spec.inputShape()), 100 + s);
                Tensor y = labels(arena, 8, spec.classes(), 200 + s);
                for (int m = 0; m < 8; m += 4) {
                    loss.forward(seg.forward(state, ctx, x.slice(m, m + 4), true, forwardNs), y.slice(m, m + 4));
                    seg.backward(state, ctx, loss.backward(y.slice(m, m + 4), 1f / 8), backwardNs);
                }
                state.step();
                state.zeroGrad();
            }
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : state.namedTensors().entrySet()) {
                out.put(e.getKey(), e.getValue().toFloatArray());
            }
            return out;
        }
    }

    @Test
    void sameSeedGivesBitIdenticalWeightsAfterTraining() {
        for (OptimizerSpec opt : new OptimizerSpec[] {OptimizerSpec.sgd(0.05f, 0.9f, 1e-4f), OptimizerSpec.adam(1e-2f,
            1e-4f)}) {
            Map<String, float[]> a = train(small(), 11, opt, 4);
            Map<String, float[]> b = train(small(), 11, opt, 4);
            Map<String, float[]> c = train(small(), 12, opt, 4);
            assertEquals(a.keySet(), b.keySet());
            boolean anyDiffers = false;
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k), b.get(k), 0f, opt.kind() + " " + k);
                anyDiffers |= !java.util.Arrays.equals(a.get(k), c.get(k));
            }
            assertTrue(anyDiffers, "another seed gives other weights");
        }
    }

    @Test
    void timingHooksTimeEveryBlockAndLeaveTheWeightsBitIdentical() {
        OptimizerSpec opt = OptimizerSpec.sgd(0.05f, 0.9f, 1e-4f);
        long[] forwardNs = new long[small().blockCount()];
        long[] backwardNs = new long[small().blockCount()];
        Map<String, float[]> plain = train(small(), 11, opt, 4);
        Map<String, float[]> timed = train(small(), 11, opt, 4, forwardNs, backwardNs);
        assertEquals(plain.keySet(), timed.keySet());
        for (String k : plain.keySet()) {
            assertArrayEquals(plain.get(k), timed.get(k), 0f, k);
        }
        for (int i = 0; i < forwardNs.length; i++) {
            assertTrue(forwardNs[i] > 0 && backwardNs[i] > 0, "block " + i + " timed: forward " + forwardNs[i]
                    + " ns, backward " + backwardNs[i] + " ns");
        }
        System.out.printf("timed blocks, forward ns %s, backward ns %s%n", java.util.Arrays.toString(forwardNs),
                java.util.Arrays.toString(backwardNs));
    }

    @Test
    void buildingWholeOrInPiecesGivesTheSameInitialWeightsAndNames() {
        ModelSpec spec = ModelZoo.create("resnet18", Shape.of(3, 8, 8), 10);
        MemoryAccount account = MemoryAccount.root("init");
        OptimizerSpec opt = OptimizerSpec.sgd(0.1f, 0f, 0f);
        try (ParameterState whole = spec.build(SCALAR).newState(3, opt, account);
                ParameterState head = spec.build(0, 4, SCALAR).newState(3, opt, account);
                ParameterState tail = spec.build(4, spec.blockCount(), SCALAR).newState(3, opt, account)) {
            Map<String, Tensor> all = whole.namedTensors();
            assertTrue(all.containsKey("block0.conv.weight"), all.keySet().toString());
            assertTrue(all.containsKey("block3.residual.shortcut.conv.weight"), all.keySet().toString());
            assertTrue(all.containsKey("block1.residual.main.bn2.running_var"), all.keySet().toString());
            int n = 0;
            for (ParameterState part : new ParameterState[] {head, tail}) {
                for (Map.Entry<String, Tensor> e : part.namedTensors().entrySet()) {
                    assertArrayEquals(all.get(e.getKey()).toFloatArray(), e.getValue().toFloatArray(), 0f, e.getKey());
                    n++;
                }
            }
            assertEquals(all.size(), n);
        }
    }

    @Test
    void weightsLoadByName() {
        ModelSpec spec = small();
        MemoryAccount account = MemoryAccount.root("load");
        OptimizerSpec opt = OptimizerSpec.sgd(0.1f, 0f, 0f);
        try (ParameterState source = spec.build(SCALAR).newState(1, opt, account);
                ParameterState target = spec.build(1, 3, SCALAR).newState(2, opt, account)) {
            assertEquals(4, target.load(source.namedTensors()), "fc16 and fc4 weights and biases");
            assertArrayEquals(source.namedTensors().get("block2.fc.weight").toFloatArray(),
                    target.namedTensors().get("block2.fc.weight").toFloatArray(), 0f);
        }
    }

    @Test
    void forwardOnASmallerBatchEqualsAContextOfExactlyThatSize() {
        ModelSpec spec = small();
        Segment seg = spec.build(SCALAR);
        MemoryAccount account = MemoryAccount.root("views");
        OptimizerSpec opt = OptimizerSpec.sgd(0.1f, 0f, 0f);
        try (TensorArena arena = new TensorArena(account);
                ParameterState s1 = seg.newState(4, opt, account);
                ParameterState s2 = seg.newState(4, opt, account);
                ActivationContext big = seg.newContext(16, account);
                ActivationContext exact = seg.newContext(3, account)) {
            Tensor x = random(arena, Shapes.batched(3, spec.inputShape()), 8);
            Tensor dy = random(arena, Shapes.batched(3, spec.outputShape()), 9);
            assertArrayEquals(seg.forward(s1, exact, x, true).toFloatArray(), seg.forward(s2, big, x, true)
                    .toFloatArray(), 0f);
            seg.backward(s1, exact, dy);
            seg.backward(s2, big, dy);
            assertArrayEquals(s1.grad(0).toFloatArray(), s2.grad(0).toFloatArray(), 0f);
            Tensor tooBig = arena.allocate(Shapes.batched(4, spec.inputShape()));
            assertThrows(IllegalArgumentException.class, () -> seg.forward(s1, exact, tooBig, true));
            Segment other = spec.build(0, 1, SCALAR);
            assertThrows(IllegalArgumentException.class, () -> other.forward(s1, big, x, true));
        }
    }

    @Test
    void mlpLearnsASeparableProblem() {
        for (OptimizerSpec opt : new OptimizerSpec[] {OptimizerSpec.sgd(0.05f, 0.9f, 0f), OptimizerSpec.adam(2e-3f,
            0f)}) {
            ModelSpec spec = ModelZoo.create("mlp", Shape.of(1, 8, 8), 4);
            Backend cpu = LoopGemm.backend();
            Segment seg = spec.build(cpu);
            MemoryAccount account = MemoryAccount.root("smoke");
            try (TensorArena arena = new TensorArena(account);
                    ParameterState state = seg.newState(21, opt, account);
                    ActivationContext ctx = seg.newContext(32, account);
                    SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(cpu, 4, 32, account)) {
                // four classes: each a fixed random pattern plus noise
                Tensor means = random(arena, Shape.of(4, 64), 30);
                Tensor x = arena.allocate(Shape.of(32, 1, 8, 8));
                Tensor y = arena.allocate(Shape.of(32), DType.I32);
                SeededRandom rng = new SeededRandom(31);
                double first = 0;
                double last = 0;
                int correct = 0;
                for (int step = 0; step < 40; step++) {
                    for (int i = 0; i < 32; i++) {
                        int c = rng.nextInt(4);
                        y.setInt(i, c);
                        for (int k = 0; k < 64; k++) {
                            x.set(i * 64L + k, (float) (means.get(c * 64L + k) + 0.5 * rng.nextGaussian()));
                        }
                    }
                    Tensor logits = seg.forward(state, ctx, x, true);
                    double l = loss.forward(logits, y) / 32;
                    correct = SoftmaxCrossEntropy.correct(logits, y);
                    seg.backward(state, ctx, loss.backward(y, 1f / 32));
                    state.step();
                    state.zeroGrad();
                    if (step == 0) {
                        first = l;
                    }
                    last = l;
                }
                System.out.printf("mlp %s: loss %.4f -> %.4f, last batch %d/32 correct%n", opt.kind(), first, last,
                        correct);
                assertTrue(last < 0.25 * first, "loss falls from " + first + " to " + last);
                assertTrue(correct >= 28, "accuracy on the last batch " + correct + "/32");
            } finally {
                cpu.close();
            }
        }
    }
}
