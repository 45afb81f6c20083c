package io.mpsl.bench.tune;

import io.mpsl.scheduler.tune.PlanSearch;
import io.mpsl.scheduler.tune.SearchBench;
import io.mpsl.scheduler.tune.SearchCompilation;
import io.mpsl.scheduler.tune.TuningProblem;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The plan search on the autotuner's big problem ({@link SearchBench#problem}: {@code vgg19-tv} at 3x224x224,
 * 1..4 hops, 100 owners that differ, micro-batches 1..16, a 64 GiB cap per node), with the compiler directive the
 * launcher installs ({@link SearchCompilation}) and as many simulating threads as {@code ./mpsl tune} uses (the processors, at most 8). Two
 * measures of the same search:
 * <ul>
 *   <li>{@code firstSearch}: a process's first search, one per fork, every fork a fresh JVM (the just-in-time
 *       compilers start from nothing, as in a command-line {@code tune});</li>
 *   <li>{@code search}: the search once the JVM has compiled it (JMH's warm-up iterations first).</li>
 * </ul>
 * <pre>
 * ./mpsl bench jmh PlanSearchBenchmark
 * </pre>
 * (JMH's own options, e.g. {@code -f 20}, override the counts below.)
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PlanSearchBenchmark {
    @Param({"vgg19-tv"})
    public String model;

    @Param({"4"})
    public int hops;

    @Param({"100"})
    public int owners;

    private TuningProblem problem;

    @Setup(Level.Trial)
    public void setUp() {
        SearchCompilation.install();
        problem = SearchBench.problem(model, hops, owners);
    }

    /** A process's first search: one shot per fresh JVM. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @Warmup(iterations = 0)
    @Measurement(iterations = 1)
    @Fork(value = 10, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:+UseParallelGC"})
    public PlanSearch.Result firstSearch() {
        return new PlanSearch(problem).search(3);
    }

    /** The search in a JVM that has run it before. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @Warmup(iterations = 4, time = 2)
    @Measurement(iterations = 8, time = 2)
    @Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:+UseParallelGC"})
    public PlanSearch.Result search() {
        return new PlanSearch(problem).search(3);
    }
}
