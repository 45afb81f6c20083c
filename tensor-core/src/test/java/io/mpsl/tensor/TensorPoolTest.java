package io.mpsl.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorPoolTest {

    @Test
    void shouldGiveBackTheSameMemoryOnReuse() {
        try (TensorPool pool = new TensorPool(MemoryAccount.root("pool"))) {
            Tensor a = pool.acquire(Shape.of(8, 16));
            long address = a.segment().address();
            a.set(0, 5f);
            pool.release(a);
            Tensor b = pool.acquire(Shape.of(8, 16));
            assertEquals(address, b.segment().address());
            assertEquals(5f, b.get(0), "contents are unspecified, but it is the same memory");
            Tensor c = pool.acquire(Shape.of(8, 16));
            assertNotEquals(address, c.segment().address(), "an outstanding tensor must not be handed out twice");
            assertEquals(2, pool.outstanding());
        }
    }

    @Test
    void shouldKeepDtypesApart() {
        try (TensorPool pool = new TensorPool(MemoryAccount.root("pool"))) {
            Tensor f = pool.acquire(Shape.of(4), DType.F32);
            pool.release(f);
            Tensor i = pool.acquire(Shape.of(4), DType.I32);
            assertEquals(DType.I32, i.dtype());
            assertNotEquals(f.segment().address(), i.segment().address());
            assertEquals(f.segment().address(), pool.acquire(Shape.of(4)).segment().address());
        }
    }

    @Test
    void shouldEnforceByteLimitWithClearMessage() {
        MemoryAccount account = MemoryAccount.root("hop1");
        try (TensorPool pool = new TensorPool(account, 1000)) {
            pool.acquire(Shape.of(100)); // 400 bytes
            pool.acquire(Shape.of(100)); // 800 bytes
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.acquire(Shape.of(100)));
            String m = e.getMessage();
            assertTrue(m.contains("hop1") && m.contains("1000") && m.contains("800") && m.contains("400")
                    && m.contains("raise the limit"), m);
            assertEquals(800, pool.pooledBytes(), "a refused acquire must not be counted");
            assertEquals(800, account.liveBytes());
            assertEquals(2, pool.outstanding());
            pool.acquire(Shape.of(50)); // 200 bytes still fit
        }
        assertEquals(0, account.liveBytes(), "close must release everything");
    }

    @Test
    void shouldAllocateNothingInSteadyState() {
        MemoryAccount account = MemoryAccount.root("node");
        try (TensorPool pool = new TensorPool(account)) {
            Shape act = Shape.of(16, 64);
            Shape labels = Shape.of(16);
            Tensor[] inFlight = new Tensor[4];
            for (int step = 0; step < 1000; step++) {
                for (int k = 0; k < inFlight.length; k++) {
                    inFlight[k] = pool.acquire(act);
                }
                Tensor l = pool.acquire(labels, DType.I32);
                for (Tensor t : inFlight) {
                    pool.release(t);
                }
                pool.release(l);
                if (step == 0) {
                    assertEquals(4 * 16 * 64 * 4 + 16 * 4, account.liveBytes());
                }
            }
            assertEquals(4 * 16 * 64 * 4 + 16 * 4, account.liveBytes(), "no new off-heap memory after warm-up");
            assertEquals(account.liveBytes(), account.peakBytes());
            assertEquals(account.liveBytes(), pool.pooledBytes());
            assertEquals(0, pool.outstanding());
        }
    }

    @Test
    void shouldRejectDoubleRelease() {
        try (TensorPool pool = new TensorPool(MemoryAccount.root("pool"))) {
            Tensor a = pool.acquire(Shape.of(3));
            Tensor b = pool.acquire(Shape.of(3));
            pool.release(a);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.release(a));
            assertTrue(e.getMessage().contains("twice"), e.getMessage());
            pool.release(b);
            assertThrows(IllegalStateException.class, () -> pool.release(b));
            assertEquals(0, pool.outstanding());
        }
    }

    @Test
    void shouldNotCountAnAllocationThatFailed() {
        MemoryAccount account = MemoryAccount.root("pool");
        TensorPool pool = new TensorPool(account);
        pool.acquire(Shape.of(10));
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.acquire(Shape.of(10)));
        assertEquals(40, pool.pooledBytes(), "the failed acquire must not be counted");
        assertEquals(1, pool.outstanding());
        assertEquals(0, account.liveBytes());
    }
}
