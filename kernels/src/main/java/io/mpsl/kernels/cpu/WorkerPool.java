package io.mpsl.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool that splits a loop {@code [0, count)} into contiguous parts: the caller runs the first
 * part and {@code threads - 1} daemon workers run the others ({@link #run}), or cuts it into fixed chunks that
 * the caller and the workers claim in turn until none is left ({@link #runClaimed}: a worker that the operating
 * system runs late, or a slower core, then takes fewer chunks instead of holding everyone up). Dispatch allocates nothing: a job is an object
 * made once and reused, its parameters set in fields before {@link #run}. Idle workers spin briefly, then
 * park, so they do not steal cores from the GEMM engine's own threads between calls. One caller at a time.
 */
final class WorkerPool implements AutoCloseable {

    /** A loop body over a range of indices; parameters live in the job's fields. */
    abstract static class Job {
        abstract void run(int from, int to);

        /** The same, told which part of the split it is: 0 on the caller, 1.. on the workers. */
        void runPart(int part, int from, int to) {
            run(from, to);
        }
    }

    private static final int SPIN_LIMIT = 2_000;
    /**
     * Whether {@link #runClaimed} claims chunks (the default) or splits like {@link #run} (system property
     * {@code mpsl.cpu.claimed=false}: for comparing the two on a busy machine).
     */
    private static final boolean CLAIMED = !"false".equals(System.getProperty("mpsl.cpu.claimed"));

    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    /** The next chunk to claim in a {@link #runClaimed} loop. */
    private final AtomicInteger next = new AtomicInteger();
    private volatile long epoch;
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile Thread caller;
    private Job job;
    private int count;
    private int parts;
    /** Chunk length of a claimed loop; 0 for a loop split into parts. */
    private int chunk;

    WorkerPool(String name, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        workers = new Thread[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            int part = w + 1;
            workers[w] = Thread.ofPlatform().daemon().name(name + "-worker-" + part).unstarted(() -> work(part));
            workers[w].start();
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /**
     * Runs {@code job} over {@code [0, count)} split into at most {@link #threads()} parts of at least
     * {@code grain} indices each; returns when every part is done.
     */
    void run(Job job, int count, int grain) {
        int p = Math.min(workers.length + 1, Math.max(1, count / Math.max(1, grain)));
        dispatch(job, count, p, 0);
    }

    /**
     * Runs {@code job} over {@code [0, count)} cut into chunks {@code [i * chunk, (i + 1) * chunk)}, which the
     * caller and the workers claim one at a time until none is left; returns when every chunk is done. The
     * chunks do not depend on the threads, only who runs them does: for loops whose every chunk's result is
     * its own (no sums across chunks), results are the same whoever runs what. {@code runPart} is told the
     * running thread's part (0 on the caller) for its own buffers.
     */
    void runClaimed(Job job, int count, int chunk) {
        if (!CLAIMED) {
            run(job, count, chunk); // parts of at least a chunk, as the claimed loop's smallest share
            return;
        }
        int c = Math.max(1, chunk);
        int chunks = (int) (((long) count + c - 1) / c);
        if (chunks <= 1 || workers.length == 0) {
            if (count > 0) {
                for (int i = 0; i < chunks; i++) {
                    job.runPart(0, i * c, (int) Math.min(count, (long) (i + 1) * c));
                }
            }
            return;
        }
        next.set(0);
        dispatch(job, count, Math.min(workers.length + 1, chunks), c);
    }

    /**
     * A chunk length for {@link #runClaimed} over {@code count} indices: about four chunks per thread, so a late
     * thread's share can move to the others, and at least {@code grain} indices each.
     */
    int chunkFor(int count, int grain) {
        int perChunk = (int) (((long) count + 4L * threads() - 1) / (4L * threads()));
        return Math.max(Math.max(1, grain), perChunk);
    }

    private void dispatch(Job job, int count, int p, int chunk) {
        if (closed) {
            throw new IllegalStateException("this backend was closed; create a new one");
        }
        if (p <= 1) {
            if (count > 0) {
                job.runPart(0, 0, count);
            }
            return;
        }
        this.job = job;
        this.count = count;
        this.parts = p;
        this.chunk = chunk;
        this.caller = Thread.currentThread();
        pending.set(workers.length); // every worker acknowledges every dispatch, so fields stay fixed until then
        epoch++; // publishes job, count, parts and chunk to the workers
        for (int w = 0; w < workers.length; w++) {
            LockSupport.unpark(workers[w]);
        }
        if (chunk > 0) {
            claim(job, 0, count, chunk);
        } else {
            job.runPart(0, 0, bound(0, count, p));
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPIN_LIMIT) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        this.job = null;
        Throwable t = failure;
        if (t != null) {
            failure = null;
            throw new IllegalStateException("a worker of this backend failed", t);
        }
    }

    /** Claims chunks of {@code [0, count)} and runs them as {@code part} until none is left. */
    private void claim(Job job, int part, int count, int chunk) {
        int i;
        while ((long) (i = next.getAndIncrement()) * chunk < count) {
            job.runPart(part, i * chunk, (int) Math.min(count, (long) (i + 1) * chunk));
        }
    }

    private static int bound(int part, int count, int parts) {
        return (int) ((long) count * (part + 1) / parts);
    }

    private void work(int part) {
        long seen = 0;
        while (true) {
            int spins = 0;
            long e;
            while ((e = epoch) == seen) {
                if (closed) {
                    return;
                }
                if (++spins < SPIN_LIMIT) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = e;
            int p = parts;
            if (part < p) {
                try {
                    if (chunk > 0) {
                        claim(job, part, count, chunk);
                    } else {
                        job.runPart(part, bound(part - 1, count, p), bound(part, count, p));
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
