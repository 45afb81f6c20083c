package io.mpsl.scheduler.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.SyntheticDataset;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.RunResult;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.json.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TunerTest {
    static MemoryAccount account;
    static Dataset train;
    static Dataset test;

    @BeforeAll
    static void data() {
        account = MemoryAccount.root("test");
        train = SyntheticDataset.create("synthetic", Shape.of(1, 28, 28), 10, 64, 3, account);
        test = SyntheticDataset.create("synthetic-test", Shape.of(1, 28, 28), 10, 16, 4, account);
    }

    @AfterAll
    static void close() {
        train.close();
        test.close();
    }

    static PlanConfig config(String extra) {
        return PlanConfig.parse("""
                model: lenet5
                dataset: synthetic
                mode: u-shaped
                hops: 1
                cuts: auto
                micro_batches: auto
                tune_micro_batches: [1, 2, 4]
                owners: 4
                batch: 8
                slowdown: 2
                uplink_mbit: 10
                downlink_mbit: 25
                rounds: 1
                local_iterations: 1
                """ + extra, "tune-test.yaml", List.of());
    }

    @Test
    void shouldDescribeThePlanItChoosesInJson() throws InterruptedException {
        PlanConfig c = config("");
        Tuner.Choice choice = Tuner.tune(c, train.sampleShape(), train.classes(), train.size(), 3);
        // the shape a tool reads, through a JSON round trip
        Object parsed = Json.parse(Json.writePretty(choice.toJsonMap()));
        Map<?, ?> m = assertInstanceOf(Map.class, parsed);
        Map<?, ?> plan = assertInstanceOf(Map.class, m.get("plan"));
        List<?> cuts = assertInstanceOf(List.class, plan.get("cuts"));
        assertEquals(2, cuts.size(), "U-shaped, one hop: two cut points");
        assertTrue(List.of(1L, 2L, 4L).contains(((Number) plan.get("micro_batches")).longValue()), plan.toString());
        double predicted = ((Number) m.get("predicted_iteration_s")).doubleValue();
        assertTrue(predicted > 0, "prediction " + predicted);
        List<?> alt = assertInstanceOf(List.class, m.get("alternatives"));
        assertEquals(3, alt.size());
        for (Object a : alt) {
            double p = ((Number) ((Map<?, ?>) a).get("predicted_iteration_s")).doubleValue();
            assertTrue(p >= predicted, "an alternative predicted faster than the choice: " + a);
        }
        assertTrue(((Number) m.get("tune_s")).doubleValue() > 0);
        // the overrides give a runnable plan with those cuts
        Plan p = c.with(choice.overrides()).plan(Algorithm.SPLIT);
        assertEquals(((Number) cuts.get(0)).intValue(), p.cuts()[0]);
    }

    @Test
    void shouldChooseMoreHopsUnderAMemoryCapAndStayUnderItWhenRun() throws InterruptedException {
        // owners 50x slower than a compute node over fast links: the fastest plans put all but the ends on hops;
        // 8 owners, each with its own server-side copy, make a hop's memory mostly parameters and optimizer state
        PlanConfig base = config("max_in_flight: 1\ntune_max_hops: 3\n").with(List.of("owners=8", "slowdown=50",
                "uplink_mbit=1000", "downlink_mbit=1000", "tune_micro_batches=[1]"));
        Plan plan0 = Tuner.withAutoStandIns(base).plan(Algorithm.SPLIT);
        Tuner.Measurements meas = Tuner.measure(plan0, io.mpsl.nn.zoo.ModelZoo.create("lenet5", train.sampleShape(),
                train.classes()), io.mpsl.kernels.Backends.chosen(), Tuner.microBatchChoices(base, plan0));
        PlanConfig oneHop = base.with(List.of("tune_max_hops=1"));
        Candidate bestOneHop = Tuner.search(oneHop, plan0, Tuner.problem(oneHop, plan0, meas, 1, 0, null, 1.0), 0, 1)
                .best();
        long cap = bestOneHop.maxNodeMemoryBytes() * 19 / 20; // the best one-hop plan exceeds it
        PlanConfig capped = base.with(List.of("memory_cap_mb=" + cap / 1048576.0));
        Tuner.Choice c = Tuner.search(capped, plan0, Tuner.problem(capped, plan0, meas, 1, 0, null, 1.0), 0, 1);
        long smallestOneHop = bestOneHop.maxNodeMemoryBytes();
        System.out.printf("best one-hop plan %s needs %d B; under a cap of %d B: %s%n", bestOneHop, smallestOneHop, cap,
                c.best());
        assertTrue(c.best().hops() > 1, "expected a multihop plan, got " + c.best());
        assertTrue(c.best().maxNodeMemoryBytes() <= cap);
        Plan plan = capped.with(c.overrides()).plan(Algorithm.SPLIT);
        try (LocalCluster cluster = new LocalCluster(plan, train, test, new LocalCluster.Options().evaluate(false))) {
            RunResult r = cluster.run();
            long[] predicted = c.best().nodeMemoryBytes();
            for (RunResult.Node n : r.nodes()) {
                if (n.name().startsWith("hop")) {
                    int h = Integer.parseInt(n.name().substring(3)) - 1;
                    System.out.printf("%s: measured peak %d B, predicted %d B, cap %d B%n", n.name(), n.peakBytes(),
                            predicted[h], cap);
                    assertTrue(n.peakBytes() <= cap, n.name() + " peaked at " + n.peakBytes() + " B over the cap " + cap);
                    assertTrue(n.peakBytes() <= predicted[h], n.name() + " peaked above its prediction");
                }
            }
        }
    }
    @Test
    void shouldMixANeighbouringMicroBatchCountIntoEverySecondOwnerAndNoneForOneOwner() {
        PlanConfig c = config("");
        Plan plan = Tuner.withAutoStandIns(c).plan(Algorithm.SPLIT);
        io.mpsl.nn.ModelSpec spec = io.mpsl.nn.zoo.ModelZoo.create("lenet5", train.sampleShape(), train.classes());
        Tuner.Measurements guess = new Tuner.Measurements(Profiler.estimate(spec),
                Map.of(), 0);
        TuningProblem problem = Tuner.problem(c, plan, guess, 1, 0, null, 1.0);
        Candidate two = new PlanSearch(problem).evaluate(1, new int[] {1, 3}, 2);
        int second = Tuner.secondMicroBatches(problem, two, new int[] {1, 2, 4});
        assertTrue(second == 1 || second == 4, "a neighbour of 2, got " + second);
        assertEquals(4, Tuner.secondMicroBatches(problem, new PlanSearch(problem).evaluate(1, new int[] {1, 3}, 1),
                new int[] {1, 2, 4}) * 2, "1's only neighbour is 2");
        assertEquals(0, Tuner.secondMicroBatches(problem, two, new int[] {2}), "no other count to time");
        Plan mixed = Tuner.mixed(plan, 4);
        for (int p = 0; p < 4; p++) {
            assertEquals(p % 2 == 0 ? plan.owners().get(p).microBatches() : 4, mixed.owners().get(p).microBatches());
        }
        PlanConfig one = c.with(List.of("owners=1"));
        Plan plan1 = Tuner.withAutoStandIns(one).plan(Algorithm.SPLIT);
        TuningProblem single = Tuner.problem(one, plan1, guess, 1, 0, null, 1.0);
        assertEquals(0, Tuner.secondMicroBatches(single, two, new int[] {1, 2, 4}), "one owner: nothing to mix");
    }

    @Test
    void shouldTakeTheRoundsOwnCompetitionAloneWhereMeasuredCompletelyElseTheLargerWithAProbe() {
        LiveProfile complete = new LiveProfile(List.of(new BlockCost(1e-3, 2e-3, 100, 100, 100)));
        complete.update(Map.of(), Double.NaN, Map.of(), 0.3, true);
        assertEquals(0.3, Tuner.background(complete, 5.0), 0, "other programs are in the machine's accounting");
        LiveProfile visible = new LiveProfile(List.of(new BlockCost(1e-3, 2e-3, 100, 100, 100)));
        visible.update(Map.of(), Double.NaN, Map.of(), 0.3, false);
        assertEquals(5.0, Tuner.background(visible, 5.0), 0, "a probe sees other programs the threads do not");
        assertEquals(0.3, Tuner.background(visible, 0.1), 0);
    }

    @Test
    void shouldTuneFromARoundOfTrainingForTheConfiguredRoundsWhateverTheScheduleAndRoundCount()
            throws InterruptedException {
        // one round of the whole training set per owner, a cosine schedule: neither can run as a live start, and tune
        // profiles in a round of training all the same, cut to TUNE_ROUND_ITERATIONS
        PlanConfig c = config("lr_schedule: cosine\n").with(List.of("local_iterations=0"));
        assertTrue(!Tuner.liveWanted(c));
        // 40 mini-batches of 8 per owner: more than the profiling round's cap
        try (Dataset big = SyntheticDataset.create("synthetic-big", Shape.of(1, 28, 28), 10, 4 * 8 * 40, 5, account)) {
            int ipr = Tuner.iterationsPerRound(Tuner.withAutoStandIns(c).plan(Algorithm.SPLIT), big.size());
            assertEquals(40, ipr);
            Tuner.LiveStart ls = Tuner.tuneLive(c, big, test, new LocalCluster.Options(), 2);
            assertEquals(Tuner.TUNE_ROUND_ITERATIONS, ls.firstRound().iterations(), "the profiling round");
            assertEquals(ipr, ls.choice().problem().runtime().iterationsPerRound(),
                    "the choice is for the configured rounds, not the profiling round");
            assertTrue(ls.choice().best().predictedIterationS() > 0);
            assertEquals(2, ls.choice().alternatives().size());
            Plan chosen = c.with(ls.choice().overrides()).plan(Algorithm.SPLIT);
            assertEquals(ls.choice().best().microBatches(), chosen.owners().get(0).microBatches());
        }
    }

    @Test
    void shouldStartLiveFromSizesThenHandTheChosenRestTheFirstRoundsState() throws InterruptedException {
        PlanConfig c = config("lr: 0.02\nlr_decay: 0.5\nwarmup_rounds: 1\n").with(List.of("rounds=3"));
        assertTrue(Tuner.liveWanted(c));
        assertTrue(!Tuner.liveWanted(c.with(List.of("rounds=1"))), "one round leaves nothing to re-plan");
        assertTrue(!Tuner.liveWanted(c.with(List.of("lr_schedule=cosine"))), "a cosine rate spans the whole run");
        Tuner.LiveStart ls = Tuner.startLive(c, train, test, new LocalCluster.Options(), 2);
        // the first round trained: every owner took its local iterations' optimizer steps
        assertEquals(4, ls.state().steps().length);
        for (int st : ls.state().steps()) {
            assertEquals(1, st, "optimizer steps after the first round");
        }
        assertEquals(1, ls.firstRound().rounds());
        // every second owner ran the first round at a neighbouring micro-batch count (of [1, 2, 4]), so that the
        // blocks were timed at two sizes
        int m1 = ls.initial().microBatches();
        int m2 = ls.initialSecondMicroBatches();
        assertTrue(m2 != m1 && Math.abs(Integer.numberOfTrailingZeros(m2) - Integer.numberOfTrailingZeros(m1)) == 1,
                "second count " + m2 + " beside " + m1);
        // the rest: the chosen plan, one round and one warm-up round fewer, the rate one round on
        assertTrue(!Tuner.wanted(ls.rest()), "the rest's plan is fixed");
        assertEquals(2, ls.rest().integer("rounds"));
        assertEquals(0, ls.rest().integer("warmup_rounds"));
        assertEquals(0.01, ls.rest().number("lr"), 1e-7);
        Plan rest = ls.rest().plan(Algorithm.SPLIT);
        assertEquals(ls.choice().best().microBatches(), rest.owners().get(0).microBatches());
        assertEquals(ls.choice().best().cuts()[0], rest.cuts()[0]);
        Map<String, Object> json = ls.toJsonMap();
        assertEquals(((Number) json.get("estimate_s")).doubleValue() + ls.choice().tuneS(),
                ((Number) json.get("tune_s")).doubleValue(), 1e-12);
        try (LocalCluster cluster = new LocalCluster(rest, train, test, new LocalCluster.Options().evaluate(false))) {
            cluster.importState(ls.state());
            RunResult r = cluster.run();
            assertEquals(2, r.rounds());
            for (int st : cluster.exportState().steps()) {
                assertEquals(3, st, "optimizer steps after all three rounds");
            }
        }
    }
}
