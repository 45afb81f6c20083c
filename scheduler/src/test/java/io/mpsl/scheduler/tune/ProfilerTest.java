package io.mpsl.scheduler.tune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.scheduler.runtime.LinkProbe;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProfilerTest {

    /**
     * The competition probe's share per thread is the median of its bursts' shares: a few stalled bursts (a host
     * taking the core for some ms) leave it where the others are, a competitor present in every burst moves it.
     */
    @Test
    void shouldReadTheMedianBurstShareSoThatAFewStallsDoNotLookLikeACompetitor() {
        int n = 41;
        long[] cpu = new long[n];
        long[] wall = new long[n];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(System.nanoTime());
        for (int i = 0; i < n; i++) {
            cpu[i] = 2_000_000;
            wall[i] = 2_000_000 + rng.nextInt(20_000); // served in full, a little timer noise
        }
        for (int k = 0; k < 8; k++) { // 8 of 41 bursts stalled 5x: the whole-probe ratio would read ~0.55
            wall[rng.nextInt(n)] = 10_000_000;
        }
        double median = Profiler.medianShare(cpu, wall, n);
        assertTrue(median > 0.98, "stalls moved the median share to " + median);
        for (int i = 0; i < n; i++) {
            wall[i] = 4_000_000 + rng.nextInt(20_000); // a competitor on the core: half of every burst
        }
        double shared = Profiler.medianShare(cpu, wall, n);
        assertEquals(0.5, shared, 0.01);
        assertEquals(1.0, Profiler.medianShare(cpu, wall, 0), 0.0);
        assertEquals(0.625, Profiler.medianShare(new long[] {1, 1}, new long[] {1, 4}, 2), 1e-12); // even count: mean of the middle two
    }

    @Test
    void shouldWaitForTheProcessesOtherThreadsToGoQuiet() throws InterruptedException {
        // a thread of this process spinning (as the JIT compiler does for seconds after new code has run): no
        // window is quiet, so the wait runs to its limit; once it stops, a quiet window ends the wait early
        java.util.concurrent.atomic.AtomicBoolean spin = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread spinner = Thread.ofPlatform().daemon().start(() -> {
            long x = 0;
            while (spin.get()) {
                x += x * 31 + 7;
            }
            if (x == 42) {
                System.out.print("");
            }
        });
        try {
            double waited = Profiler.awaitQuiet(0.5);
            assertTrue(waited >= 0.5, "waited " + waited + " s beside a spinning thread");
        } finally {
            spin.set(false);
            spinner.join();
        }
        double waited = Profiler.awaitQuiet(30);
        assertTrue(waited < 30, "waited the whole 30 s with no other thread running");
    }

    @Test
    void shouldFitPerCallAndPerSampleCostsThroughTwoSizes() {
        // t(b) = 0.002 + 0.0005 b
        assertArrayEquals(new double[] {0.002, 0.0005}, Profiler.fit(0.002 + 0.002, 0.002 + 0.008, 4, 16), 1e-12);
        // never negative: a larger batch measured faster per call than a smaller one means no per-sample cost
        double[] f = Profiler.fit(0.01, 0.008, 4, 16);
        assertEquals(0, f[1]);
        assertEquals(0.009, f[0], 1e-12);
        // a negative intercept becomes a purely per-sample cost
        assertArrayEquals(new double[] {0, 0.001}, Profiler.fit(0.001, 0.016, 4, 16), 1e-12);
    }

    @Test
    void shouldMeasureLinksFromTheirTransfers() throws InterruptedException {
        List<OwnerSpec> owners = List.of(new OwnerSpec(8, 1, 1, LinkSpec.mbit(10, 2), LinkSpec.mbit(25, 0)),
                new OwnerSpec(8, 1, 1, LinkSpec.UNLIMITED, LinkSpec.mbit(100, 1)));
        Plan p = new Plan("lenet5", "synthetic", Algorithm.SPLIT, Mode.VANILLA, Plan.ServerCopies.PER_PARTICIPANT, 2,
                new int[] {1, 2}, ScheduleKind.ONE_F_ONE_B, owners, LinkSpec.mbit(1000, 0.5), 1, 1,
                OptimizerSpec.sgd(0.01f, 0, 0), 1, 2, 0, 0, Plan.Partitioning.IID, 0, 0, 0, 1.0);
        Map<String, LinkProbe.Estimate> m = LinkProbe.measure(p);
        System.out.println(m);
        assertEquals(10e6, m.get("owner0.up").goodputBitsPerS(), 10e6 * 1e-6);
        assertEquals(0.002, m.get("owner0.up").latencyS(), 1e-9);
        assertEquals(25e6, m.get("owner0.down").goodputBitsPerS(), 25e6 * 1e-6);
        assertEquals(0, m.get("owner1.up").goodputBitsPerS(), "unlimited");
        assertEquals(100e6, m.get("owner1.down").goodputBitsPerS(), 100e6 * 1e-6);
        assertEquals(1000e6, m.get("hop1->hop2").goodputBitsPerS(), 1000e6 * 1e-6);
    }

    @Test
    void shouldSearchABigModelWithManyOwners() {
        // the benchmark's problem at a size a test can afford (./mpsl bench tune-search runs 4 hops, 100 owners)
        TuningProblem p = SearchBench.problem("vgg19-tv", 2, 6);
        PlanSearch.Result r = new PlanSearch(p).search(2);
        assertTrue(r.best().maxNodeMemoryBytes() <= p.memoryCapBytes(), r.best().toString());
        assertTrue(r.simulated() < r.candidates(), "pruning simulated " + r.simulated() + " of " + r.candidates());
        assertTrue(r.best().predictedIterationS() >= r.best().lowerBoundS());
    }
}
