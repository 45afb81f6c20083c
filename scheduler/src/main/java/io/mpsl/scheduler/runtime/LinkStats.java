package io.mpsl.scheduler.runtime;

/**
 * What one link direction carried during a run, as its transfers were timed: bytes and messages, the time
 * it was busy sending them, and the summed time from leaving the link to arriving. Goodput is
 * 8 * bytes / busy; mean latency is latency / messages.
 */
public record LinkStats(String name, long bytes, long messages, long busyNs, long latencyNs) {

    /** Measured goodput in bit/s, or 0 when the link was never busy (unlimited, or unused). */
    public double goodputBitsPerS() {
        return busyNs == 0 ? 0 : bytes * 8.0 * 1e9 / busyNs;
    }

    /** Mean one-way latency in seconds (0 when nothing was sent). */
    public double latencyS() {
        return messages == 0 ? 0 : latencyNs / 1e9 / messages;
    }
}
