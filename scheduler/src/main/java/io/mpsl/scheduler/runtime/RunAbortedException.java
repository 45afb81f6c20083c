package io.mpsl.scheduler.runtime;

/** A run stopped because one of its nodes failed; the message names the node and the cause. */
public final class RunAbortedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RunAbortedException(String message, Throwable cause) {
        super(message, cause);
    }
}
