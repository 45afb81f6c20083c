package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.TensorArena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {
    private final MemoryAccount account = MemoryAccount.root("t");

    private static List<Integer> epochOrder(BatchLoader l, Dataset d, int epoch) {
        List<Integer> seen = new ArrayList<>();
        l.startEpoch(epoch);
        while (l.hasNext()) {
            int n = l.next();
            assertEquals(n, l.images().shape().dim(0));
            assertEquals(n, l.labels().shape().dim(0));
            for (int i = 0; i < n; i++) {
                int s = findSample(d, l, i);
                seen.add(s);
                assertEquals(d.label(s), l.labels().getInt(i));
            }
        }
        return seen;
    }

    /** Which dataset sample row i of the batch is (samples are distinct random vectors). */
    private static int findSample(Dataset d, BatchLoader l, int row) {
        long size = d.sampleSize();
        for (int s = 0; s < d.size(); s++) {
            boolean same = true;
            for (long j = 0; j < size && same; j++) {
                same = d.images().get(s * size + j) == l.images().get(row * size + j);
            }
            if (same) {
                return s;
            }
        }
        throw new AssertionError("batch row " + row + " is no sample of the dataset");
    }

    @Test
    void shouldVisitEverySampleOncePerEpochInASeededOrder() {
        try (Dataset d = SyntheticDataset.create("s", Shape.of(2, 3, 3), 4, 23, 1, account);
                TensorArena arena = new TensorArena(account)) {
            BatchLoader a = new BatchLoader(d, null, 5, 42, true, arena);
            BatchLoader b = new BatchLoader(d, null, 5, 42, true, arena);
            assertEquals(5, a.batchesPerEpoch());
            List<Integer> e0 = epochOrder(a, d, 0);
            List<Integer> e1 = epochOrder(a, d, 1);
            int[] sorted = e0.stream().mapToInt(Integer::intValue).sorted().toArray();
            int[] all = new int[23];
            Arrays.setAll(all, i -> i);
            assertArrayEquals(all, sorted);
            assertEquals(e0, epochOrder(b, d, 0));
            assertEquals(e1, epochOrder(b, d, 1));
            assertNotEquals(e0, e1);
            assertNotEquals(e0, epochOrder(new BatchLoader(d, null, 5, 43, true, arena), d, 0));
            assertEquals(Arrays.stream(all).boxed().toList(), epochOrder(new BatchLoader(d, null, 5, 43, false, arena),
                    d, 0));
        }
    }

    @Test
    void shouldResumeAtTheSameBatchAfterSeek() {
        try (Dataset d = SyntheticDataset.create("s", Shape.of(1, 2, 2), 3, 30, 2, account);
                TensorArena arena = new TensorArena(account)) {
            BatchLoader straight = new BatchLoader(d, null, 4, 7, true, arena);
            straight.startEpoch(2);
            for (int i = 0; i < 3; i++) {
                straight.next();
            }
            BatchLoader resumed = new BatchLoader(d, null, 4, 7, true, arena);
            resumed.seek(2, 3);
            while (straight.hasNext()) {
                straight.next();
                resumed.next();
                assertArrayEquals(straight.images().toFloatArray(), resumed.images().toFloatArray());
                assertArrayEquals(straight.labels().toIntArray(), resumed.labels().toIntArray());
            }
            assertFalse(resumed.hasNext());
        }
    }

    @Test
    void shouldDrawOnlyFromItsPartitionAndReuseItsBuffers() {
        try (Dataset d = SyntheticDataset.create("s", Shape.of(1, 2, 2), 3, 30, 3, account);
                TensorArena arena = new TensorArena(account)) {
            int[] part = {3, 7, 11, 20, 29};
            BatchLoader l = new BatchLoader(d, part, 2, 9, true, arena);
            List<Integer> seen = epochOrder(l, d, 0);
            assertEquals(List.of(3, 7, 11, 20, 29), seen.stream().sorted().toList());
            l.startEpoch(1);
            l.next();
            var full = l.images();
            l.next();
            assertSame(full, l.images());
            l.next();
            assertEquals(1, l.images().shape().dim(0));
            assertEquals(full.segment().address(), l.images().segment().address());
        }
    }
}
