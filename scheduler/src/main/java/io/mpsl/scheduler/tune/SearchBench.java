package io.mpsl.scheduler.tune;

import io.mpsl.kernels.Backends;
import io.mpsl.nn.BlockProfile;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code mpsl bench tune-search [--model vgg19-tv] [--hops 4] [--owners 100] [--threads N] [--runs 3]}: how long
 * the plan search takes on a big problem, wall time and the CPU time of all threads of the process over the search
 * (the search is exact: the same best plan and runners-up as simulating every candidate). Block sizes (outputs, parameters, kept activations) are the model's own at 3x224x224;
 * compute times are a stand-in proportional to each block's kept activation bytes (the search's work does
 * not depend on them). Owners differ: batch, slowdown and links vary with the owner's index.
 */
public final class SearchBench {
    public static final String USAGE = "tune-search [--model vgg19-tv] [--hops 4] [--owners 100] [--threads N] [--runs 3]";

    private SearchBench() {
    }

    /** The benchmark's problem: U-shaped, 1..hops hops, micro-batches 1..16, 64 GiB per node (100 copies of the 4096-wide layers do not fit one), dedicated processors. */
    public static TuningProblem problem(String model, int hops, int owners) {
        ModelSpec spec = ModelZoo.create(model, io.mpsl.tensor.Shape.of(3, 224, 224), 1000);
        List<BlockCost> blocks = new ArrayList<>();
        try (io.mpsl.kernels.Backend b = Backends.chosen().create(1)) {
            for (BlockProfile p : spec.build(0, spec.blockCount(), b, true).footprint()) {
                double perSample = 2e-9 * p.keptBytesPerSample() + 1e-10 * p.parameterBytes();
                blocks.add(new BlockCost(perSample, 2 * perSample, p.outputBytesPerSample(), p.parameterBytes(),
                        p.keptBytesPerSample() + p.scratchBytesPerSample(), 1e-4, 2e-4, 1e-10 * p.parameterBytes()));
            }
        }
        List<OwnerSpec> os = new ArrayList<>();
        for (int i = 0; i < owners; i++) {
            os.add(new OwnerSpec(16 + 16 * (i % 2), 1, 1 + i % 4, LinkSpec.mbit(10 + 5 * (i % 5), 1),
                    LinkSpec.mbit(25 + 5 * (i % 3), 1)));
        }
        return new TuningProblem(blocks, os, LinkSpec.mbit(1000, 0.1), Mode.U_SHAPED, ScheduleKind.ONE_F_ONE_B, 1, hops,
                new int[] {1, 2, 4, 8, 16}, 1, 64L << 30, 4);
    }

    public static int run(String[] args) {
        String model = "vgg19-tv";
        int hops = 4;
        int owners = 100;
        int threads = Math.min(Runtime.getRuntime().availableProcessors(), PlanSearch.MAX_THREADS);
        int runs = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--hops" -> hops = Integer.parseInt(args[++i]);
                case "--owners" -> owners = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'; usage: " + USAGE);
            }
        }
        TuningProblem p = problem(model, hops, owners);
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (int rep = 0; rep < runs; rep++) {
            long cpu0 = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
            long t = System.nanoTime();
            PlanSearch.Result r = new PlanSearch(p).search(3, threads);
            double s = (System.nanoTime() - t) / 1e9;
            long cpu1 = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
            System.out.printf(Locale.ROOT, "%s, 1..%d hops, %d owners: %d candidates (%d over the 64 GiB cap), %d simulated"
                    + " (%d simulator events), best %s in %.3f s (%d thread(s), %.3f s of CPU in the process; exact: the"
                    + " best and runners-up of simulating every candidate)%n", model, hops, owners, r.candidates(),
                    r.overMemory(), r.simulated(), r.events(), r.best(), s, threads,
                    cpu0 < 0 ? Double.NaN : (cpu1 - cpu0) / 1e9);
        }
        return 0;
    }
}
