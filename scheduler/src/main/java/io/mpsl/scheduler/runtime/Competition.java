package io.mpsl.scheduler.runtime;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What competes with a run's compute threads for the processors while they work, in threads: CPU seconds per
 * second of the nodes' work. Where the machine's own accounting can be read ({@code /proc/stat}), it is
 * everything the processors did in the rounds (the nodes at work; the between-rounds evaluation left out) less the
 * nodes' own CPU time, the calling thread's (it only waits on the nodes) and the just-in-time compiler's (a cold
 * process's passing cost, not the plan's): the transport's threads, the collector, other programs and the host's
 * steal alike. Elsewhere, or when the nodes' CPU time cannot be read (a multi-threaded backend's native workers
 * are not the nodes' threads), it falls back to the process's other visible threads' CPU time over the whole run
 * (the nodes' own threads start after the snapshot and are gone by its end, and so are not seen; nor is any other
 * thread that ends before then) plus the steal.
 */
final class Competition {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final Path PROC_STAT = Path.of("/proc/stat");
    private static final Path TASKS = Path.of("/proc/self/task");
    /** Nanoseconds per {@code /proc/stat} tick (USER_HZ is 100 on Linux). */
    static final long TICK_NS = 10_000_000L;

    /** The machine's accounting and the compiler's, as sources a test can stand in for. */
    interface Source {
        /** {all ticks, busy ticks (steal included), steal ticks} since boot, or null where there is none. */
        long[] procStat();

        /** CPU nanoseconds the just-in-time compiler's threads have taken (a counter), or -1 where unknown. */
        long compilerCpuNs();

        /** The calling thread's CPU nanoseconds, or -1 where unknown. */
        long callerCpuNs();
    }

    static final Source SYSTEM = new Source() {
        @Override
        public long[] procStat() {
            return Competition.procStat();
        }

        @Override
        public long compilerCpuNs() {
            return Competition.compilerCpuNs();
        }

        @Override
        public long callerCpuNs() {
            return THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled()
                    ? THREADS.getCurrentThreadCpuTime() : -1;
        }
    };

    private final Source source;
    private final Map<Long, Long> cpuNs;
    private final long caller;
    private final long[] firstStat;
    // the rounds' accounting, summed over the intervals between resume() and pause()
    private long[] statAt;
    private long compileAt;
    private long callerAt;
    private long busyTicks;
    private long allTicks;
    private long compilerNs;
    private long callerNs;
    private boolean exact = true;

    private Competition(Source source, boolean threads) {
        this.source = source;
        this.cpuNs = threads ? threadCpu() : null;
        this.caller = Thread.currentThread().threadId();
        this.firstStat = source.procStat();
        resume(firstStat);
    }

    /** Takes the snapshot the run's competition is measured from; call just before the nodes start. */
    static Competition start() {
        return new Competition(SYSTEM, true);
    }

    /** As {@link #start()} with the machine's accounting from {@code source} (tests). */
    static Competition start(Source source) {
        return new Competition(source, false);
    }

    /** The nodes stop working (a round ended; the evaluation between rounds does not count). */
    void pause() {
        if (statAt == null) {
            return;
        }
        long[] s = source.procStat();
        long c = source.compilerCpuNs();
        long t = source.callerCpuNs();
        if (s == null || c < 0 || compileAt < 0 || t < 0 || callerAt < 0) {
            exact = false;
        } else {
            allTicks += s[0] - statAt[0];
            busyTicks += s[1] - statAt[1];
            compilerNs += c - compileAt;
            callerNs += t - callerAt;
        }
        statAt = null;
    }

    /** The nodes work again (the next round). */
    void resume() {
        resume(source.procStat());
    }

    private void resume(long[] stat) {
        statAt = stat;
        compileAt = source.compilerCpuNs();
        callerAt = source.callerCpuNs();
        if (stat == null) {
            exact = false;
        }
    }

    /**
     * Threads' worth of competition over {@code nodesRunNs} of the nodes' work, given the CPU nanoseconds the
     * nodes' threads took ({@code nodesCpuNs}; negative: unknown, as with a multi-threaded backend); NaN where
     * neither way can measure it or nothing ran.
     */
    double threads(long nodesRunNs, long nodesCpuNs) {
        pause();
        if (nodesRunNs <= 0) {
            return Double.NaN;
        }
        complete = exact && nodesCpuNs >= 0 && allTicks > 0;
        if (complete) {
            double other = busyTicks * (double) TICK_NS - nodesCpuNs - callerNs - compilerNs;
            return Math.max(0, other) / nodesRunNs;
        }
        return visibleThreads(nodesRunNs);
    }

    private boolean complete;

    /**
     * Whether the last {@link #threads} measured from the machine's accounting (other programs and the collector
     * included), not from the process's visible threads alone.
     */
    boolean complete() {
        return complete;
    }

    /** The fallback: the process's other visible threads' CPU time and the steal, over the whole run. */
    private double visibleThreads(long nodesRunNs) {
        if (cpuNs == null) {
            return Double.NaN;
        }
        Map<Long, Long> now = threadCpu();
        if (now == null) {
            return Double.NaN;
        }
        long other = 0;
        for (Map.Entry<Long, Long> e : now.entrySet()) {
            if (e.getKey() != caller) {
                other += Math.max(0, e.getValue() - cpuNs.getOrDefault(e.getKey(), 0L));
            }
        }
        double threads = other / (double) nodesRunNs;
        long[] end = source.procStat();
        if (firstStat != null && end != null) {
            long total = end[0] - firstStat[0];
            long steal = end[2] - firstStat[2];
            if (total > 0 && steal > 0) {
                threads += Runtime.getRuntime().availableProcessors() * steal / (double) total;
            }
        }
        return threads;
    }

    private static Map<Long, Long> threadCpu() {
        if (!THREADS.isThreadCpuTimeSupported() || !THREADS.isThreadCpuTimeEnabled()) {
            return null;
        }
        Map<Long, Long> m = new HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long ns = THREADS.getThreadCpuTime(id);
            if (ns >= 0) {
                m.put(id, ns);
            }
        }
        return m;
    }

    /** Per compiler thread (by id), the CPU ticks last read; and the ticks counted over every read so far. */
    private static final Map<Long, Long> COMPILER_TICKS = new HashMap<>();
    private static long compilerTicks;

    /**
     * CPU nanoseconds this process's just-in-time compiler threads (HotSpot's "C1/C2 CompilerThread"s, from
     * {@code /proc/self/task/<tid>/stat}) have taken, as a counter that only grows: a compiler thread that ends
     * takes with it only its time since the last read (the count errs towards more competition); -1 where there is
     * no such accounting. {@code CompilationMXBean}'s compile time is no substitute: it is elapsed time, and in a
     * cold first round on shared cores it exceeded the threads' CPU time by enough to read no competition at all.
     */
    static synchronized long compilerCpuNs() {
        try (var tasks = Files.newDirectoryStream(TASKS)) {
            for (Path t : tasks) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                if (open < 0 || close < open || !stat.substring(open + 1, close).contains("CompilerThre")) {
                    continue;
                }
                String[] f = stat.substring(close + 2).split(" ");
                long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                Long before = COMPILER_TICKS.put(Long.parseLong(t.getFileName().toString()), ticks);
                compilerTicks += Math.max(0, ticks - (before == null ? 0 : before));
            }
            return compilerTicks * TICK_NS;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The first line of /proc/stat: {all ticks, busy ticks, steal ticks}; null where there is none. */
    static long[] procStat() {
        try {
            String line = Files.readAllLines(PROC_STAT).get(0);
            String[] f = line.trim().split("\\s+");
            if (!f[0].equals("cpu") || f.length < 9) {
                return null;
            }
            long total = 0; // user .. steal (guest time is in user already)
            for (int i = 1; i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle, iowait
            return new long[] {total, total - idle, Long.parseLong(f[8])};
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
