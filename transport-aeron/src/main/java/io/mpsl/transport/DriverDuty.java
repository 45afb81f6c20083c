package io.mpsl.transport;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;

/**
 * The duty cycles of an embedded media driver run cooperatively by whichever thread has nothing better to do,
 * instead of by threads of the driver's own: on a machine with as few cores as busy threads this keeps extra
 * spinning threads from competing with the ones that move data, and no limit waits for a thread to be scheduled.
 *
 * <p>The driver's three agents are guarded separately, so that two threads can run two of them at once, as the
 * kernel runs a TCP connection's sending and receiving work in its two ends' system calls:
 * <ul>
 * <li>the <b>sender</b> agent (sends a UDP publication's frames, reads the receivers' status messages), run by a
 * sender after it wrote chunks and when its publication back-pressures ({@link #invokeForSender()});</li>
 * <li>the <b>receiver</b> agent (reads datagrams into images, sends status messages), run by a receiver that
 * found nothing to read ({@link #invokeForReceiver()}), which also runs the sender agent when the receiver agent
 * found nothing either;</li>
 * <li>the <b>conductor</b> (moves publication limits, cleans logs, timers, clients' commands), run by both of
 * them in those cases;</li>
 * <li>all three, by the transport's own driver thread (this class is its {@link Agent}), which parks when idle
 * and runs an agent only when no link ran it for {@link #BACKGROUND_STALE_NS}: it keeps heartbeats, timeouts and
 * idle links going without taking a core from busy links.</li>
 * </ul>
 *
 * <p>Each agent has a flag taken with a compare-and-set (acquire) and cleared with a release store: one thread
 * at a time runs that agent, each run seeing everything the previous one wrote; a thread that finds the flag
 * taken does not wait. A single agent (the composite of Aeron's {@code INVOKER} mode) works too: it is then
 * the conductor and the other two are absent.
 */
final class DriverDuty implements Agent {
    /** One agent and the flag that lets one thread at a time run it. */
    static final class Guarded {
        private static final VarHandle BUSY;

        static {
            try {
                BUSY = MethodHandles.lookup().findVarHandle(Guarded.class, "busy", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final AgentInvoker invoker;
        @SuppressWarnings("unused") // accessed through BUSY
        private volatile int busy;
        private long lastRunNs; // written under the flag; read without it (a stale value only delays a run)

        /** @param invoker the agent's invoker, already started; null for an absent agent */
        Guarded(AgentInvoker invoker) {
            this.invoker = invoker;
            this.lastRunNs = System.nanoTime() - (Long.MAX_VALUE >> 1); // as if last run long ago
        }

        int invoke() {
            if (invoker == null || (int) BUSY.getOpaque(this) != 0 || !BUSY.compareAndSet(this, 0, 1)) {
                return 0;
            }
            try {
                lastRunNs = System.nanoTime();
                return invoker.invoke();
            } finally {
                BUSY.setRelease(this, 0);
            }
        }

        /** Runs the agent unless some thread ran it less than {@code staleNs} ago. */
        int invokeIfStale(long nowNs, long staleNs) {
            return nowNs - lastRunNs < staleNs ? 0 : invoke();
        }

        void stop() {
            while (!BUSY.compareAndSet(this, 0, 1)) {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * The transport's own driver thread runs an agent only when no link's thread ran it for this long: while the
     * links move data they run the driver themselves, and a third busy thread would only take their cores.
     */
    static final long BACKGROUND_STALE_NS = 50_000;

    private final Guarded conductor;
    private final Guarded sender;
    private final Guarded receiver;
    private final long backgroundStaleNs;

    /** The three agents of a driver, their invokers already started. */
    DriverDuty(AgentInvoker conductor, AgentInvoker sender, AgentInvoker receiver) {
        this(conductor, sender, receiver, BACKGROUND_STALE_NS);
    }

    /** As above, the driver thread leaving an agent alone for {@code backgroundStaleNs} after a link ran it. */
    DriverDuty(AgentInvoker conductor, AgentInvoker sender, AgentInvoker receiver, long backgroundStaleNs) {
        this.conductor = new Guarded(conductor);
        this.sender = new Guarded(sender);
        this.receiver = new Guarded(receiver);
        this.backgroundStaleNs = backgroundStaleNs;
    }

    /** One composite agent (Aeron's {@code INVOKER} mode), its invoker already started. */
    DriverDuty(AgentInvoker composite) {
        this(composite, null, null);
    }

    /**
     * Runs one duty cycle of each agent that no other thread is running now (nothing once stopped).
     *
     * @return the work the agents did; 0 when other threads had them
     */
    int invoke() {
        return conductor.invoke() + sender.invoke() + receiver.invoke();
    }

    /** For a sender: the sender agent (its frames go out now), then the conductor (its limit moves). */
    int invokeForSender() {
        return sender.invoke() + conductor.invoke();
    }

    /** For a sender that wrote chunks: only the sender agent, so that they leave at once. */
    int invokeSender() {
        return sender.invoke();
    }

    /**
     * For a receiver with nothing to read: the receiver agent (datagrams into images), then the conductor, and
     * when the receiver agent found nothing either, the sender agent (frames that a sending thread wrote and then
     * left behind for want of window go out without waiting for the driver thread).
     */
    int invokeForReceiver() {
        int received = receiver.invoke();
        int work = received + conductor.invoke();
        return received > 0 ? work : work + sender.invoke();
    }

    /** Waits for running duty cycles to end and keeps any other from starting: call before closing the driver. */
    void stop() {
        conductor.stop();
        sender.stop();
        receiver.stop();
    }

    /** The driver thread's duty cycle: each agent that no link ran for {@link #BACKGROUND_STALE_NS} (or as set). */
    @Override
    public int doWork() {
        long nowNs = System.nanoTime();
        return conductor.invokeIfStale(nowNs, backgroundStaleNs) + sender.invokeIfStale(nowNs, backgroundStaleNs)
                + receiver.invokeIfStale(nowNs, backgroundStaleNs);
    }

    @Override
    public String roleName() {
        return "mpsl-driver-duty";
    }
}
