package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import org.junit.jupiter.api.Test;

class SyntheticDatasetTest {
    @Test
    void shouldBeReproducibleFromItsSeedAndCarryClassSignal() {
        MemoryAccount acc = MemoryAccount.root("t");
        try (Dataset a = SyntheticDataset.create("a", Shape.of(3, 8, 8), 5, 200, 17, acc);
                Dataset b = SyntheticDataset.create("b", Shape.of(3, 8, 8), 5, 200, 17, acc);
                Dataset c = SyntheticDataset.create("c", Shape.of(3, 8, 8), 5, 200, 18, acc)) {
            assertEquals(Shape.of(200, 3, 8, 8), a.images().shape());
            assertArrayEquals(a.images().toFloatArray(), b.images().toFloatArray());
            assertArrayEquals(a.labels().toIntArray(), b.labels().toIntArray());
            assertTrue(a.images().get(0) != c.images().get(0));
            for (int count : a.labelCounts()) {
                assertTrue(count > 20, "label counts " + java.util.Arrays.toString(a.labelCounts()));
            }
            // two samples of one class are closer (share 0.5 * prototype) than samples of different classes
            double same = 0;
            double diff = 0;
            int ns = 0;
            int nd = 0;
            for (int i = 0; i < 40; i++) {
                for (int j = i + 1; j < 40; j++) {
                    double dot = 0;
                    for (int k = 0; k < 192; k++) {
                        dot += a.images().get(i * 192L + k) * a.images().get(j * 192L + k);
                    }
                    if (a.label(i) == a.label(j)) {
                        same += dot;
                        ns++;
                    } else {
                        diff += dot;
                        nd++;
                    }
                }
            }
            assertTrue(same / ns > diff / nd + 20, "same-class dot " + same / ns + ", other " + diff / nd);
        }
    }
}
