package io.mpsl.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    /** Marks every index it is given; counts visits. */
    private static final class Marker extends WorkerPool.Job {
        AtomicLongArray visits = new AtomicLongArray(0);
        int failAt = -1;

        @Override
        void run(int from, int to) {
            for (int i = from; i < to; i++) {
                if (i == failAt) {
                    throw new IllegalArgumentException("index " + i);
                }
                visits.incrementAndGet(i);
            }
        }
    }

    @Test
    void shouldVisitEveryIndexExactlyOnceOverManyDispatches() {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = new WorkerPool("test", threads)) {
                Marker job = new Marker();
                for (int round = 0; round < 2_000; round++) {
                    int count = 1 + (round * 37) % 101;
                    job.visits = new AtomicLongArray(count);
                    pool.run(job, count, 1 + round % 5);
                    for (int i = 0; i < count; i++) {
                        assertEquals(1, job.visits.get(i), "threads " + threads + " round " + round + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void shouldRethrowAWorkersFailureOnTheCaller() {
        try (WorkerPool pool = new WorkerPool("test", 2)) {
            Marker job = new Marker();
            job.visits = new AtomicLongArray(100);
            job.failAt = 99;
            assertThrows(IllegalStateException.class, () -> pool.run(job, 100, 1));
            job.failAt = -1;
            job.visits = new AtomicLongArray(100);
            pool.run(job, 100, 1);
            assertEquals(1, job.visits.get(99));
        }
    }
}
