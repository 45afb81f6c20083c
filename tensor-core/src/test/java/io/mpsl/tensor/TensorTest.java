package io.mpsl.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TensorTest {
    private final MemoryAccount account = MemoryAccount.root("test");
    private final TensorArena arena = new TensorArena(account);

    @AfterEach
    void close() {
        arena.close();
    }

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void shouldShareMemoryBetweenSliceAndParent() {
        Tensor t = arena.allocate(4, 3).copyFrom(random(12, 1));
        Tensor rows = t.slice(1, 3);
        assertEquals(Shape.of(2, 3), rows.shape());
        assertEquals(t.get(3), rows.get(0));
        rows.set(5, 42f);
        assertEquals(42f, t.get(3 + 5), "a write through the slice must show in the parent");
        t.set(3, -7f);
        assertEquals(-7f, rows.get(0), "a write to the parent must show in the slice");
    }

    @Test
    void shouldShareMemoryBetweenViewAndParent() {
        Tensor t = arena.allocate(2, 6);
        Tensor v = t.view(3, 4);
        assertEquals(Shape.of(3, 4), v.shape());
        v.set(11, 3.5f);
        assertEquals(3.5f, t.get(11));
        assertThrows(IllegalArgumentException.class, () -> t.view(5, 5));
    }

    @Test
    void shouldCopyValuesNotMemory() {
        float[] data = random(10, 2);
        Tensor a = arena.allocate(10).copyFrom(data);
        Tensor b = arena.allocate(10).copyFrom(a);
        assertArrayEquals(data, b.toFloatArray());
        b.set(0, 99f);
        assertEquals(data[0], a.get(0), "copy must not alias its source");
        assertThrows(IllegalArgumentException.class, () -> arena.allocate(9).copyFrom(a));
        assertThrows(IllegalArgumentException.class, () -> a.copyFrom(new float[11]));
    }

    @Test
    void shouldHoldIntegers() {
        Tensor labels = arena.allocate(Shape.of(5), DType.I32);
        int[] values = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 7};
        labels.copyFrom(values);
        assertArrayEquals(values, labels.toIntArray());
        labels.setInt(4, 123456789);
        assertEquals(123456789, labels.getInt(4));
        assertEquals(DType.I32, labels.slice(1, 2).dtype());
    }

    @Test
    void shouldRejectOutOfBoundsAccessAndSlices() {
        Tensor t = arena.allocate(3, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(6));
        assertThrows(IndexOutOfBoundsException.class, () -> t.set(-1, 0f));
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(2, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(2, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(-1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> t.slice(1, 2).get(2));
        assertThrows(IllegalArgumentException.class, () -> arena.allocate(Shape.of()).slice(0, 0));
    }

    @Test
    void shouldRejectWrappingSegmentOfWrongSize() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(arena.allocateBytes(20), Shape.of(2, 3)));
    }

    @Test
    void shouldFillZeroAndComputeNorm() {
        Tensor t = arena.allocate(7).fill(2f);
        assertEquals(7 * 4.0, t.squaredNorm());
        assertEquals(0.0, t.zero().squaredNorm());
    }
}
