package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

/**
 * What competes with a run's nodes: everything the machine did in the rounds but the nodes' threads, the caller's
 * and the compiler's (from the machine's accounting), or the process's other threads and the host's steal.
 */
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
        double busy = c.threads(System.nanoTime() - t0, 0);
        // the same thread's work as a node's: not competition
        long spun = THREADS.getThreadCpuTime(spinner.threadId());
        Competition n = Competition.start();
        long t2 = System.nanoTime();
        Thread.sleep(300);
        long nodeNs = THREADS.getThreadCpuTime(spinner.threadId()) - spun;
        double asNode = n.threads(System.nanoTime() - t2, nodeNs);
        stop.set(true);
        spinner.join();
        // the caller's own work is not competition (it waits on the nodes while they run): measured against the
        // CPU time it really spent, so that a slow or stolen core cannot fail the test; the host's steal over the
        // same time is competition by design (it took part of the caller's core: 0.65 threads read beside 0.54 of a
        // core spent, in one run), so it is set apart from what remains
        Competition d = Competition.start();
        long[] stat0 = Competition.procStat();
        long t1 = System.nanoTime();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long end = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        double callerShare = (THREADS.getCurrentThreadCpuTime() - cpu0) / (double) (System.nanoTime() - t1);
        long[] stat1 = Competition.procStat();
        double idle = d.threads(System.nanoTime() - t1, 0);
        double stolen = stat0 == null || stat1 == null ? 0
                : (stat1[2] - stat0[2]) * (double) Competition.TICK_NS / (System.nanoTime() - t1);
        System.out.printf("competition: another thread busy %.2f threads (complete: %s), the same as a node's %.2f;"
                + " the caller busy (%.2f of a core) %.2f, of which the host's steal %.2f%n", busy, c.complete(),
                asNode, callerShare, idle, stolen);
        assertTrue(busy > 0.3, "another thread's 300 ms of work read as " + busy + " threads");
        // counted, the caller's work would add all of callerShare beyond the steal
        assertTrue(idle < busy && idle - stolen < callerShare / 2, "the caller's own work read as " + idle
                + " threads (" + stolen + " of them the host's steal, the caller " + callerShare + " of a core)");
        if (n.complete()) {
            assertTrue(asNode < busy - 0.3, "a node's own work read as " + asNode + " threads of competition");
        }
    }

    /** A stand-in for the machine's accounting: each call returns the next of its values. */
    private static final class Scripted implements Competition.Source {
        private final long[][] stats;
        private final long[] compilerNs;
        private final long[] callerNs;
        private int s;
        private int c;
        private int t;

        Scripted(long[][] stats, long[] compilerNs, long[] callerNs) {
            this.stats = stats;
            this.compilerNs = compilerNs;
            this.callerNs = callerNs;
        }

        @Override
        public long[] procStat() {
            return stats[s++];
        }

        @Override
        public long compilerCpuNs() {
            return compilerNs[c++];
        }

        @Override
        public long callerCpuNs() {
            return callerNs[t++];
        }
    }

    @Test
    void shouldReadTheCompilersThreadsCpuTimeAsACounterThatOnlyGrows() {
        long a = Competition.compilerCpuNs();
        // compile something new: a lambda per class is linked lazily; the JIT compiles hot loops on its threads
        double x = 0;
        for (int i = 0; i < 3_000_000; i++) {
            x += Math.sqrt(i) * (i % 7);
        }
        long b = Competition.compilerCpuNs();
        System.out.printf("compiler threads: %d ns, then %d ns (%.1f)%n", a, b, x);
        if (a >= 0) {
            assertTrue(b >= a, "the compiler's CPU time went back from " + a + " to " + b + " ns");
            assertTrue(a > 0, "a JVM that ran tests has compiled something: " + a + " ns");
        }
    }

    @Test
    void shouldCountTheRoundsOnlyLessTheNodesTheCallerAndTheCompiler() {
        long tick = Competition.TICK_NS;
        // {all, busy (steal in it), steal} ticks: round 1 busy 160, between rounds 20 (the evaluation), round 2 busy
        // 120; the compiler 100 + 40 ms in the rounds (and 500 ms between them), the caller 50 + 10 ms in them
        Competition c = Competition.start(new Scripted(
                new long[][] {{1000, 400, 10}, {1200, 560, 20}, {1300, 580, 20}, {1400, 700, 25}},
                new long[] {5_000_000_000L, 5_100_000_000L, 5_600_000_000L, 5_640_000_000L},
                new long[] {0, 50_000_000, 90_000_000, 100_000_000}));
        c.pause();
        c.resume();
        // the nodes: 2 s of rounds, 1.2 s of their threads' CPU
        double threads = c.threads(2_000_000_000L, 1_200_000_000L);
        assertTrue(c.complete());
        double expected = (280 * tick - 1.2e9 - 60e6 - 140e6) / 2e9;
        org.junit.jupiter.api.Assertions.assertEquals(expected, threads, 1e-12);
        // nothing else ran: none (not below zero, as the ticks' grain can make it)
        Competition quiet = Competition.start(new Scripted(new long[][] {{0, 0, 0}, {200, 100, 0}},
                new long[] {0, 0}, new long[] {0, 0}));
        org.junit.jupiter.api.Assertions.assertEquals(0, quiet.threads(1_000_000_000L, 1_050_000_000L), 0);
        // no accounting of the machine and no visible threads: not measured
        Competition none = Competition.start(new Scripted(new long[][] {null, null}, new long[] {0, 0},
                new long[] {0, 0}));
        assertTrue(Double.isNaN(none.threads(1_000_000_000L, 0)));
        org.junit.jupiter.api.Assertions.assertFalse(none.complete());
    }
}
