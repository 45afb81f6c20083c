package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.SyntheticDataset;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.schedule.ScheduleKind;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What leaves an owner: U-shaped sends no labels and no raw inputs; vanilla sends labels but no raw inputs. */
class PrivacyTest {

    private record Sent(String link, MessageType type, float[] payload, boolean labels) {
    }

    private static List<Sent> run(Mode mode, int hops, int[] cuts, Dataset data) throws Exception {
        List<Sent> sent = new ArrayList<>();
        Plan plan = SplitEquivalenceTest.plan(Algorithm.SPLIT, mode, hops, cuts, ScheduleKind.ONE_F_ONE_B, 2, 2, 2, 1,
                OptimizerSpec.sgd(0.05f, 0.9f, 0f));
        LinkTap tap = (link, type, payload, labels) -> {
            synchronized (sent) {
                sent.add(new Sent(link, type, payload == null ? null : payload.toFloatArray(), labels != null));
            }
        };
        try (LocalCluster c = new LocalCluster(plan, data, data, new LocalCluster.Options().evaluate(false).tap(tap))) {
            c.run();
        }
        return sent;
    }

    /** Every training sample's pixels, as a set of rows, to look for in the traffic. */
    private static Set<Integer> rawRowHashes(Dataset data) {
        Set<Integer> h = new HashSet<>();
        Tensor images = data.images();
        int width = (int) data.sampleSize();
        for (int s = 0; s < data.size(); s++) {
            float[] row = new float[width];
            for (int j = 0; j < width; j++) {
                row[j] = images.get((long) s * width + j);
            }
            h.add(java.util.Arrays.hashCode(row));
        }
        return h;
    }

    private static boolean carriesRawInput(Sent s, Set<Integer> raw, int width) {
        if (s.payload == null || s.payload.length % width != 0) {
            return false;
        }
        for (int off = 0; off < s.payload.length; off += width) {
            if (raw.contains(java.util.Arrays.hashCode(java.util.Arrays.copyOfRange(s.payload, off, off + width)))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldKeepLabelsAndInputsHomeInUShapedModeAndInputsHomeInVanillaMode() throws Exception {
        MemoryAccount account = MemoryAccount.root("test");
        try (Dataset data = SyntheticDataset.create("synthetic", Shape.of(1, 28, 28), 10, 48, 3, account)) {
            Set<Integer> raw = rawRowHashes(data);
            int width = (int) data.sampleSize();

            List<Sent> u = run(Mode.U_SHAPED, 2, new int[] {1, 3, 4}, data);
            assertFalse(u.isEmpty());
            long activations = u.stream().filter(s -> s.type == MessageType.ACTIVATION).count();
            assertTrue(activations > 0, "the run sent no activations at all");
            for (Sent s : u) {
                assertFalse(s.labels, "U-shaped run sent labels on " + s.link);
                assertFalse(carriesRawInput(s, raw, width), "U-shaped run sent raw input on " + s.link);
            }

            List<Sent> v = run(Mode.VANILLA, 2, new int[] {1, 3}, data);
            assertTrue(v.stream().anyMatch(Sent::labels), "vanilla must carry labels to the last hop");
            for (Sent s : v) {
                assertFalse(carriesRawInput(s, raw, width), "vanilla run sent raw input on " + s.link);
                if (s.labels) {
                    assertEquals(MessageType.ACTIVATION, s.type, "labels only travel with activations");
                }
            }
        }
    }

    @Test
    void detectorShouldSeeRawInputsWhenTheyAreSent() {
        // guards the check above: a payload made of a training sample is recognised
        MemoryAccount account = MemoryAccount.root("test");
        try (Dataset data = SyntheticDataset.create("synthetic", Shape.of(1, 28, 28), 10, 8, 3, account)) {
            int width = (int) data.sampleSize();
            float[] sample = new float[width];
            for (int j = 0; j < width; j++) {
                sample[j] = data.images().get(5L * width + j);
            }
            assertTrue(carriesRawInput(new Sent("x", MessageType.ACTIVATION, sample, false), rawRowHashes(data), width));
        }
    }
}
