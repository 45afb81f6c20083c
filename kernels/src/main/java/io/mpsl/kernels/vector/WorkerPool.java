package io.mpsl.kernels.vector;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that run the parts of one task together with the calling thread. Created
 * once; a call allocates nothing. Idle workers spin for {@value #SPIN_ITERATIONS} pauses (tens of
 * microseconds, so back-to-back calls start fast) and then park, so they never hold a core between calls.
 */
final class WorkerPool implements AutoCloseable {

    /** Work split into parts; part 0 runs on the calling thread. */
    interface Task {
        void runPart(int part, int parts);
    }

    static final int SPIN_ITERATIONS = 2_000;

    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private Task task;
    private int parts;
    private Throwable failure;

    WorkerPool(int threads, String name) {
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            final int part = i + 1;
            Thread t = new Thread(() -> workerLoop(part), name + "-" + part);
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    /** Threads that run parts, the caller included. */
    int threads() {
        return workers.length + 1;
    }

    /** Runs parts 0..parts-1 of task, part 0 on this thread; returns when all are done. One caller at a time. */
    void run(Task t, int partCount) {
        if (partCount > threads() || partCount < 1) {
            throw new IllegalArgumentException("parts " + partCount + " not in [1, " + threads() + "]");
        }
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (partCount == 1) {
            t.runPart(0, 1);
            return;
        }
        task = t;
        parts = partCount;
        failure = null;
        caller = Thread.currentThread();
        pending.set(partCount - 1);
        generation++; // publishes task and parts
        for (int i = 0; i < partCount - 1; i++) {
            LockSupport.unpark(workers[i]);
        }
        Throwable own = null;
        try {
            t.runPart(0, partCount);
        } catch (Throwable e) {
            own = e;
        }
        for (int spins = 0; pending.get() != 0; spins++) {
            if (spins < SPIN_ITERATIONS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        task = null;
        Throwable f = own != null ? own : failure;
        if (f instanceof RuntimeException r) {
            throw r;
        }
        if (f instanceof Error e) {
            throw e;
        }
    }

    private void workerLoop(int part) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int g;
            while ((g = generation) == seen && !closed) {
                if (spins++ < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = g;
            if (part < parts) {
                try {
                    task.runPart(part, parts);
                } catch (Throwable e) {
                    synchronized (this) {
                        if (failure == null) {
                            failure = e;
                        }
                    }
                }
                if (pending.decrementAndGet() == 0) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
