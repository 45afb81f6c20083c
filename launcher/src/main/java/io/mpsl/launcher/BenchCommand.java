package io.mpsl.launcher;

import io.mpsl.bench.kernels.KernelBench;
import java.util.Arrays;
import java.util.List;

/** {@code mpsl bench SUITE ...}: dispatches to the benchmark runners of the bench module. */
final class BenchCommand {

    private record Suite(String name, String summary, Main.Runner runner) {
    }

    private static final List<Suite> SUITES = List.of(
            new Suite("kernels", "GEMM and convolution rates of each backend vs raw OpenBLAS", KernelBench::run),
            new Suite("transport", "tensor transfers: Aeron UDP/IPC vs TCP, link shaper accuracy",
                    io.mpsl.bench.transport.TransportBench::run),
            new Suite("train", io.mpsl.bench.train.TrainBenchRunner.USAGE, io.mpsl.bench.train.TrainBenchRunner::run),
            new Suite("torch-peer", io.mpsl.bench.train.TorchPeerRunner.USAGE,
                    io.mpsl.bench.train.TorchPeerRunner::run),
            new Suite("tune-grid", io.mpsl.scheduler.tune.TuneGrid.USAGE, io.mpsl.scheduler.tune.TuneGrid::run),
            new Suite("tune-noise", io.mpsl.scheduler.tune.TuneNoise.USAGE, io.mpsl.scheduler.tune.TuneNoise::run),
            new Suite("tune-search", io.mpsl.scheduler.tune.SearchBench.USAGE, io.mpsl.scheduler.tune.SearchBench::run),
            new Suite("tune-drift", io.mpsl.scheduler.tune.DriftBench.USAGE, io.mpsl.scheduler.tune.DriftBench::run),
            new Suite("jmh", "[JMH OPTIONS] [BENCHMARK REGEX]: the JMH suites (PlanSearchBenchmark, GemmBenchmark, ...;"
                    + " -l lists them), forked on this JDK with this class path", BenchCommand::jmh));

    private BenchCommand() {
    }

    static String suites() {
        StringBuilder sb = new StringBuilder();
        for (Suite s : SUITES) {
            sb.append(sb.isEmpty() ? "" : ", ").append(s.name());
        }
        return sb.isEmpty() ? "(none yet)" : sb.toString();
    }

    /** JMH's own command line: its forks run on this JVM's java with this class path. */
    private static int jmh(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(args);
        return 0;
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0) {
            throw new UsageException("which suite? one of: " + suites());
        }
        for (Suite s : SUITES) {
            if (s.name().equals(args[0])) {
                return s.runner().run(Arrays.copyOfRange(args, 1, args.length));
            }
        }
        throw new UsageException("unknown suite '" + args[0] + "'; one of: " + suites());
    }
}
