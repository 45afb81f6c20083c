package io.mpsl.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorArenaTest {

    @Test
    void shouldAlignEveryTensorTo64Bytes() {
        try (TensorArena arena = new TensorArena(MemoryAccount.root("a"))) {
            for (int n = 1; n < 40; n++) {
                Tensor t = arena.allocate(n);
                assertEquals(0, t.segment().address() % 64, "tensor of " + n + " floats");
            }
            assertEquals(0, arena.allocateBytes(3).address() % 64);
        }
    }

    @Test
    void shouldChargeAccountAndReleaseOnClose() {
        MemoryAccount root = MemoryAccount.root("node");
        MemoryAccount part = root.child("part");
        TensorArena arena = new TensorArena(part);
        arena.allocate(10, 10);
        arena.allocate(Shape.of(3), DType.I32);
        arena.allocateBytes(5);
        long expected = 400 + 12 + 5;
        assertEquals(expected, arena.allocatedBytes());
        assertEquals(expected, part.liveBytes());
        assertEquals(expected, root.liveBytes());
        arena.close();
        assertEquals(0, part.liveBytes());
        assertEquals(0, root.liveBytes());
        assertEquals(expected, root.peakBytes());
        arena.close(); // a second close changes nothing
        assertEquals(0, root.liveBytes());
    }

    @Test
    void shouldZeroFillNewTensors() {
        try (TensorArena arena = new TensorArena(MemoryAccount.root("a"))) {
            for (int round = 0; round < 5; round++) {
                Tensor t = arena.allocate(1000);
                assertEquals(0.0, t.squaredNorm());
                t.fill(1f);
            }
        }
    }

    @Test
    void shouldRejectAllocationAfterCloseAndNegativeSizes() {
        MemoryAccount account = MemoryAccount.root("a");
        TensorArena arena = new TensorArena(account);
        Tensor t = arena.allocate(4);
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> arena.allocateBytes(-8));
        assertTrue(neg.getMessage().contains("-8"), neg.getMessage());
        assertEquals(16, account.liveBytes(), "a rejected allocation must not be charged");
        arena.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> arena.allocate(4));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> t.get(0), "memory of a closed arena is gone");
    }
}
