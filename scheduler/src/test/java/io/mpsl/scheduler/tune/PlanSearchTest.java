package io.mpsl.scheduler.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PlanSearchTest {

    static List<BlockCost> randomBlocks(SplittableRandom rng, int n) {
        List<BlockCost> b = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            b.add(new BlockCost(1e-4 * (0.1 + rng.nextDouble()), 2e-4 * (0.1 + rng.nextDouble()),
                    1000 + rng.nextInt(50_000), rng.nextInt(2_000_000), 1000 + rng.nextInt(100_000)));
        }
        return b;
    }

    static List<OwnerSpec> owners(SplittableRandom rng, int n) {
        List<OwnerSpec> o = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            o.add(new OwnerSpec(16 + 16 * rng.nextInt(3), 1, 1 + rng.nextInt(4),
                    LinkSpec.mbit(5 + rng.nextInt(100), rng.nextInt(3)), LinkSpec.mbit(10 + rng.nextInt(100), 0)));
        }
        return o;
    }

    @Test
    void shouldFindTheSamePlanAsSimulatingEveryCandidate() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int trial = 0; trial < 12; trial++) {
            Mode mode = trial % 2 == 0 ? Mode.VANILLA : Mode.U_SHAPED;
            ScheduleKind kind = ScheduleKind.values()[trial % 3];
            TuningProblem p = new TuningProblem(randomBlocks(rng, 5 + rng.nextInt(4)), owners(rng, 1 + rng.nextInt(4)),
                    LinkSpec.mbit(1000, 0), mode, kind, 1, 3, new int[] {1, 2, 4, 8}, 1, 0, 4);
            PlanSearch search = new PlanSearch(p);
            List<Candidate> all = search.simulateAll();
            PlanSearch.Result r = search.search(3);
            assertEquals(all.get(0).predictedIterationS(), r.best().predictedIterationS(), 1e-12,
                    "trial " + trial + ": pruned search chose " + r.best() + " but brute force " + all.get(0));
            assertTrue(r.simulated() <= r.candidates());
            for (Candidate c : all) {
                assertTrue(c.lowerBoundS() <= c.predictedIterationS() + 1e-12, "lower bound above prediction: " + c);
            }
        }
    }

    @Test
    void shouldPredictALinkBoundPipelineByItsBusierDirection() {
        // one owner, compute next to free; 4 micro-batches of 4 samples, 25,000 B each per sample: an
        // activation (with header and labels) takes 100,080 B * 8 / 10 Mbit/s = 80.064 ms up, a gradient
        // 100,064 B * 8 / 25 Mbit/s = 32.02048 ms down. Up and down are separate: the uplink sends all 4 back to
        // back (320.256 ms), then the last gradient comes down (32.020 ms); the round end adds the weights'
        // header up and down (51.2 + 20.5 us). By hand: 0.35234816 s, not 4 * (80.064 + 32.020) ms = 0.448 s.
        List<BlockCost> blocks = List.of(new BlockCost(1e-9, 1e-9, 25_000, 0, 1000),
                new BlockCost(1e-9, 1e-9, 40, 0, 100));
        TuningProblem p = new TuningProblem(blocks, List.of(new OwnerSpec(16, 4, 1, LinkSpec.mbit(10, 0),
                LinkSpec.mbit(25, 0))), LinkSpec.mbit(1000, 0), Mode.VANILLA, ScheduleKind.ONE_F_ONE_B, 1, 1,
                new int[] {4}, 0, 0, 4);
        Candidate c = new PlanSearch(p).evaluate(1, new int[] {1}, 4);
        double byHand = 4 * 0.080064 + 0.03202048 + 64 * 8 / 10e6 + 64 * 8 / 25e6;
        System.out.printf("link-bound pipeline: predicted %.6f s, by hand %.6f s, bound %.6f s%n",
                c.predictedIterationS(), byHand, c.lowerBoundS());
        assertEquals(byHand, c.predictedIterationS(), 1e-7);
        assertTrue(c.lowerBoundS() <= c.predictedIterationS() + 1e-12);
    }

    @Test
    void shouldLetTheIterationsOfTwoOwnersOverlapOnTheHopWithinARound() {
        // two alike owners, vanilla, one hop, 1 micro-batch, 2 iterations per round, free runtime overheads and
        // no headers; per call 1 s of compute on the owner (forward and backward) and on the hop; an activation
        // (12,499,996 B and 4 B of labels) takes 10 s up at 10 Mbit/s, its gradient 9.9999968 s down (d short of
        // 10 s). By hand: iteration 1, owner 0 at the hop 11-13 (its loss backward first), owner 1 13-15 and
        // done at 26 - d; iteration 2, owner 0 at the hop 35-d..37-d, owner 1 arrives at 37-d and meets a free
        // hop: done at 50 - 2d. Per iteration 25 - d. The hop's fill (11 s) and drain (11 - d) happen once per
        // round, so a bound that charged them every iteration (26 - d) was above what the schedule reaches.
        List<BlockCost> blocks = List.of(new BlockCost(0, 0, 12_499_996, 0, 1000, 1, 1, 0),
                new BlockCost(0, 0, 40, 0, 100, 1, 1, 0));
        OwnerSpec owner = new OwnerSpec(1, 1, 1, LinkSpec.mbit(10, 0), LinkSpec.mbit(10, 0));
        TuningProblem p = new TuningProblem(blocks, List.of(owner, owner), LinkSpec.mbit(1000, 0), Mode.VANILLA,
                ScheduleKind.ONE_F_ONE_B, 1, 1, new int[] {1}, 0, 0, 4, new RuntimeCosts(0, 0, 0, 0, 2, 0),
                new double[0], 1.0);
        PlanSearch search = new PlanSearch(p);
        Candidate c = search.evaluate(1, new int[] {1}, 1);
        double d = 10 - 12_499_996 * 8 / 10e6;
        assertEquals(25 - d, c.predictedIterationS(), 1e-9, "prediction " + c);
        assertEquals(25 - d, search.simulatedIterationS(c), 1e-9);
        assertTrue(c.lowerBoundS() <= 25 - d + 1e-12, "bound " + c.lowerBoundS());
    }

    @Test
    void shouldChargeTheRuntimesOwnTimePerStepToEveryForwardAndBackward() {
        // one owner, vanilla, one hop, one micro-batch: the iteration is one chain, owner forward, up, hop forward
        // and backward, down, owner backward; each of the four steps takes the runtime's own time beside its
        // blocks (o on the owner, h on the hop), so the iteration grows by 2o + 2h, and the bound with it
        List<BlockCost> blocks = List.of(new BlockCost(0, 0, 12_499_996, 0, 1000, 1, 1, 0),
                new BlockCost(0, 0, 40, 0, 100, 1, 1, 0));
        OwnerSpec owner = new OwnerSpec(1, 1, 1, LinkSpec.mbit(10, 0), LinkSpec.mbit(10, 0));
        double o = 0.25;
        double h = 0.5;
        Candidate[] c = new Candidate[2];
        for (int i = 0; i < 2; i++) {
            RuntimeCosts rt = new RuntimeCosts(0, 0, 0, 0, 1, 0, i * o, i * h);
            TuningProblem p = new TuningProblem(blocks, List.of(owner), LinkSpec.mbit(1000, 0), Mode.VANILLA,
                    ScheduleKind.ONE_F_ONE_B, 1, 1, new int[] {1}, 0, 0, 4, rt, new double[0], 1.0);
            c[i] = new PlanSearch(p).evaluate(1, new int[] {1}, 1);
        }
        double d = 10 - 12_499_996 * 8 / 10e6;
        assertEquals(24 - d, c[0].predictedIterationS(), 1e-9);
        assertEquals(24 - d + 2 * o + 2 * h, c[1].predictedIterationS(), 1e-9);
        assertEquals(c[1].predictedIterationS(), c[1].lowerBoundS(), 1e-9, "one owner's chain is its own bound");
    }

    @Test
    void shouldBoundEveryCandidateBelowItsSimulatedIteration() {
        // the bound prunes the search: above a schedule the simulator reaches, it would cut the best plan
        SplittableRandom rng = new SplittableRandom(29);
        for (int trial = 0; trial < 16; trial++) {
            Mode mode = trial % 2 == 0 ? Mode.VANILLA : Mode.U_SHAPED;
            ScheduleKind kind = ScheduleKind.values()[trial % 3];
            RuntimeCosts rt = new RuntimeCosts(trial % 4 == 3 ? 2 : 0, 0, 1e9 * (1 + rng.nextInt(4)),
                    2e9 * (1 + rng.nextInt(4)), 1 + trial % 3, 64, 1e-4 * rng.nextInt(3), 1e-4 * rng.nextInt(3));
            // compute from far below the links' time to on a par with it (where a hop's work decides)
            double scale = new double[] {1, 30, 300}[trial % 3];
            List<BlockCost> blocks = new ArrayList<>();
            for (BlockCost b : randomBlocks(rng, 4 + rng.nextInt(3))) {
                blocks.add(new BlockCost(scale * b.forwardS(), scale * b.backwardS(), b.outputBytes(),
                        b.parameterBytes(), b.activationBytes(), 1e-3, 2e-3, 1e-3));
            }
            TuningProblem p = new TuningProblem(blocks, owners(rng, 2 + rng.nextInt(3)), LinkSpec.mbit(1000, 0), mode,
                    kind, 1, 2, new int[] {1, 2, 4}, 1, 0, 4, rt, new double[0], 1.0);
            PlanSearch search = new PlanSearch(p);
            for (Candidate c : search.simulateAll()) {
                double simulated = search.simulatedIterationS(c);
                assertTrue(c.lowerBoundS() <= simulated * (1 + 1e-9), "trial " + trial + ": bound "
                        + c.lowerBoundS() + " above the simulated " + simulated + " s for " + c);
            }
        }
    }

    @Test
    void shouldChooseMoreHopsWhenTheMemoryCapRulesOutOneHop() {
        // 6 equal blocks of 40 MB of parameters; 4 owners each need their own copy on every hop
        List<BlockCost> blocks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            blocks.add(new BlockCost(1e-4, 2e-4, 4096, 40_000_000, 4096));
        }
        List<OwnerSpec> owners = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            owners.add(new OwnerSpec(32, 1, 8, LinkSpec.mbit(1000, 0), LinkSpec.mbit(1000, 0)));
        }
        // owners 8x slower: the best plans keep as many blocks as possible on compute nodes; one block on a
        // node costs 4 owners x 40 MB x 3 (values, gradients, momentum) = 480 MB
        long cap = 1_000_000_000L;
        TuningProblem oneHop = new TuningProblem(blocks, owners, LinkSpec.mbit(10000, 0), Mode.U_SHAPED,
                ScheduleKind.ONE_F_ONE_B, 1, 1, new int[] {1, 4}, 1, 0, 4);
        Candidate free = new PlanSearch(oneHop).search(2).best();
        assertTrue(free.maxNodeMemoryBytes() > cap, "the best one-hop plan should exceed the cap: " + free);
        TuningProblem capped = new TuningProblem(blocks, owners, LinkSpec.mbit(10000, 0), Mode.U_SHAPED,
                ScheduleKind.ONE_F_ONE_B, 1, 3, new int[] {1, 4}, 1, cap, 4);
        PlanSearch.Result r = new PlanSearch(capped).search(2);
        assertTrue(r.best().hops() > 1, "expected a multihop plan under the cap, got " + r.best());
        assertTrue(r.best().maxNodeMemoryBytes() <= cap);
        assertTrue(r.overMemory() > 0);
        TuningProblem impossible = new TuningProblem(blocks, owners, LinkSpec.mbit(10000, 0), Mode.U_SHAPED,
                ScheduleKind.ONE_F_ONE_B, 1, 3, new int[] {1}, 1, 1000, 4);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new PlanSearch(impossible).search(1));
        assertTrue(e.getMessage().contains("memory cap"), e.getMessage());
        // the guess a live run starts from keeps the cap too, and is a simulated candidate of the full search
        Candidate guessed = new PlanSearch(capped).guessBest();
        assertTrue(guessed.maxNodeMemoryBytes() <= cap, "guessed plan over the cap: " + guessed);
        Candidate same = new PlanSearch(capped).evaluate(guessed.hops(), guessed.cuts(), guessed.microBatches());
        assertEquals(same.predictedIterationS(), guessed.predictedIterationS(), 1e-12);
        assertTrue(guessed.predictedIterationS() >= r.best().predictedIterationS() - 1e-12,
                "a guess cannot beat the searched best: " + guessed + " vs " + r.best());
        assertThrows(IllegalStateException.class, () -> new PlanSearch(impossible).guessBest());
    }

    @Test
    void shouldPreferPipeliningWhenLinksAreSlow() {
        List<BlockCost> blocks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            blocks.add(new BlockCost(2e-4, 4e-4, 20_000, 100_000, 20_000));
        }
        List<OwnerSpec> owners = List.of(new OwnerSpec(64, 1, 4, LinkSpec.mbit(10, 0), LinkSpec.mbit(25, 0)));
        TuningProblem p = new TuningProblem(blocks, owners, LinkSpec.mbit(1000, 0), Mode.VANILLA,
                ScheduleKind.ONE_F_ONE_B, 1, 1, new int[] {1, 2, 4, 8}, 1, 0, 8);
        assertTrue(new PlanSearch(p).search(1).best().microBatches() > 1);
    }

    @Test
    void shouldFindTheSameBestAndRunnersUpAsSimulatingEveryCandidateOnAMediumProblem() {
        // vgg19-tv's block sizes, 12 owners of 12 kinds sharing up to 2 hops: the pruned search (bounds, seeds,
        // simulations stopped at deadlines) against simulating all of the candidates to the end
        TuningProblem p = SearchBench.problem("vgg19-tv", 2, 12);
        PlanSearch search = new PlanSearch(p);
        List<Candidate> all = search.simulateAll();
        PlanSearch.Result r = search.search(3);
        System.out.println("medium problem: " + r.candidates() + " candidates, " + r.simulated() + " simulated; best "
                + r.best() + ", brute force " + all.get(0));
        assertSame(all.get(0), r.best(), "best");
        for (int i = 0; i < 3; i++) {
            assertSame(all.get(i + 1), r.alternatives().get(i), "runner-up " + (i + 1));
        }
        assertTrue(r.simulated() < all.size(), "the search should prune: " + r.simulated() + " of " + all.size());
        assertTrue(r.events() >= r.simulated(), "every simulated plan goes through events: " + r.events());
    }

    @Test
    void shouldFindTheSameBestAsSimulatingEveryCandidateWithRuntimeCostsAndSharedCores() {
        // copies, averaging, shared cores with background threads, 1 to 8 iterations per round (beyond 5 the
        // round is extrapolated from 2 and 3 iterations, the search falls back to the plain bound and stops the
        // longer simulation at the horizon the shorter one sets)
        SplittableRandom rng = new SplittableRandom(23);
        for (int trial = 0; trial < 16; trial++) {
            Mode mode = trial % 2 == 0 ? Mode.VANILLA : Mode.U_SHAPED;
            ScheduleKind kind = ScheduleKind.values()[trial % 3];
            RuntimeCosts rt = new RuntimeCosts(trial % 3, rng.nextInt(2), 1e9 * (1 + rng.nextInt(4)),
                    1e9 * (1 + rng.nextInt(4)), 1 + trial % 8, 64);
            TuningProblem p = new TuningProblem(randomBlocks(rng, 5 + rng.nextInt(4)), owners(rng, 2 + rng.nextInt(5)),
                    LinkSpec.mbit(1000, 0), mode, kind, 1, 3, new int[] {1, 2, 4, 8}, 1, 0, 4, rt, new double[0], 1.0);
            PlanSearch search = new PlanSearch(p);
            List<Candidate> all = search.simulateAll();
            PlanSearch.Result r = search.search(2);
            assertSame(all.get(0), r.best(), "trial " + trial);
            assertSame(all.get(1), r.alternatives().get(0), "trial " + trial + " runner-up");
        }
    }

    @Test
    void shouldEvaluateAPlanWithMoreHopsThanTheSearchConsiders() {
        // a search over 1 hop still predicts a given 3-hop plan, as one over 1..3 hops does
        SplittableRandom rng = new SplittableRandom(5);
        List<BlockCost> blocks = randomBlocks(rng, 7);
        List<OwnerSpec> owners = owners(rng, 3);
        for (Mode mode : new Mode[] {Mode.VANILLA, Mode.U_SHAPED}) {
            TuningProblem one = new TuningProblem(blocks, owners, LinkSpec.mbit(1000, 0), mode, ScheduleKind.ONE_F_ONE_B,
                    1, 1, new int[] {2}, 1, 0, 4);
            TuningProblem three = new TuningProblem(blocks, owners, LinkSpec.mbit(1000, 0), mode, ScheduleKind.ONE_F_ONE_B,
                    1, 3, new int[] {2}, 1, 0, 4);
            int[] cuts = mode == Mode.U_SHAPED ? new int[] {1, 2, 4, 6} : new int[] {1, 3, 5};
            Candidate a = new PlanSearch(one).evaluate(3, cuts, 4);
            Candidate b = new PlanSearch(three).evaluate(3, cuts, 4);
            assertEquals(b.predictedIterationS(), a.predictedIterationS(), 0, mode + ": " + a + " vs " + b);
            assertTrue(java.util.Arrays.equals(b.nodeMemoryBytes(), a.nodeMemoryBytes()), mode.toString());
        }
    }

    private static void assertSame(Candidate want, Candidate got, String what) {
        assertEquals(want.hops(), got.hops(), what + ": " + got + " vs " + want);
        assertTrue(java.util.Arrays.equals(want.cuts(), got.cuts()), what + ": " + got + " vs " + want);
        assertEquals(want.microBatches(), got.microBatches(), what + ": " + got + " vs " + want);
        assertEquals(want.predictedIterationS(), got.predictedIterationS(), 0, what);
    }
}
