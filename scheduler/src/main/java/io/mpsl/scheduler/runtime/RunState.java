package io.mpsl.scheduler.runtime;

/** Shared by every node of a run: the first failure, which makes every other node stop. */
final class RunState {
    private volatile Throwable failure;
    private volatile String failedNode;

    void fail(String node, Throwable t) {
        synchronized (this) {
            if (failure == null) {
                failure = t;
                failedNode = node;
            }
        }
    }

    boolean failed() {
        return failure != null;
    }

    /** Throws if some node failed. */
    void check() {
        if (failure != null) {
            throw new RunAbortedException("node " + failedNode + " failed: " + failure.getMessage(), failure);
        }
    }

    Throwable failure() {
        return failure;
    }

    String failedNode() {
        return failedNode;
    }
}
