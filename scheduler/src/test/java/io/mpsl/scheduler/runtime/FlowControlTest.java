package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a compute node has received and not yet used stays within its activation slots whatever the number of
 * owners: owners (and hops) send activations only as far as the next node granted, so fast owners cannot pile
 * micro-batches up at a slow hop.
 */
class FlowControlTest {
    private static final int BATCH = 12;
    private static final int MICRO_BATCHES = 4;

    /** Largest payload bytes per (link kind, message type) seen, and the run's result. */
    private record Traffic(RunResult result, long activationToHop1, long activationHopToHop, long gradientToLastHop,
            long gradientHopToHop) {
    }

    private static Plan plan(Mode mode, int hops, int[] cuts, int owners, int maxInFlight) {
        List<OwnerSpec> os = new ArrayList<>();
        for (int i = 0; i < owners; i++) {
            os.add(new OwnerSpec(BATCH, MICRO_BATCHES, 1.0, LinkSpec.UNLIMITED, LinkSpec.UNLIMITED));
        }
        return new Plan("lenet5", "synthetic", Algorithm.SPLIT, mode, Plan.ServerCopies.PER_PARTICIPANT, hops, cuts,
                ScheduleKind.ONE_F_ONE_B, os, LinkSpec.UNLIMITED, 1, 3, OptimizerSpec.sgd(0.05f, 0.9f, 0f), 7,
                maxInFlight, 0, 0, Plan.Partitioning.IID, 0, 0, 0, 1.0);
    }

    private static Traffic run(Plan plan, Dataset data) throws Exception {
        long[] max = new long[4];
        LinkTap tap = (link, type, payload, labels) -> {
            long bytes = (payload == null ? 0 : payload.byteSize()) + (labels == null ? 0 : labels.byteSize());
            int k = -1;
            if (type == MessageType.ACTIVATION) {
                k = link.startsWith("owner") ? 0 : link.startsWith("hop") && link.contains("->hop") ? 1 : -1;
            } else if (type == MessageType.GRADIENT) {
                k = link.startsWith("owner") && link.endsWith(".up") ? 2 : link.contains("->hop") ? 3 : -1;
            }
            if (k >= 0) {
                synchronized (max) {
                    max[k] = Math.max(max[k], bytes);
                }
            }
        };
        try (LocalCluster c = new LocalCluster(plan, data, data, new LocalCluster.Options().evaluate(false).tap(tap))) {
            RunResult r = c.run();
            synchronized (max) {
                return new Traffic(r, max[0], max[1], max[2], max[3]);
            }
        }
    }

    private static RunResult.Node node(RunResult r, String name) {
        for (RunResult.Node n : r.nodes()) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        throw new AssertionError("no node " + name + " in " + r.nodes());
    }

    /**
     * The most a hop may hold received: at most slots / window admitted participants, each with its window plus
     * one activation ahead and a gradient for each micro-batch of its window.
     */
    private static long bound(int slots, int window, long activationBytes, long gradientBytes) {
        long admitted = Math.max(slots, window) / window;
        return admitted * ((window + 1) * activationBytes + window * gradientBytes);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldBoundWhatAHopHasReceivedByItsSlotsWhateverTheOwnerCount() throws Exception {
        MemoryAccount account = MemoryAccount.root("test");
        // 192 samples: 96 or 24 per owner, whole mini-batches of 12
        try (Dataset data = SyntheticDataset.create("synthetic", Shape.of(1, 28, 28), 10, 192, 3, account)) {
            long[] received = new long[2];
            int[] ownerCounts = {2, 8};
            for (int i = 0; i < ownerCounts.length; i++) {
                // U-shaped, one hop: 3 stages, the hop's 1F1B window is 2, two slots -> one participant at a time
                Traffic t = run(plan(Mode.U_SHAPED, 1, new int[] {1, 4}, ownerCounts[i], 2), data);
                received[i] = node(t.result, "hop1").receivePeakBytes();
                long limit = bound(2, 2, t.activationToHop1, t.gradientToLastHop);
                // what owners would push without flow control: every owner its whole 1F1B warm-up (3 micro-batches)
                long unbounded = ownerCounts[i] * 3L * t.activationToHop1;
                System.out.printf("%d owners: hop1 received peak %d B, bound %d B (without flow control up to %d B)%n",
                        ownerCounts[i], received[i], limit, unbounded);
                assertTrue(received[i] > 0, "the hop received nothing");
                if (ownerCounts[i] == 8) {
                    assertTrue(unbounded > limit, "8 owners could not exceed the bound even without flow control");
                }
                assertTrue(received[i] <= limit, "hop1 received " + received[i] + " B, more than its slots allow ("
                        + limit + " B) with " + ownerCounts[i] + " owners");
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldRunTwoHopsWithOneWindowOfSlotsEachWithoutDeadlockAndWithinTheBound() throws Exception {
        MemoryAccount account = MemoryAccount.root("test");
        try (Dataset data = SyntheticDataset.create("synthetic", Shape.of(1, 28, 28), 10, 216, 5, account)) {
            // vanilla, 2 hops: hop1's window is 2 (3 stages), hop2 (the loss) has 1; max_in_flight 1 gives each hop
            // exactly one window, so 6 owners must take turns at both hops in the same order. 216 samples: 36 per
            // owner, 3 full mini-batches, so every micro-batch has one shape (the receive pool keeps a buffer per
            // shape it has seen, which a short last batch would add to)
            Traffic t = run(plan(Mode.VANILLA, 2, new int[] {1, 3}, 6, 1), data);
            assertEquals(3, t.result.iterations(), "every local iteration ran");
            long hop1 = node(t.result, "hop1").receivePeakBytes();
            long hop2 = node(t.result, "hop2").receivePeakBytes();
            long limit1 = bound(1, 2, t.activationToHop1, t.gradientHopToHop);
            long limit2 = bound(1, 1, t.activationHopToHop, 0);
            System.out.printf("6 owners, 2 hops: hop1 received peak %d B (bound %d), hop2 %d B (bound %d)%n", hop1,
                    limit1, hop2, limit2);
            assertTrue(hop1 > 0 && hop1 <= limit1, "hop1 received " + hop1 + " B, bound " + limit1);
            assertTrue(hop2 > 0 && hop2 <= limit2, "hop2 received " + hop2 + " B, bound " + limit2);
        }
    }
}
