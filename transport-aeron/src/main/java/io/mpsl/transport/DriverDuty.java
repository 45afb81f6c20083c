package io.mpsl.transport;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;

/**
 * The duty cycle of an embedded media driver started in {@code ThreadingMode.INVOKER}, run cooperatively by
 * whichever thread has nothing better to do: a sender whose publication back-pressures (the driver's
 * conductor then moves its limit at once), a receiver that found nothing to read, and the transport's own
 * driver thread (this class is its {@link Agent}), which parks when idle. On a machine with as few cores as
 * busy threads this keeps a third spinning thread from competing with the two that move data, and a limit
 * waits for no thread to be scheduled.
 *
 * <p>A flag taken with a compare-and-set (acquire) and cleared with a release store lets one thread at a time
 * run the driver's agents, each run seeing everything the previous one wrote; a thread that finds the flag
 * taken does not wait.
 */
final class DriverDuty implements Agent {
    private static final VarHandle BUSY;

    static {
        try {
            BUSY = MethodHandles.lookup().findVarHandle(DriverDuty.class, "busy", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final AgentInvoker invoker;
    @SuppressWarnings("unused") // accessed through BUSY
    private volatile int busy;

    /** @param invoker the driver's invoker, already started */
    DriverDuty(AgentInvoker invoker) {
        this.invoker = invoker;
    }

    /**
     * Runs one duty cycle of the driver unless another thread is running one now (or the duty was stopped).
     *
     * @return the work the driver did; 0 when another thread had the driver
     */
    int invoke() {
        if ((int) BUSY.getOpaque(this) != 0 || !BUSY.compareAndSet(this, 0, 1)) {
            return 0;
        }
        try {
            return invoker.invoke();
        } finally {
            BUSY.setRelease(this, 0);
        }
    }

    /** Waits for a running duty cycle to end and keeps any other from starting: call before closing the driver. */
    void stop() {
        while (!BUSY.compareAndSet(this, 0, 1)) {
            Thread.onSpinWait();
        }
    }

    @Override
    public int doWork() {
        return invoke();
    }

    @Override
    public String roleName() {
        return "mpsl-driver-duty";
    }
}
