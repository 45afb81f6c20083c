package io.mpsl.scheduler.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.SyntheticDataset;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.LinkProbe;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.TrainingState;
import io.mpsl.scheduler.schedule.ScheduleKind;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Re-planning at a round boundary moves weights and optimizer state between nodes without losing any. */
class AdaptiveRunTest {
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

    static Plan plan(int[] cuts, int microBatches, int rounds, double lrDecay) {
        List<OwnerSpec> os = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            os.add(new OwnerSpec(8, microBatches, 1.0, LinkSpec.UNLIMITED, LinkSpec.UNLIMITED));
        }
        // momentum: the optimizer state must travel too; 2 local iterations of 8 samples per owner per round, so
        // the data order crosses an epoch boundary (32 samples, 4 batches per owner) within the 3 rounds
        return new Plan("lenet5", "synthetic", Algorithm.SPLIT, Mode.VANILLA, Plan.ServerCopies.PER_PARTICIPANT, 1, cuts,
                ScheduleKind.ONE_F_ONE_B, os, LinkSpec.UNLIMITED, rounds, 2, OptimizerSpec.sgd(0.05f, 0.9f, 0f), 5, 2, 0,
                0, Plan.Partitioning.IID, 0, 0, 0, lrDecay);
    }

    static Map<String, float[]> weights(LocalCluster c, int participant) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (ParameterState s : c.partsOf(participant)) {
            for (Map<String, Tensor> named : List.of(s.namedTensors(), s.namedOptimizerState())) {
                for (Map.Entry<String, Tensor> e : named.entrySet()) {
                    float[] a = new float[Math.toIntExact(e.getValue().size())];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = e.getValue().get(i);
                    }
                    m.put(e.getKey(), a);
                }
            }
        }
        return m;
    }

    static Map<String, float[]> weights(TrainingState s, int participant) {
        return s.tensors().get(participant);
    }

    /** Largest |a - b| / max(|a|, 1e-3) over every tensor element; fails on a missing tensor. */
    static double maxRelative(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double max = 0;
        for (Map.Entry<String, float[]> e : a.entrySet()) {
            float[] x = e.getValue();
            float[] y = b.get(e.getKey());
            assertEquals(x.length, y.length, e.getKey());
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]) / Math.max(Math.abs(x[i]), 1e-3));
            }
        }
        return max;
    }

    /** Runs 3 rounds in one cluster; returns both participants' weights and optimizer state. */
    static List<Map<String, float[]>> straight(double lrDecay) throws InterruptedException {
        try (LocalCluster c = new LocalCluster(plan(new int[] {2}, 2, 3, lrDecay), train, test,
                new LocalCluster.Options().evaluate(false))) {
            c.run();
            return List.of(weights(c, 0), weights(c, 1));
        }
    }

    /** Runs the 3 rounds one cluster each, with the given cuts per round, handing the state over. */
    static TrainingState roundByRound(int[][] cuts, double lrDecay) throws InterruptedException {
        TrainingState state = null;
        for (int r = 0; r < cuts.length; r++) {
            Plan p = AdaptiveRun.roundPlan(plan(cuts[r], 2, 3, lrDecay), r, List.of());
            TrainingState[] out = new TrainingState[1];
            AdaptiveRun.runRound(p, train, test, new LocalCluster.Options().evaluate(false), state, out, null);
            state = out[0];
        }
        return state;
    }

    @Test
    void shouldContinueBitForBitWhenTheSamePlanRunsRoundByRound() throws InterruptedException {
        List<Map<String, float[]>> want = straight(0.5);
        TrainingState got = roundByRound(new int[][] {{2}, {2}, {2}}, 0.5);
        for (int p = 0; p < 2; p++) {
            double d = maxRelative(want.get(p), weights(got, p));
            System.out.printf("same plan, participant %d: largest relative difference %.3g%n", p, d);
            assertEquals(0.0, d, "participant " + p);
        }
    }

    @Test
    void shouldKeepTrainingStateWhenTheCutMovesBetweenRounds() throws InterruptedException {
        List<Map<String, float[]>> want = straight(1.0);
        // cut after block 2, then blocks move to the hop (cut 1), then back to the owner (cut 3)
        TrainingState got = roundByRound(new int[][] {{2}, {1}, {3}}, 1.0);
        for (int p = 0; p < 2; p++) {
            double d = maxRelative(want.get(p), weights(got, p));
            System.out.printf("re-cut plan, participant %d: largest relative difference %.3g%n", p, d);
            assertTrue(d <= 1e-6, "participant " + p + ": " + d);
        }
        // and training moved the weights at all (the comparison is not of two initial states)
        try (LocalCluster fresh = new LocalCluster(plan(new int[] {2}, 2, 1, 1.0), train, test,
                new LocalCluster.Options().evaluate(false))) {
            assertTrue(maxRelative(weights(fresh, 0), weights(got, 0)) > 1e-3);
        }
    }

    @Test
    void shouldDetectAHalvedLinkButNotNoise() {
        Map<String, LinkProbe.Estimate> planned = Map.of("owner0.up", new LinkProbe.Estimate(25e6, 0));
        double[] f = {1.0};
        assertNull(AdaptiveRun.drift(Map.of("owner0.up", new LinkProbe.Estimate(24e6, 0)), planned, f, f, 0.3));
        String why = AdaptiveRun.drift(Map.of("owner0.up", new LinkProbe.Estimate(11e6, 0)), planned, f, f, 0.3);
        assertNotNull(why);
        assertTrue(why.contains("owner0.up"), why);
        assertNotNull(AdaptiveRun.drift(planned, planned, new double[] {2.0}, f, 0.3), "an owner twice as slow");
    }

    @Test
    void shouldTakeAChangedLinksNewRateButAverageNoise() {
        // within the threshold: weighted 0.3 old, 0.7 new
        assertEquals(0.3 * 25e6 + 0.7 * 24e6, AdaptiveRun.goodput(25e6, 24e6, 0.3), 1e-3);
        // past it (a drop to a fifth, or a rise to twice): the new rate alone
        assertEquals(5e6, AdaptiveRun.goodput(25e6, 5e6, 0.3), 0);
        assertEquals(50e6, AdaptiveRun.goodput(25e6, 50e6, 0.3), 0);
    }

    @Test
    void shouldApplyLinkChangesFromTheirRoundOn() {
        PlanConfig c = PlanConfig.parse("""
                owners: 2
                mode: vanilla
                cuts: [2]
                uplink_mbit: 25
                link_changes:
                  - round: 2
                    owner: 0
                    uplink_mbit: 5
                """, "drift.yaml", List.of());
        assertTrue(AdaptiveRun.wanted(c));
        Plan p = c.plan(Algorithm.SPLIT);
        List<AdaptiveRun.LinkChange> ch = AdaptiveRun.linkChanges(c);
        assertEquals(25_000_000L, AdaptiveRun.roundPlan(p, 1, ch).owners().get(0).uplink().rateBitsPerS());
        assertEquals(5_000_000L, AdaptiveRun.roundPlan(p, 2, ch).owners().get(0).uplink().rateBitsPerS());
        assertEquals(25_000_000L, AdaptiveRun.roundPlan(p, 2, ch).owners().get(1).uplink().rateBitsPerS());
        assertEquals(1, AdaptiveRun.roundPlan(p, 2, ch).rounds());
    }
}
