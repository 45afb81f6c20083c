package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.SyntheticDataset;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.schedule.ScheduleKind;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same plan over Aeron (IPC, UDP loopback) and over emulated links computes the same weights: the fabric
 * moves bytes, it must not change a single one, nor the order of the floating-point work.
 */
class AeronFabricTest {
    static MemoryAccount account;
    static Dataset data;

    @BeforeAll
    static void data() {
        account = MemoryAccount.root("test");
        data = SyntheticDataset.create("synthetic", Shape.of(1, 28, 28), 10, 120, 11, account);
    }

    @AfterAll
    static void close() {
        data.close();
    }

    /** 3 owners, batch 8 in 2 micro-batches, 2 rounds of 2 local iterations; owner 0 on a shaped link. */
    static Plan plan(Algorithm algorithm, Mode mode, int hops, int[] cuts, String model) {
        List<OwnerSpec> os = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            LinkSpec link = i == 0 ? LinkSpec.mbit(200, 1) : LinkSpec.UNLIMITED;
            os.add(new OwnerSpec(8, algorithm == Algorithm.SEQUENTIAL_SL ? 1 : 2, 1.0, link, link));
        }
        ScheduleKind kind = algorithm == Algorithm.SEQUENTIAL_SL ? ScheduleKind.SEQUENTIAL : ScheduleKind.ONE_F_ONE_B;
        return new Plan(model, "synthetic", algorithm, mode, Plan.ServerCopies.PER_PARTICIPANT, hops, cuts, kind, os,
                LinkSpec.UNLIMITED, 2, 2, OptimizerSpec.sgd(0.05f, 0.9f, 0f), 5, 2, 0, 0, Plan.Partitioning.IID, 0, 0, 0,
                1.0);
    }

    /** Trains the plan; returns every participant's model, by parameter name, and the run's result. */
    static Object[] train(Plan plan, Deployment deployment) throws InterruptedException {
        long t0 = System.nanoTime();
        try (LocalCluster c = new LocalCluster(plan, data, data,
                new LocalCluster.Options().evaluate(false).deployment(deployment))) {
            RunResult r = c.run();
            List<Map<String, float[]>> models = new ArrayList<>();
            for (int p = 0; p < plan.owners().size(); p++) {
                models.add(SplitEquivalenceTest.snapshot(c.partsOf(p)));
            }
            System.out.printf(java.util.Locale.ROOT, "%s: %.2f s to build and train, wall of the rounds %.2f s%n",
                    deployment.kind(), (System.nanoTime() - t0) / 1e9, r.wallS());
            return new Object[] {models, r};
        } finally {
            System.out.printf(java.util.Locale.ROOT, "%s: %.2f s with set-up and close%n", deployment.kind(),
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    @SuppressWarnings("unchecked")
    static void assertSameWeights(Plan plan, Deployment.Kind kind) throws InterruptedException {
        Object[] emulated = train(plan, new Deployment());
        Object[] aeron = train(plan, new Deployment().kind(kind));
        List<Map<String, float[]>> a = (List<Map<String, float[]>>) emulated[0];
        List<Map<String, float[]>> b = (List<Map<String, float[]>>) aeron[0];
        for (int p = 0; p < a.size(); p++) {
            double d = SplitEquivalenceTest.relativeDifference(a.get(p), b.get(p));
            System.out.println(kind + " vs emulated, " + plan.algorithm() + " " + plan.mode() + ", participant " + p
                    + ": relative weight difference " + d);
            assertTrue(d <= 1e-5, "participant " + p + " differs by " + d + " over " + kind);
        }
        RunResult re = (RunResult) emulated[1];
        RunResult ra = (RunResult) aeron[1];
        for (RunResult.Link l : re.links()) {
            RunResult.Link m = find(ra.links(), l.name());
            assertEquals(l.messages(), m.messages(), "messages on " + l.name());
            assertEquals(l.labelBytes(), m.labelBytes(), "label bytes on " + l.name());
            assertTrue(l.messages() == 0 || m.bytes() > 0, "bytes on " + l.name());
        }
    }

    static RunResult.Link find(List<RunResult.Link> links, String name) {
        for (RunResult.Link l : links) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        throw new AssertionError("no link " + name + " in " + links);
    }

    @Test
    void shouldTrainTheSameWeightsOverAeronIpcAsOverEmulatedLinksWithLabelsOnTheWire() throws Exception {
        assertSameWeights(plan(Algorithm.SPLIT, Mode.VANILLA, 2, new int[] {1, 2}, "mlp"), Deployment.Kind.IPC);
    }

    @Test
    void shouldTrainTheSameWeightsOverUdpLoopbackForUShapedAndSequentialSplitLearning() throws Exception {
        assertSameWeights(plan(Algorithm.SPLIT, Mode.U_SHAPED, 2, new int[] {1, 2, 3}, "lenet5"), Deployment.Kind.UDP);
        // sequential SL passes the weights from owner to owner in control messages, the first one empty
        assertSameWeights(plan(Algorithm.SEQUENTIAL_SL, Mode.VANILLA, 1, new int[] {2}, "mlp"), Deployment.Kind.IPC);
    }

    @Test
    void shouldStageTheAverageOnceForAllOwnersAndSendOwnersWeightsWithoutACopy() throws Exception {
        // federated averaging over IPC: each owner holds the whole model (W bytes of parameters); the coordinator
        // receives 3 W, keeps the average (W) and sends it to all 3 owners from one staged copy (W), not 3;
        // the owners send the buffer they packed their weights into (W), not a second staged copy
        Plan plan = plan(Algorithm.FEDAVG, Mode.U_SHAPED, 0, new int[0], "mlp"); // small activations next to W
        RunResult r = (RunResult) train(plan, new Deployment().kind(Deployment.Kind.IPC))[1];
        long w = -1;
        long coordinator = -1;
        for (RunResult.Node n : r.nodes()) {
            if (n.name().equals("owner0")) {
                w = n.parameterBytes();
            } else if (n.name().equals("coordinator")) {
                coordinator = n.peakBytes();
            }
        }
        System.out.printf("weights %d B, coordinator peak %d B = %.2f W%n", w, coordinator, coordinator / (double) w);
        assertTrue(w > 0 && coordinator > 0, r.nodes().toString());
        assertTrue(coordinator <= 5 * w + (1 << 20), "the coordinator's peak is " + coordinator / (double) w
                + " times the weights: the average was staged more than once");
        for (RunResult.Node n : r.nodes()) {
            if (n.name().startsWith("owner")) {
                // parameters, gradients, momentum, the packed weights, the average received, activations
                long beyondState = n.peakBytes() - n.parameterBytes() - n.gradientBytes() - n.optimizerBytes();
                System.out.printf("%s: peak beyond its training state %.2f W%n", n.name(), beyondState / (double) w);
                assertTrue(beyondState < 3 * w, n.name() + " holds " + beyondState / (double) w
                        + " W beyond its state: its weights were staged twice");
            }
        }
    }

    @Test
    void shouldPackMicroBatchFlagsAndSamplesIntoTheWireFieldAndRejectWhatDoesNotFit() {
        int w = AeronFabric.wireMicroBatch(4095, true, false, AeronFabric.MAX_WIRE_SAMPLES);
        assertEquals(4095, w & 0xFFF);
        assertTrue((w & AeronFabric.NO_PAYLOAD_FLAG) != 0);
        assertEquals(0, w & AeronFabric.LABELS_FLAG);
        assertEquals(AeronFabric.MAX_WIRE_SAMPLES, w >>> AeronFabric.SAMPLES_SHIFT);
        assertTrue(w >= 0);
        w = AeronFabric.wireMicroBatch(3, false, true, 32);
        assertEquals(3, w & 0xFFF);
        assertEquals(AeronFabric.LABELS_FLAG, w & (AeronFabric.LABELS_FLAG | AeronFabric.NO_PAYLOAD_FLAG));
        assertEquals(32, w >>> AeronFabric.SAMPLES_SHIFT);
        assertThrows(IllegalArgumentException.class, () -> AeronFabric.wireMicroBatch(4096, false, false, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AeronFabric.wireMicroBatch(0, false, false, AeronFabric.MAX_WIRE_SAMPLES + 1));
        assertTrue(e.getMessage().contains("131072 samples"), e.getMessage());
    }
}
