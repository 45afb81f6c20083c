package io.mpsl.transport;

import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * Counters and a latency histogram of one sender or receiver. Written by the one thread that runs the
 * link's duty cycle, with no allocation; read from any thread.
 */
public final class LinkMetrics {
    /** Longest latency the histogram tracks (larger values are clamped), in ns. */
    public static final long MAX_TRACKED_LATENCY_NS = 60_000_000_000L;

    private static final int BYTES = 0;
    private static final int FRAMES = 1;
    private static final int MESSAGES = 2;
    private static final int BACK_PRESSURE = 3;
    private static final int REJECTED_BASE = 4;

    private final String name;
    private final AtomicLongArray counters = new AtomicLongArray(REJECTED_BASE + RejectReason.all().length);
    private final SingleWriterRecorder recorder = new SingleWriterRecorder(1, MAX_TRACKED_LATENCY_NS, 3);
    private final Histogram latencyNs = new Histogram(1, MAX_TRACKED_LATENCY_NS, 3);
    private Histogram interval;

    LinkMetrics(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    private void add(int index, long n) {
        counters.setRelease(index, counters.getPlain(index) + n);
    }

    void onFrame(int bytes) {
        add(FRAMES, 1);
        add(BYTES, bytes);
    }

    void onMessage() {
        add(MESSAGES, 1);
    }

    void onBackPressure() {
        add(BACK_PRESSURE, 1);
    }

    void onRejected(RejectReason reason) {
        add(REJECTED_BASE + reason.ordinal(), 1);
    }

    void onLatency(long latencyNs) {
        recorder.recordValue(Math.min(Math.max(latencyNs, 1), MAX_TRACKED_LATENCY_NS));
    }

    /** Frame bytes (header and payload) sent or accepted. */
    public long bytes() {
        return counters.get(BYTES);
    }

    /** Frames sent or accepted. */
    public long frames() {
        return counters.get(FRAMES);
    }

    /** Whole messages sent or delivered. */
    public long messages() {
        return counters.get(MESSAGES);
    }

    /** Times an offer or a receive had to wait: publication back-pressure, a full queue, a full pool. */
    public long backPressureEvents() {
        return counters.get(BACK_PRESSURE);
    }

    public long rejected(RejectReason reason) {
        return counters.get(REJECTED_BASE + reason.ordinal());
    }

    /** Frames rejected for any reason (abandoned messages are counted under {@link RejectReason#INCOMPLETE}). */
    public long rejectedTotal() {
        long n = 0;
        for (RejectReason r : RejectReason.all()) {
            n += rejected(r);
        }
        return n;
    }

    /**
     * A copy of all latencies recorded so far, in ns: on a receiver, from the sender's offer to delivery
     * (meaningful when both ends read the same clock, i.e. on one machine).
     */
    public synchronized Histogram latencyHistogramNs() {
        interval = recorder.getIntervalHistogram(interval);
        latencyNs.add(interval);
        return latencyNs.copy();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append("[bytes=").append(bytes()).append(", frames=").append(frames())
                .append(", messages=").append(messages()).append(", backPressure=").append(backPressureEvents());
        for (RejectReason r : RejectReason.all()) {
            long n = rejected(r);
            if (n != 0) {
                sb.append(", ").append(r).append('=').append(n);
            }
        }
        return sb.append(']').toString();
    }
}
