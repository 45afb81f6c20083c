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
 * weights and data (none for the first conv, as training skips it). Times are the best of the repetitions;
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
        String[] names = {"conv", "bias", "relu", "pool", "pool-bwd", "relu-bwd", "bias-bwd", "conv-bwd-w",
            "conv-bwd-d"};
        System.out.printf("VGG-11 step, batch %d, %s GEMM, %d thread(s), best of %d, %s, ms%n", batch, engine,
                threads, reps, threads == 1 ? "thread CPU time" : "wall time");
        System.out.printf("%-16s", "layer");
        for (String n : names) {
            System.out.printf("%11s", n);
        }
        System.out.printf("%10s%n", "sum");
        double total = 0;
        try (CpuBackend be = new CpuBackend(engine, gemm, threads);
                TensorArena arena = new TensorArena(MemoryAccount.root("vgg-layer-speed"))) {
            Random random = new Random(1);
            for (int li = 0; li < convs.length; li++) {
                int c = convs[li][0];
                int o = convs[li][1];
                int h = convs[li][2];
                ConvSpec s = ConvSpec.of(batch, c, h, h, o, 3, 1, 1);
                Tensor in = random(arena, random, batch, c, h, h);
                Tensor w = random(arena, random, o, c, 3, 3);
                Tensor bias = random(arena, random, o);
                Tensor out = arena.allocate(batch, o, h, h);
                Tensor relu = arena.allocate(batch, o, h, h);
                Tensor dOut = random(arena, random, batch, o, h, h);
                Tensor dIn = arena.allocate(batch, c, h, h);
                Tensor dW = arena.allocate(o, c, 3, 3);
                Tensor dB = arena.allocate(o);
                PoolSpec ps = poolAfter[li] ? PoolSpec.of(batch, o, h, h, 2, 2, 0) : null;
                Tensor pooled = ps != null ? arena.allocate(batch, o, h / 2, h / 2) : null;
                Tensor dPooled = ps != null ? random(arena, random, batch, o, h / 2, h / 2) : null;
                long[] best = new long[names.length];
                Arrays.fill(best, Long.MAX_VALUE);
                long[] t = new long[names.length + 1];
                for (int rep = -1; rep < reps; rep++) {
                    t[0] = now(threads);
                    be.conv2dForward(out, in, w, s);
                    t[1] = now(threads);
                    be.biasAdd(out, bias, batch, o, h * h);
                    t[2] = now(threads);
                    be.reluForward(relu, out);
                    t[3] = now(threads);
                    if (ps != null) {
                        be.maxPoolForward(pooled, relu, ps);
                    }
                    t[4] = now(threads);
                    if (ps != null) {
                        be.maxPoolBackward(dOut, dPooled, relu, ps);
                    }
                    t[5] = now(threads);
                    be.reluBackward(dOut, dOut, relu);
                    t[6] = now(threads);
                    be.biasBackward(dB, dOut, batch, o, h * h);
                    t[7] = now(threads);
                    be.conv2dBackwardWeights(dW, dOut, in, s);
                    t[8] = now(threads);
                    if (li > 0) {
                        be.conv2dBackwardData(dIn, dOut, w, s);
                    }
                    t[9] = now(threads);
                    for (int i = 0; rep >= 0 && i < names.length; i++) {
                        best[i] = Math.min(best[i], t[i + 1] - t[i]);
                    }
                }
                double sum = 0;
                System.out.printf("%-16s", c + "->" + o + " @" + h);
                for (long b : best) {
                    System.out.printf("%11.1f", b / 1e6);
                    sum += b / 1e6;
                }
                System.out.printf("%10.1f%n", sum);
                total += sum;
            }
        }
        System.out.printf("total %.1f ms per step: at most %.1f samples/s from these operations%n", total,
                batch / (total / 1e3));
    }

    private static long now(int threads) {
        return threads == 1 ? MX.getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static Tensor random(TensorArena arena, Random random, int... dims) {
        Tensor t = arena.allocate(dims);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, random.nextFloat() - 0.5f);
        }
        return t;
    }
}
