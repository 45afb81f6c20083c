package io.mpsl.scheduler.runtime;

import io.mpsl.scheduler.plan.LinkSpec;
import java.util.concurrent.DelayQueue;

/**
 * A one-way link inside one JVM with a serialization rate and a propagation delay: a message occupies the
 * link for 8 * bytes / rate after the previous one left it, then arrives {@code delay} later in the
 * receiver's inbox. A link models one direction of one network interface, so every message a device sends
 * (to the first hop, to the last hop, to the coordinator) shares its uplink. Busy time and bytes are counted
 * for the report. Thread-safe.
 */
final class EmulatedLink implements Link {
    private final String name;
    private final LinkSpec spec;
    private long freeAtNs;
    private long busyNs;
    private long bytes;
    private long messages;
    private long labelBytes;
    private long latencyNs;

    private final LinkTap tap;

    EmulatedLink(String name, LinkSpec spec, LinkTap tap) {
        this.name = name;
        this.spec = spec;
        this.tap = tap;
    }

    @Override
    public String name() {
        return name;
    }

    /** Puts the message on the link; it reaches {@code target} when the emulated transfer ends. */
    void send(Message m, DelayQueue<Message> target, Timeline timeline) {
        if (tap != null) {
            tap.onSend(name, m.type, m.payload, m.labels);
        }
        long now = System.nanoTime();
        long b = m.wireBytes();
        long deliver;
        synchronized (this) {
            long start = Math.max(now, freeAtNs);
            long duration = spec.transferNs(b);
            freeAtNs = start + duration;
            busyNs += duration;
            bytes += b;
            messages++;
            if (m.labels != null) {
                labelBytes += m.labels.byteSize();
            }
            deliver = freeAtNs + spec.delayNs();
            latencyNs += deliver - freeAtNs;
            if (duration > 0 && timeline != null) {
                timeline.record(name, m.type.name().toLowerCase(java.util.Locale.ROOT), start, duration);
            }
        }
        m.sentAtNs = now;
        m.deliverAtNs = deliver;
        target.put(m);
    }

    synchronized long busyNs() {
        return busyNs;
    }

    @Override
    public synchronized long bytes() {
        return bytes;
    }

    @Override
    public synchronized long messages() {
        return messages;
    }

    @Override
    public synchronized long labelBytes() {
        return labelBytes;
    }

    /** Sum over messages of the time from leaving the link to arriving (propagation). */
    synchronized long latencyNs() {
        return latencyNs;
    }
}
