package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

/** What competes with a run's nodes: the process's other threads (not the caller's) and the host's steal. */
class CompetitionTest {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Test
    void shouldCountAnotherThreadsWorkAndNotTheCallers() throws InterruptedException {
        // another thread busy while the caller sleeps 300 ms: about one thread's worth (less when the host or other
        // programs take part of a core from it); it spins until measured, as a thread that has ended is not seen
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread spinner = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                Thread.onSpinWait();
            }
        });
        Competition c = Competition.start();
        long t0 = System.nanoTime();
        Thread.sleep(300);
        double busy = c.threads(System.nanoTime() - t0);
        stop.set(true);
        spinner.join();
        // the caller's own work is not competition (it waits on the nodes while they run): measured against the
        // CPU time it really spent, so that a slow or stolen core cannot fail the test
        Competition d = Competition.start();
        long t1 = System.nanoTime();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long end = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        double callerShare = (THREADS.getCurrentThreadCpuTime() - cpu0) / (double) (System.nanoTime() - t1);
        double idle = d.threads(System.nanoTime() - t1);
        System.out.printf("competition: another thread busy %.2f threads; the caller busy (%.2f of a core) %.2f%n",
                busy, callerShare, idle);
        assertTrue(busy > 0.3, "another thread's 300 ms of work read as " + busy + " threads");
        assertTrue(idle < busy && idle < callerShare, "the caller's own work read as " + idle + " threads");
    }
}
