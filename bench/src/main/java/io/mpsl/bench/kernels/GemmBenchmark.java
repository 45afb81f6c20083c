package io.mpsl.bench.kernels;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.Backends;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * C = A * B for square n x n float matrices through {@code Backend.sgemm} of each provider. The
 * {@code gflop} counter reads directly in GFLOP/s (2 n^3 per call); the primary score is calls per second.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp 'launcher/target/lib/*' \
 *     org.openjdk.jmh.Main GemmBenchmark -p n=1024 -p provider=openblas,vector -p threads=1,2
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-XX:+UseParallelGC"})
public class GemmBenchmark {

    @Param({"256", "512", "1024"})
    public int n;

    @Param({"openblas", "vector"})
    public String provider;

    @Param({"1"})
    public int threads;

    private Arena arena;
    private Backend backend;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;

    /** Floating-point work done, in GFLOP: JMH reports it per second, i.e. GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public double gflop;
    }

    @Setup(Level.Trial)
    public void setUp() {
        BackendProvider p = Backends.provider(provider);
        String why = p.unavailableReason();
        if (why != null) {
            throw new IllegalStateException("provider " + provider + " cannot run here: " + why);
        }
        backend = p.create(threads);
        arena = Arena.ofShared();
        a = randomMatrix(1);
        b = randomMatrix(2);
        c = arena.allocate((long) n * n * Float.BYTES, 64);
    }

    private MemorySegment randomMatrix(long seed) {
        MemorySegment m = arena.allocate((long) n * n * Float.BYTES, 64);
        Random r = new Random(seed);
        for (long i = 0; i < (long) n * n; i++) {
            m.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
        }
        return m;
    }

    @Benchmark
    public void sgemm(Work work) {
        backend.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        work.gflop += 2.0 * n * n * n * 1e-9;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }
}
