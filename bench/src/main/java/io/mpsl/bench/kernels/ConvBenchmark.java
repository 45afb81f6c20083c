package io.mpsl.bench.kernels;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.Backends;
import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.cpu.CpuBackend;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 3x3 convolutions (stride 1, pad 1) of the VGG shapes, forward, backward data and backward weights, next
 * to the backend's own GEMM on the equivalent single product (batch*H*W x C_out x 9*C_in, the orientation
 * the convolution uses) in the same run. The {@code gflop} counter counts the direct convolution's FLOPs
 * (2 * batch * C_out * H * W * 9 * C_in per pass) and reads in GFLOP/s; conv/GEMM is the ratio of the
 * {@code gflop} rates of the conv methods and {@code gemmEquivalent}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp 'launcher/target/lib/*' \
 *     org.openjdk.jmh.Main ConvBenchmark -p provider=openblas -p threads=2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:+UseParallelGC", "-Xmx8g"})
public class ConvBenchmark {

    /** Channels x spatial size: 64 ch 32x32, 128 ch 16x16, 256 ch 8x8 (C_in == C_out). */
    @Param({"64x32", "128x16", "256x8"})
    public String layer;

    @Param({"openblas", "vector"})
    public String provider;

    @Param({"2"})
    public int threads;

    @Param({"64"})
    public int batch;

    private TensorArena arena;
    private Backend backend;
    private ConvSpec spec;
    private Tensor in;
    private Tensor weight;
    private Tensor out;
    private Tensor dOut;
    private Tensor dIn;
    private Tensor dWeight;
    private Tensor gemmC; // (batch*H*W, C_out)
    private MemorySegment panel; // (batch*H*W, 9*C_in)
    private double flopsPerPass;

    /** Floating-point work done, in GFLOP: JMH reports it per second, i.e. GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public double gflop;
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = layer.split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException("layer must be CHANNELSxSIZE, e.g. 64x32, got " + layer);
        }
        int channels = Integer.parseInt(parts[0]);
        int size = Integer.parseInt(parts[1]);
        BackendProvider p = Backends.provider(provider);
        String why = p.unavailableReason();
        if (why != null) {
            throw new IllegalStateException("provider " + provider + " cannot run here: " + why);
        }
        backend = p.create(threads);
        if (!(backend instanceof CpuBackend)) {
            throw new IllegalArgumentException("provider " + provider + " is not a CPU GEMM backend");
        }
        spec = ConvSpec.of(batch, channels, size, size, channels, 3, 1, 1);
        flopsPerPass = spec.forwardFlops();
        arena = new TensorArena(MemoryAccount.root("conv-benchmark"));
        Random random = new Random(42);
        in = random(random, batch, channels, size, size);
        weight = random(random, channels, channels, 3, 3);
        out = arena.allocate(batch, channels, size, size);
        dOut = random(random, batch, channels, size, size);
        dIn = arena.allocate(batch, channels, size, size);
        dWeight = arena.allocate(channels, channels, 3, 3);
        gemmC = arena.allocate(batch * size * size, channels);
        panel = random(random, batch * size * size, channels * 9).segment();
    }

    private Tensor random(Random random, int... dims) {
        Tensor t = arena.allocate(dims);
        for (long i = 0; i < t.size(); i++) {
            t.set(i, random.nextFloat() - 0.5f);
        }
        return t;
    }

    @Benchmark
    public void forward(Work work) {
        backend.conv2dForward(out, in, weight, spec);
        work.gflop += flopsPerPass * 1e-9;
    }

    @Benchmark
    public void backwardData(Work work) {
        backend.conv2dBackwardData(dIn, dOut, weight, spec);
        work.gflop += flopsPerPass * 1e-9;
    }

    @Benchmark
    public void backwardWeights(Work work) {
        backend.conv2dBackwardWeights(dWeight, dOut, in, spec);
        work.gflop += flopsPerPass * 1e-9;
    }

    /** The three passes back to back, as one training step runs them. */
    @Benchmark
    public void allThreePasses(Work work) {
        backend.conv2dForward(out, in, weight, spec);
        backend.conv2dBackwardData(dIn, dOut, weight, spec);
        backend.conv2dBackwardWeights(dWeight, dOut, in, spec);
        work.gflop += 3 * flopsPerPass * 1e-9;
    }

    /** The same FLOPs as one pass in a single GEMM: panel (batch*H*W, 9*C_in) x weight (C_out, 9*C_in)^T. */
    @Benchmark
    public void gemmEquivalent(Work work) {
        int m = batch * spec.outH() * spec.outW();
        int k = spec.inChannels() * 9;
        int n = spec.outChannels();
        backend.sgemm(false, true, m, n, k, 1f, panel, 0, k, weight.segment(), 0, k, 0f, gemmC.segment(), 0, n);
        work.gflop += flopsPerPass * 1e-9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }
}
