package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.Backends;
import io.mpsl.nn.ModelPart;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.SoftmaxCrossEntropy;
import io.mpsl.nn.data.BatchLoader;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.SyntheticDataset;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.schedule.ScheduleKind;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The architecture's invariant: split, pipelined, multihop training computes the same function as ordinary
 * training. One owner, same seed and data order: after 3 steps the weights equal centralized training's.
 */
class SplitEquivalenceTest {
    static final int BATCH = 12;
    static final int STEPS = 3;
    static final long SEED = 42;
    static MemoryAccount account;
    static Dataset data;

    @BeforeAll
    static void data() {
        account = MemoryAccount.root("test");
        data = SyntheticDataset.create("synthetic", Shape.of(1, 28, 28), 10, 96, 7, account);
    }

    @AfterAll
    static void close() {
        data.close();
    }

    static Plan plan(Algorithm algorithm, Mode mode, int hops, int[] cuts, ScheduleKind kind, int owners,
            int microBatches, int localIterations, int rounds, OptimizerSpec opt) {
        List<OwnerSpec> os = new ArrayList<>();
        for (int i = 0; i < owners; i++) {
            os.add(new OwnerSpec(BATCH, microBatches, 1.0, LinkSpec.UNLIMITED, LinkSpec.UNLIMITED));
        }
        return new Plan("lenet5", "synthetic", algorithm, mode, Plan.ServerCopies.PER_PARTICIPANT, hops, cuts, kind,
                os, LinkSpec.UNLIMITED, rounds, localIterations, opt, SEED, 2, 0, 0, Plan.Partitioning.IID, 0, 0, 0, 1.0);
    }

    /** Centralized training of the whole model on the same batches, one optimizer step per mini-batch. */
    static Map<String, float[]> centralized(OptimizerSpec opt, int steps, int[] indices, long loaderSeed) {
        return centralized(opt, steps, indices, loaderSeed, steps, 1f);
    }

    /** As above; after every {@code stepsPerRound} steps the learning rate is multiplied by {@code decay}. */
    static Map<String, float[]> centralized(OptimizerSpec opt, int steps, int[] indices, long loaderSeed,
            int stepsPerRound, float decay) {
        return centralized(opt, steps, indices, loaderSeed,
                s -> opt.learningRate() * Math.pow(decay, s / stepsPerRound));
    }

    /** As above with the learning rate of step s given by {@code lr}. */
    static Map<String, float[]> centralized(OptimizerSpec opt, int steps, int[] indices, long loaderSeed,
            java.util.function.IntToDoubleFunction lr) {
        BackendProvider provider = Backends.chosen();
        try (Backend b = provider.create(1);
                TensorArena arena = new TensorArena(account)) {
            ModelSpec spec = ModelZoo.create("lenet5", data.sampleShape(), data.classes());
            try (ModelPart whole = new ModelPart(spec.build(0, spec.blockCount(), b, false), SEED, opt, BATCH, account);
                    SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(b, data.classes(), BATCH, account)) {
                BatchLoader loader = new BatchLoader(data, indices, BATCH, loaderSeed, true, arena);
                loader.startEpoch(0);
                for (int s = 0; s < steps; s++) {
                    whole.state().setLearningRate((float) lr.applyAsDouble(s));
                    int n = loader.next();
                    Tensor logits = whole.forward(loader.images(), true);
                    loss.forward(logits, loader.labels());
                    whole.backward(loss.backward(loader.labels(), 1f / n));
                    whole.step();
                    whole.zeroGrad();
                }
                return snapshot(List.of(whole.state()));
            }
        }
    }

    static Map<String, float[]> snapshot(List<ParameterState> states) {
        Map<String, float[]> m = new HashMap<>();
        for (ParameterState s : states) {
            for (Map.Entry<String, Tensor> e : s.namedTensors().entrySet()) {
                m.put(e.getKey(), e.getValue().toFloatArray());
            }
        }
        return m;
    }

    static double relativeDifference(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        double diff = 0;
        double norm = 0;
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            for (int i = 0; i < x.length; i++) {
                double d = x[i] - y[i];
                diff += d * d;
                norm += (double) x[i] * x[i];
            }
        }
        return Math.sqrt(diff / norm);
    }

    static Map<String, float[]> split(Plan plan) throws InterruptedException {
        try (LocalCluster cluster = new LocalCluster(plan, data, data, new LocalCluster.Options().evaluate(false))) {
            cluster.run();
            return snapshot(cluster.partsOf(0));
        }
    }

    @Test
    void shouldMatchCentralizedTrainingForEveryScheduleHopCountModeCutAndMicroBatchCount() throws Exception {
        OptimizerSpec opt = OptimizerSpec.sgd(0.05f, 0.9f, 1e-4f);
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        Map<String, float[]> reference = centralized(opt, STEPS, all, SEED);
        // lenet5 has 5 blocks; cut vectors for (mode, hops)
        Object[][] layouts = {
            {Mode.VANILLA, 1, new int[] {1}}, {Mode.VANILLA, 1, new int[] {3}},
            {Mode.VANILLA, 2, new int[] {2, 4}}, {Mode.VANILLA, 3, new int[] {1, 2, 3}},
            {Mode.U_SHAPED, 1, new int[] {2, 4}}, {Mode.U_SHAPED, 2, new int[] {1, 3, 4}},
            {Mode.U_SHAPED, 3, new int[] {1, 2, 3, 4}},
        };
        double worst = 0;
        for (ScheduleKind kind : ScheduleKind.values()) {
            for (Object[] l : layouts) {
                for (int m : new int[] {1, 5}) {
                    Plan plan = plan(Algorithm.SPLIT, (Mode) l[0], (int) l[1], (int[]) l[2], kind, 1, m, STEPS, 1, opt);
                    double d = relativeDifference(reference, split(plan));
                    worst = Math.max(worst, d);
                    assertTrue(d <= 1e-5, "relative weight difference " + d + " for " + plan);
                }
            }
        }
        System.out.println("largest relative weight difference vs centralized: " + worst);
    }

    @Test
    void shouldMatchFederatedAveragingOfWholeModelsAfterARoundWithPerParticipantCopies() throws Exception {
        OptimizerSpec opt = OptimizerSpec.sgd(0.05f, 0.0f, 0f);
        int owners = 3;
        int local = 2;
        // independent reference: each owner trains the whole model on its partition, then a plain average
        int[][] parts = io.mpsl.nn.data.Partitions.iid(data.size(), owners, SEED);
        Map<String, float[]> avg = new HashMap<>();
        for (int p = 0; p < owners; p++) {
            Map<String, float[]> w = centralized(opt, local, parts[p], SEED + p);
            double weight = parts[p].length / (double) data.size();
            for (Map.Entry<String, float[]> e : w.entrySet()) {
                float[] acc = avg.computeIfAbsent(e.getKey(), k -> new float[e.getValue().length]);
                for (int i = 0; i < acc.length; i++) {
                    acc[i] += (float) (weight * e.getValue()[i]);
                }
            }
        }
        Plan splitPlan = plan(Algorithm.SPLIT, Mode.U_SHAPED, 2, new int[] {1, 3, 4}, ScheduleKind.ONE_F_ONE_B, owners,
                3, local, 1, opt);
        Plan flPlan = plan(Algorithm.FEDAVG, Mode.U_SHAPED, 0, new int[0], ScheduleKind.SEQUENTIAL, owners, 1, local, 1,
                opt);
        try (LocalCluster cluster = new LocalCluster(splitPlan, data, data, new LocalCluster.Options().evaluate(false))) {
            cluster.run();
            for (int p = 0; p < owners; p++) {
                double d = relativeDifference(avg, snapshot(cluster.partsOf(p)));
                System.out.println("split round vs FedAvg reference, participant " + p + ": " + d);
                assertTrue(d <= 1e-5, "participant " + p + " differs from FedAvg by " + d);
            }
        }
        double d = relativeDifference(avg, split(flPlan));
        System.out.println("engine FedAvg vs FedAvg reference: " + d);
        assertTrue(d <= 1e-5, "FedAvg mode differs from the reference by " + d);
    }

    @Test
    void shouldDecayTheLearningRateEachRoundLikeCentralizedTrainingWithTheSameSchedule() throws Exception {
        OptimizerSpec opt = OptimizerSpec.sgd(0.1f, 0.9f, 0f);
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        Map<String, float[]> reference = centralized(opt, 4, all, SEED, 2, 0.25f);
        Map<String, float[]> constant = centralized(opt, 4, all, SEED, 2, 1f);
        Plan p = plan(Algorithm.SPLIT, Mode.U_SHAPED, 1, new int[] {2, 4}, ScheduleKind.GPIPE, 1, 3, 2, 2, opt);
        Plan decayed = new Plan(p.model(), p.dataset(), p.algorithm(), p.mode(), p.serverCopies(), p.hops(), p.cuts(),
                p.schedule(), p.owners(), p.hopLink(), p.rounds(), p.localIterations(), p.optimizer(), p.seed(),
                p.maxInFlight(), p.dpClip(), p.dpSigma(), p.partitioning(), p.dirichletAlpha(), p.trainLimit(),
                p.testLimit(), 0.25);
        Map<String, float[]> got = split(decayed);
        double d = relativeDifference(reference, got);
        System.out.println("lr decay: split vs centralized with the same schedule: " + d);
        assertTrue(d <= 1e-5, "differs by " + d);
        assertTrue(relativeDifference(constant, got) > 1e-4, "the decay had no effect");
    }

    @Test
    void warmUpRaisesTheRateLikeCentralizedTrainingStepByStep() throws InterruptedException {
        OptimizerSpec opt = OptimizerSpec.sgd(0.05f, 0.9f, 0f);
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        int warm = 3;
        Map<String, float[]> reference = centralized(opt, 4, all, SEED,
                s -> opt.learningRate() * Math.pow(0.5, s / 2) * Math.min(1.0, (s + 1.0) / warm));
        Map<String, float[]> constant = centralized(opt, 4, all, SEED, 2, 0.5f);
        Plan p = plan(Algorithm.SPLIT, Mode.VANILLA, 2, new int[] {1, 3}, ScheduleKind.ONE_F_ONE_B, 1, 2, 2, 2, opt);
        Plan warmed = new Plan(p.model(), p.dataset(), p.algorithm(), p.mode(), p.serverCopies(), p.hops(), p.cuts(),
                p.schedule(), p.owners(), p.hopLink(), p.rounds(), p.localIterations(), p.optimizer(), p.seed(),
                p.maxInFlight(), p.dpClip(), p.dpSigma(), p.partitioning(), p.dirichletAlpha(), p.trainLimit(),
                p.testLimit(), 0.5, warm, false);
        Map<String, float[]> got = split(warmed);
        double d = relativeDifference(reference, got);
        System.out.println("lr warm-up: split vs centralized with the same schedule: " + d);
        assertTrue(d <= 1e-5, "differs by " + d);
        assertTrue(relativeDifference(constant, got) > 1e-4, "the warm-up had no effect");
    }

    @Test
    void cosineScheduleFollowsCentralizedTrainingStepByStep() throws InterruptedException {
        OptimizerSpec opt = OptimizerSpec.sgd(0.05f, 0.9f, 0f);
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        int warm = 2;
        int steps = 4;
        Map<String, float[]> reference = centralized(opt, steps, all, SEED, s -> opt.learningRate()
                * 0.5 * (1 + Math.cos(Math.PI * s / steps)) * Math.min(1.0, (s + 1.0) / warm));
        Map<String, float[]> constant = centralized(opt, steps, all, SEED, 2, 1f);
        Plan p = plan(Algorithm.SPLIT, Mode.U_SHAPED, 2, new int[] {1, 2, 4}, ScheduleKind.GPIPE, 1, 2, 2, 2, opt);
        Plan cosine = new Plan(p.model(), p.dataset(), p.algorithm(), p.mode(), p.serverCopies(), p.hops(), p.cuts(),
                p.schedule(), p.owners(), p.hopLink(), p.rounds(), p.localIterations(), p.optimizer(), p.seed(),
                p.maxInFlight(), p.dpClip(), p.dpSigma(), p.partitioning(), p.dirichletAlpha(), p.trainLimit(),
                p.testLimit(), 1.0, warm, true);
        Map<String, float[]> got = split(cosine);
        double d = relativeDifference(reference, got);
        System.out.println("cosine lr: split vs centralized with the same schedule: " + d);
        assertTrue(d <= 1e-5, "differs by " + d);
        assertTrue(relativeDifference(constant, got) > 1e-4, "the schedule had no effect");
    }
}
