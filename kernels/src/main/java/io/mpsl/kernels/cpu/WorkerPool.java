package io.mpsl.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool that splits a loop {@code [0, count)} into contiguous parts: the caller runs the first
 * part and {@code threads - 1} daemon workers run the others. Dispatch allocates nothing: a job is an object
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

    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long epoch;
    private volatile boolean closed;
    private volatile Throwable failure;
    private volatile Thread caller;
    private Job job;
    private int count;
    private int parts;

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
        if (closed) {
            throw new IllegalStateException("this backend was closed; create a new one");
        }
        int p = Math.min(workers.length + 1, Math.max(1, count / Math.max(1, grain)));
        if (p <= 1) {
            if (count > 0) {
                job.runPart(0, 0, count);
            }
            return;
        }
        this.job = job;
        this.count = count;
        this.parts = p;
        this.caller = Thread.currentThread();
        pending.set(workers.length); // every worker acknowledges every dispatch, so fields stay fixed until then
        epoch++; // publishes job, count and parts to the workers
        for (int w = 0; w < workers.length; w++) {
            LockSupport.unpark(workers[w]);
        }
        job.runPart(0, 0, bound(0, count, p));
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
                    job.runPart(part, bound(part - 1, count, p), bound(part, count, p));
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
