package io.mpsl.scheduler.runtime;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Busy intervals of every resource (each owner's and hop's processor, each link direction), for the
 * busy/idle report and a Chrome trace-format timeline that Perfetto opens. Thread-safe.
 */
public final class Timeline {
    private record Event(String resource, String name, long startNs, long durationNs) {
    }

    private final long originNs = System.nanoTime();
    private final List<Event> events = new ArrayList<>();
    private final Map<String, long[]> busy = new LinkedHashMap<>();
    private final boolean keepEvents;

    public Timeline(boolean keepEvents) {
        this.keepEvents = keepEvents;
    }

    /** Declares a resource so it is reported even if it never works. */
    public synchronized void declare(String resource) {
        busy.computeIfAbsent(resource, r -> new long[1]);
    }

    public synchronized void record(String resource, String name, long startNs, long durationNs) {
        busy.computeIfAbsent(resource, r -> new long[1])[0] += durationNs;
        if (keepEvents) {
            events.add(new Event(resource, name, startNs, durationNs));
        }
    }

    /** Busy nanoseconds per resource, in declaration order. */
    public synchronized Map<String, Long> busyNs() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : busy.entrySet()) {
            m.put(e.getKey(), e.getValue()[0]);
        }
        return m;
    }

    /** Resets busy counters (e.g. after a warm-up round). */
    public synchronized void reset() {
        for (long[] b : busy.values()) {
            b[0] = 0;
        }
        events.clear();
    }

    /** Writes the events as Chrome trace JSON: one "thread" per resource, times in microseconds. */
    public synchronized void writeChromeTrace(Path file) throws IOException {
        List<String> names = new ArrayList<>(busy.keySet());
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write("{\"traceEvents\":[\n");
            boolean first = true;
            for (int i = 0; i < names.size(); i++) {
                w.write((first ? "" : ",\n") + "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":" + i
                        + ",\"args\":{\"name\":\"" + names.get(i) + "\"}}");
                first = false;
            }
            for (Event e : events) {
                int tid = names.indexOf(e.resource);
                w.write(",\n{\"name\":\"" + e.name + "\",\"ph\":\"X\",\"pid\":1,\"tid\":" + tid + ",\"ts\":"
                        + String.format(java.util.Locale.ROOT, "%.3f", (e.startNs - originNs) / 1e3) + ",\"dur\":"
                        + String.format(java.util.Locale.ROOT, "%.3f", e.durationNs / 1e3) + "}");
            }
            w.write("\n],\"displayTimeUnit\":\"ms\"}\n");
        }
    }
}
