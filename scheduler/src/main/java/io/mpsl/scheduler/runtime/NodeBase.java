package io.mpsl.scheduler.runtime;

import io.mpsl.tensor.Tensor;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** What every role's thread shares: its inbox, pending messages, failure checks and compute timing. */
abstract class NodeBase implements Runnable {
    private static final String[] FORWARD = labels("F");
    private static final String[] BACKWARD = labels("B");
    final String name;
    final Fabric fabric;
    final DelayQueue<Message> inbox;
    final Pending pending = new Pending();
    final RunState state;
    final RoundBarrier barrier;
    private final double slowdown;
    private final boolean padByCpu;
    private long busyStartNs;
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();
    private static final boolean CPU_TIMED = THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();
    private long cpuStartNs;
    private long passCpuNs; // this thread's CPU time in forward and backward steps, padding excluded
    private long passes;

    NodeBase(String name, Fabric fabric, RunState state, RoundBarrier barrier, double slowdown) {
        this(name, fabric, state, barrier, slowdown, false);
    }

    /**
     * @param padByCpu whether a step's slowdown padding follows the thread's CPU time in it (its compute runs on
     *     this thread alone) rather than its wall time
     */
    NodeBase(String name, Fabric fabric, RunState state, RoundBarrier barrier, double slowdown, boolean padByCpu) {
        this.name = name;
        this.padByCpu = padByCpu && CPU_TIMED;
        this.fabric = fabric;
        this.inbox = fabric.inbox(name);
        this.state = state;
        this.barrier = barrier;
        this.slowdown = slowdown;
        fabric.timeline.declare(name);
    }

    private static String[] labels(String prefix) {
        String[] l = new String[512];
        for (int i = 0; i < l.length; i++) {
            l[i] = prefix + i;
        }
        return l;
    }

    static String forwardLabel(int microBatch) {
        return microBatch < FORWARD.length ? FORWARD[microBatch] : "F" + microBatch;
    }

    static String backwardLabel(int microBatch) {
        return microBatch < BACKWARD.length ? BACKWARD[microBatch] : "B" + microBatch;
    }

    @Override
    public final void run() {
        PreciseTimers.apply(); // an emulated delivery or padding ends when due, not up to 50 us later
        long[] sched0 = schedstat();
        try {
            work();
        } catch (RunAbortedException e) {
            // another node failed first; the driver reports that one
        } catch (Throwable t) {
            state.fail(name, t);
        } finally {
            threadCpuNs = CPU_TIMED ? THREADS.getCurrentThreadCpuTime() : -1;
            long[] sched1 = schedstat();
            if (sched0 != null && sched1 != null) {
                runQueueRunNs = sched1[0] - sched0[0];
                runQueueWaitNs = sched1[1] - sched0[1];
            }
        }
    }

    private static final java.nio.file.Path SCHEDSTAT = java.nio.file.Path.of("/proc/thread-self/schedstat");
    private volatile long runQueueRunNs = -1;
    private volatile long runQueueWaitNs = -1;

    /** The calling thread's {running ns, runnable-but-waiting ns} from the kernel; null where there is none. */
    private static long[] schedstat() {
        try {
            String[] f = java.nio.file.Files.readString(SCHEDSTAT).trim().split("\\s+");
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Of this node's thread, once it ended: the time it waited runnable on a run queue for a core over the time it
     * ran (the kernel's schedstat); NaN where the kernel does not say. Time the thread loses to waiting for a core
     * does not show in its CPU time.
     */
    final double runQueueWaitShare() {
        return runQueueRunNs > 0 ? runQueueWaitNs / (double) runQueueRunNs : Double.NaN;
    }

    private volatile long threadCpuNs = -1;

    /** CPU nanoseconds this node's thread took in all; -1 before it ended or where it cannot be read. */
    final long threadCpuNs() {
        return threadCpuNs;
    }

    abstract void work() throws Exception;

    /**
     * CPU nanoseconds of this node's thread in its forward and backward steps (the whole step: the stage's
     * blocks, and around them the input's slicing, the loss, the sends; the padding of a slowed-down owner not),
     * and how many; 0 and 0 where threads' CPU time cannot be read. Read after the node's thread ended.
     */
    final long passCpuNs() {
        return passCpuNs;
    }

    final long passes() {
        return passes;
    }

    /** Handles a {@link MessageType#FLOW} message (flow control of activations), which never goes to pending. */
    void onFlow(Message m) {
        throw new IllegalStateException(name + " got a flow-control message it has no use for: " + m);
    }

    private void accept(Message m) {
        if (m.type == MessageType.FLOW) {
            onFlow(m);
        } else {
            pending.put(m);
        }
    }

    /** Moves every delivered message into {@link #pending} (flow control to {@link #onFlow}); returns how many. */
    final int drain() {
        int n = 0;
        Message m;
        while ((m = inbox.poll()) != null) {
            accept(m);
            n++;
        }
        return n;
    }

    /** Waits briefly for one message (into pending); checks for failures of other nodes. */
    final void awaitMessage() throws InterruptedException {
        state.check();
        Message m = inbox.poll(20, TimeUnit.MILLISECONDS);
        if (m != null) {
            accept(m);
        }
    }

    /** Waits until a message of this key arrives and takes it. */
    final Message await(MessageType type, int participant, int round, int iteration, int microBatch)
            throws InterruptedException {
        while (true) {
            drain();
            Message m = pending.take(type, participant, round, iteration, microBatch);
            if (m != null) {
                return m;
            }
            awaitMessage();
        }
    }

    /** Sends from this node; see {@link Fabric#send}. */
    final void send(Link link, String to, MessageType type, int participant, int round, int iteration, int microBatch,
            int stage, Tensor payload, Tensor labels, int samples) {
        fabric.send(name, link, to, type, participant, round, iteration, microBatch, stage, payload, labels, samples);
    }

    final void beginCompute() {
        busyStartNs = System.nanoTime();
        if (CPU_TIMED) {
            cpuStartNs = THREADS.getCurrentThreadCpuTime();
        }
    }

    /**
     * The padding after a step of {@code wallNs} whose thread used {@code cpuNs} of CPU time (negative: not known)
     * that makes the step last as long as on a device {@code slowdown} times slower: slowdown times the step's
     * work (its CPU time where known, never more than its wall time; else its wall time), less the wall time the
     * step took. A dedicated device's step does not wait for this machine's shared cores: the time this thread
     * waited for one is taken out of the padding (and added only where it is longer than the padding).
     */
    static long padNs(long wallNs, long cpuNs, double slowdown) {
        long work = cpuNs >= 0 ? Math.min(cpuNs, wallNs) : wallNs;
        return slowdown > 1.0 ? Math.max(0L, (long) (work * slowdown) - wallNs) : 0;
    }

    /**
     * Ends a timed compute step: pads it to {@code slowdown} times its work (an emulated slower device, parked
     * rather than spinning) and records it on the timeline. The work is the thread's CPU time in the step where
     * its compute runs on this thread alone (see {@link #padByCpu}): the device computes slowdown times longer,
     * on a processor of its own, so the time this thread waited for one of this machine's shared cores (other
     * roles' threads, emulated on the same cores) comes out of the padding. Otherwise the step's wall time.
     */
    final void endCompute(String label) {
        long end = System.nanoTime();
        long dt = end - busyStartNs;
        char kind = label.charAt(0);
        long cpu = -1;
        if (CPU_TIMED && (padByCpu || kind == 'F' || kind == 'B')) {
            cpu = THREADS.getCurrentThreadCpuTime() - cpuStartNs;
        }
        if (CPU_TIMED && (kind == 'F' || kind == 'B')) {
            passCpuNs += cpu;
            passes++;
        }
        if (slowdown > 1.0) {
            long until = end + padNs(dt, padByCpu ? cpu : -1, slowdown);
            for (long now = end; now < until; now = System.nanoTime()) {
                LockSupport.parkNanos(until - now);
            }
            dt = until - busyStartNs;
        }
        fabric.timeline.record(name, label, busyStartNs, dt);
    }
}
