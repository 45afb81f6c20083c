package io.mpsl.transport;

/**
 * Emulates a slow link on one machine: a rate, paced on the sender in virtual time, and a one-way delay, added
 * by the receiver before it delivers a message. Used by one thread.
 *
 * <p>Pacing: the emulated link is busy until {@code freeAtNs}. A chunk of {@code b} bytes starts on it at
 * {@code start = max(freeAtNs, now - burstNs)} and leaves (is handed to the transport) when its last bit would
 * have left the real link, {@code start + b * 8e9 / rateBitsPerSec}, which becomes {@code freeAtNs}. So a lone
 * message of B bytes on an idle link takes B * 8 / rate, as on a wire (not one free burst), and the long-run
 * rate is exact. The burst only lets a sender that woke up late catch up with its schedule: over any interval
 * the bytes sent are at most {@code rate * (interval + burst)}.
 */
public final class LinkShaper {
    /** No shaping: an unlimited rate and no delay. */
    public static final long UNLIMITED = 0;

    private final long rateBitsPerSec;
    private final long delayNs;
    private final long burstNs;
    private long freeAtNs = Long.MIN_VALUE;
    private long pendingStartNs = Long.MIN_VALUE; // start of the chunk waiting to leave, fixed when first asked
    private long carryNumerator;

    /**
     * @param rateBitsPerSec link rate in bit/s, or {@link #UNLIMITED}
     * @param delayNs one-way delay added to every message, in ns
     * @param burstBytes bytes that may leave back to back after an idle period (0: one chunk at a time)
     */
    public LinkShaper(long rateBitsPerSec, long delayNs, long burstBytes) {
        if (rateBitsPerSec < 0 || delayNs < 0 || burstBytes < 0) {
            throw new IllegalArgumentException("link shaper needs rate >= 0 bit/s, delay >= 0 ns and burst >= 0 bytes; got "
                    + rateBitsPerSec + ", " + delayNs + ", " + burstBytes);
        }
        this.rateBitsPerSec = rateBitsPerSec;
        this.delayNs = delayNs;
        this.burstNs = rateBitsPerSec == UNLIMITED ? 0 : Math.multiplyExact(burstBytes, 8_000_000_000L) / rateBitsPerSec;
    }

    /** Default burst: 2 ms at the rate, what a late wake-up of the sending thread may make up for. */
    public static final long DEFAULT_BURST_NS = 2_000_000L;

    /**
     * A shaper with a rate in bit/s and a one-way delay in ns, and the default burst: after a late wake-up
     * the sender may catch up by that much, so scheduling jitter does not lower the long-run rate.
     */
    public static LinkShaper of(long rateBitsPerSec, long delayNs) {
        long burst = rateBitsPerSec / 8 * DEFAULT_BURST_NS / 1_000_000_000L;
        return new LinkShaper(rateBitsPerSec, delayNs, burst);
    }

    public long rateBitsPerSec() {
        return rateBitsPerSec;
    }

    public long delayNs() {
        return delayNs;
    }

    /**
     * Nanoseconds until a chunk of {@code bytes} may leave; 0 when it may leave now. The first call for a chunk
     * fixes when it started on the emulated link (the link is busy with it while the sender waits).
     */
    public long sendDelayNs(long nowNs, int bytes) {
        if (rateBitsPerSec == UNLIMITED) {
            return 0;
        }
        if (pendingStartNs == Long.MIN_VALUE) {
            pendingStartNs = startNs(nowNs);
        }
        long leaveNs = pendingStartNs + (bytes * 8_000_000_000L + carryNumerator) / rateBitsPerSec;
        return Math.max(0, leaveNs - nowNs);
    }

    private long startNs(long nowNs) {
        return freeAtNs == Long.MIN_VALUE ? nowNs - burstNs : Math.max(freeAtNs, nowNs - burstNs);
    }

    /**
     * Records that {@code bytes} left at {@code nowNs} (after {@link #sendDelayNs} said 0). A chunk that left later
     * than it could (back-pressure) leaves the link idle in between, credited up to the burst only.
     */
    public void onSent(long nowNs, int bytes) {
        if (rateBitsPerSec == UNLIMITED) {
            return;
        }
        long start = pendingStartNs != Long.MIN_VALUE ? pendingStartNs : startNs(nowNs);
        pendingStartNs = Long.MIN_VALUE;
        long numerator = bytes * 8_000_000_000L + carryNumerator;
        freeAtNs = Math.max(start + numerator / rateBitsPerSec, nowNs - burstNs);
        carryNumerator = numerator % rateBitsPerSec;
    }
}
