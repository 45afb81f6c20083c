package io.mpsl.kernels.cpu;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import io.mpsl.kernels.PoolSpec;
import io.mpsl.kernels.openblas.OpenBlas;
import io.mpsl.kernels.openblas.OpenBlasGemm;
import io.mpsl.kernels.vector.VectorGemm;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * A development harness (not a test): the backend operations of one VGG-11 (CIFAR layout) training step at
 * batch 64, layer by layer: conv forward, bias, ReLU, 2x2 max pool, their backward passes, conv backward
 * weights and data (none for the first conv, as training skips it), as the layers call them (the convolution
 * with its bias and ReLU, its whole backward in one call), and the same calls one by one. Times are the best of the repetitions;
 * on one thread they are the thread's CPU time, which other jobs on a shared machine disturb less than wall
 * time. Arguments: GEMM engine ("openblas" or "vector"; default openblas), threads (1), repetitions (3).
 */
public final class VggLayerSpeed {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    private VggLayerSpeed() {
    }

    public static void main(String[] args) {
        String engine = args.length > 0 ? args[0] : "openblas";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int batch = 64;
        Gemm gemm = engine.equals("vector") ? new VectorGemm(threads)
                : new OpenBlasGemm(OpenBlas.shared().library(), threads);
        int[][] convs = {{3, 64, 32}, {64, 128, 16}, {128, 256, 8}, {256, 256, 8}, {256, 512, 4}, {512, 512, 4},
            {512, 512, 2}, {512, 512, 2}};
        boolean[] poolAfter = {true, true, false, true, false, true, false, true};
        String[] names = {"conv+b+relu", "relu", "pool", "pool-bwd", "relu-bwd", "conv-bwd"};
        System.out.printf("VGG-11 step, batch %d, %s GEMM, %d thread(s), best of %d, %s, ms%n", batch, engine,
                threads, reps, threads == 1 ? "thread CPU time" : "wall time");
        System.out.printf("%-16s", "layer");
        for (String n : names) {
            System.out.printf("%11s", n);
        }
        System.out.printf("%10s%12s%n", "sum", "separate");
        double total = 0;
        double totalSeparate = 0;
        try (CpuBackend be = new CpuBackend(engine, gemm, threads);
                TensorArena arena = new TensorArena(MemoryAccount.root("vgg-layer-speed"))) {
            Random random = new Random(1);
            Layer[] layers = new Layer[convs.length];
            for (int li = 0; li < convs.length; li++) {
                layers[li] = new Layer(arena, random, batch, convs[li][0], convs[li][1], convs[li][2], poolAfter[li],
                        li > 0);
            }
            long[][] best = new long[convs.length][names.length];
            long[] bestSeparate = new long[convs.length];
            Arrays.fill(bestSeparate, Long.MAX_VALUE);
            for (long[] b : best) {
                Arrays.fill(b, Long.MAX_VALUE);
            }
            long[] t = new long[names.length + 1];
            // whole passes over every layer, the first WARM_UP_PASSES untimed: the just-in-time compiler's threads
            // would otherwise compete for the cores while a layer's first calls are timed
            for (int rep = -WARM_UP_PASSES; rep < reps; rep++) {
                for (int li = 0; li < convs.length; li++) {
                    long separate = layers[li].separateStep(be, threads);
                    if (rep >= 0) {
                        bestSeparate[li] = Math.min(bestSeparate[li], separate);
                    }
                    layers[li].step(be, t, threads);
                    for (int i = 0; rep >= 0 && i < names.length; i++) {
                        best[li][i] = Math.min(best[li][i], t[i + 1] - t[i]);
                    }
                }
            }
            for (int li = 0; li < convs.length; li++) {
                double sum = 0;
                System.out.printf("%-16s", convs[li][0] + "->" + convs[li][1] + " @" + convs[li][2]);
                for (long b : best[li]) {
                    System.out.printf("%11.1f", b / 1e6);
                    sum += b / 1e6;
                }
                System.out.printf("%10.1f%12.1f%n", sum, bestSeparate[li] / 1e6);
                total += sum;
                totalSeparate += bestSeparate[li] / 1e6;
            }
            System.out.printf("the same calls one by one (conv, bias, ..., bias gradient, weights, data): %.1f ms;"
                    + " fused / separate %.3f%n", totalSeparate, total / totalSeparate);
        }
        System.out.printf("total %.1f ms per step: at most %.1f samples/s from these operations%n", total,
                batch / (total / 1e3));
    }

    /** Untimed passes over all layers before the timed ones. */
    private static final int WARM_UP_PASSES = 3;

    /** One layer's tensors and its step's operations. */
    private static final class Layer {
        final int batch;
        final int o;
        final int h;
        final boolean backwardData;
        final ConvSpec s;
        final Tensor in;
        final Tensor w;
        final Tensor bias;
        final Tensor out;
        final Tensor relu;
        final Tensor dOut;
        final Tensor dIn;
        final Tensor dW;
        final Tensor dB;
        final PoolSpec ps;
        final Tensor pooled;
        final Tensor dPooled;

        Layer(TensorArena arena, Random random, int batch, int c, int o, int h, boolean pool, boolean backwardData) {
            this.batch = batch;
            this.o = o;
            this.h = h;
            this.backwardData = backwardData;
            s = ConvSpec.of(batch, c, h, h, o, 3, 1, 1);
            in = random(arena, random, batch, c, h, h);
            w = random(arena, random, o, c, 3, 3);
            bias = random(arena, random, o);
            out = arena.allocate(batch, o, h, h);
            relu = arena.allocate(batch, o, h, h);
            dOut = random(arena, random, batch, o, h, h);
            dIn = arena.allocate(batch, c, h, h);
            dW = arena.allocate(o, c, 3, 3);
            dB = arena.allocate(o);
            ps = pool ? PoolSpec.of(batch, o, h, h, 2, 2, 0) : null;
            pooled = pool ? arena.allocate(batch, o, h / 2, h / 2) : null;
            dPooled = pool ? random(arena, random, batch, o, h / 2, h / 2) : null;
        }

        /** The calls a Conv2d, ReLU, MaxPool2d block makes: the convolution with its bias, its whole backward. */
        void step(CpuBackend be, long[] t, int threads) {
            t[0] = now(threads);
            be.conv2dForward(relu, in, w, bias, true, s);
            t[1] = now(threads);
            t[2] = t[1];
            if (ps != null) {
                be.maxPoolForward(pooled, relu, ps);
            }
            t[3] = now(threads);
            if (ps != null) {
                be.maxPoolBackward(dOut, dPooled, relu, ps);
            }
            t[4] = now(threads);
            be.reluBackward(dOut, dOut, relu);
            t[5] = now(threads);
            be.conv2dBackward(dW, dB, backwardData ? dIn : null, dOut, in, w, s);
            t[6] = now(threads);
        }

        /** The same step with the convolution, bias and gradient calls made one by one; returns its time. */
        long separateStep(CpuBackend be, int threads) {
            long t0 = now(threads);
            be.conv2dForward(out, in, w, s);
            be.biasAdd(out, bias, batch, o, h * h);
            be.reluForward(relu, out);
            if (ps != null) {
                be.maxPoolForward(pooled, relu, ps);
                be.maxPoolBackward(dOut, dPooled, relu, ps);
            }
            be.reluBackward(dOut, dOut, relu);
            be.biasBackward(dB, dOut, batch, o, h * h);
            be.conv2dBackwardWeights(dW, dOut, in, s);
            if (backwardData) {
                be.conv2dBackwardData(dIn, dOut, w, s);
            }
            return now(threads) - t0;
        }
    }

    private static long now(int threads) {
        return threads == 1 && !Boolean.getBoolean("wall") ? MX.getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static Tensor random(TensorArena arena, Random random, int... dims) {
        Tensor t = arena.allocate(dims);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, random.nextFloat() - 0.5f);
        }
        return t;
    }
}
