package io.mpsl.scheduler.runtime;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What competes with a run's compute threads for the processors while it runs, measured over the run: the CPU
 * time of the process's other visible threads (the transport's sender, receiver and driver duty above all; the
 * calling thread, which only waits while the nodes work, and the nodes' own threads, which start after this
 * snapshot and are gone by its end, are not counted; nor is any thread that ends before the end of the run), and
 * the time the host took from this machine's processors
 * (the steal column of {@code /proc/stat}, where there is one). In threads: CPU seconds per second of the nodes'
 * work.
 */
final class Competition {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final Path PROC_STAT = Path.of("/proc/stat");

    private final Map<Long, Long> cpuNs;
    private final long caller;
    private final long[] stat;

    private Competition(Map<Long, Long> cpuNs, long caller, long[] stat) {
        this.cpuNs = cpuNs;
        this.caller = caller;
        this.stat = stat;
    }

    /** Takes the snapshot the run's competition is measured from; call just before the nodes start. */
    static Competition start() {
        return new Competition(threadCpu(), Thread.currentThread().threadId(), procStat());
    }

    /**
     * Threads' worth of competition since {@link #start()}, over {@code nodesRunNs} of the nodes' work; NaN
     * where threads' CPU time cannot be read or nothing ran.
     */
    double threads(long nodesRunNs) {
        if (nodesRunNs <= 0 || cpuNs == null) {
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
        long[] end = procStat();
        if (stat != null && end != null) {
            long total = end[0] - stat[0];
            long steal = end[1] - stat[1];
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

    /** The first line of /proc/stat: {all ticks, steal ticks}; null where there is none. */
    private static long[] procStat() {
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
            return new long[] {total, Long.parseLong(f[8])};
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
