package io.mpsl.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    void shouldVisitEveryIndexOnceInFixedChunksWhenClaimed() {
        for (int threads = 1; threads <= 4; threads++) {
            try (WorkerPool pool = new WorkerPool("test", threads)) {
                Marker job = new Marker();
                for (int round = 0; round < 2_000; round++) {
                    int count = (round * 37) % 101;
                    int chunk = 1 + round % 7;
                    job.visits = new AtomicLongArray(count);
                    ChunkRecorder recorder = new ChunkRecorder(job, chunk);
                    pool.runClaimed(recorder, count, chunk);
                    for (int i = 0; i < count; i++) {
                        assertEquals(1, job.visits.get(i), "threads " + threads + " round " + round + " index " + i);
                    }
                    assertEquals(0, recorder.misaligned.get(), "a chunk not at a multiple of " + chunk);
                }
            }
        }
    }

    /**
     * The worker's first chunk waits until the caller has run every other chunk: a static split in halves would
     * deadlock here (the caller could not reach the worker's half), claiming lets the caller take them all.
     */
    @Test
    void shouldLetTheCallerTakeTheChunksOfALateWorker() throws Exception {
        try (WorkerPool pool = new WorkerPool("test", 2)) {
            int chunks = 40;
            // every chunk counts down, the worker's first too: it opens once all are done (at chunks - 1 the
            // worker woke with one chunk left and could win it from the caller: 38 on the caller, seen once)
            CountDownLatch othersDone = new CountDownLatch(chunks);
            AtomicInteger onCaller = new AtomicInteger();
            AtomicInteger onWorker = new AtomicInteger();
            WorkerPool.Job job = new WorkerPool.Job() {
                @Override
                void run(int from, int to) {
                    throw new AssertionError("runPart expected");
                }

                @Override
                void runPart(int part, int from, int to) {
                    if (part == 0) {
                        onCaller.incrementAndGet();
                        othersDone.countDown();
                        return;
                    }
                    onWorker.incrementAndGet();
                    othersDone.countDown();
                    try {
                        // the worker stalls on its first chunk until every other chunk is done
                        if (onWorker.get() == 1 && !othersDone.await(60, TimeUnit.SECONDS)) {
                            throw new AssertionError("the caller did not take the other chunks");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            pool.runClaimed(job, chunks, 1);
            assertEquals(chunks, onCaller.get() + onWorker.get());
            assertTrue(onCaller.get() >= chunks - 1, "caller ran " + onCaller.get() + " of " + chunks);
        }
    }

    /** Passes chunks through to a marker, counting any that does not start at a multiple of the chunk length. */
    private static final class ChunkRecorder extends WorkerPool.Job {
        final Marker marker;
        final int chunk;
        final AtomicInteger misaligned = new AtomicInteger();

        ChunkRecorder(Marker marker, int chunk) {
            this.marker = marker;
            this.chunk = chunk;
        }

        @Override
        void run(int from, int to) {
            if (from % chunk != 0 || (to - from != chunk && to != marker.visits.length())) {
                misaligned.incrementAndGet();
            }
            marker.run(from, to);
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
