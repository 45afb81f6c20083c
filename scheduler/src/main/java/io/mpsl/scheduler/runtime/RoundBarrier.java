package io.mpsl.scheduler.runtime;

import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Lets the driver look at a consistent model between rounds (evaluation, reports): every node arrives at
 * the end of its round and waits until the driver is done. Two phases per round: all arrive; the driver
 * works; all leave. Waits give up as soon as any node failed, so a failure never becomes a hang.
 */
final class RoundBarrier {
    private final Phaser phaser;
    private final RunState state;

    RoundBarrier(int nodes, RunState state) {
        this.phaser = new Phaser(nodes + 1);
        this.state = state;
    }

    /** Called by a node at the end of a round. */
    void nodeArrive() {
        await();
        await();
    }

    /** Called by the driver: returns once every node reached the end of the round. */
    void awaitNodes() {
        await();
    }

    /** Called by the driver when done: lets the nodes go on. */
    void release() {
        await();
    }

    private void await() {
        int phase = phaser.arrive();
        while (true) {
            state.check();
            try {
                phaser.awaitAdvanceInterruptibly(phase, 100, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                // check for failures and wait again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RunAbortedException("interrupted", e);
            }
        }
    }
}
