package io.mpsl.transport;

/**
 * Emulates a slow link on one machine: a rate, paced on the sender by a token bucket in virtual-time form,
 * and a one-way delay, added by the receiver before it delivers a message. Used by one thread.
 *
 * <p>Pacing: a chunk of {@code b} bytes may leave at {@code nextSendNs}; sending it moves
 * {@code nextSendNs = max(nextSendNs, now - burstNs) + b * 8e9 / rateBitsPerSec}. Over any interval the
 * bytes sent are at most {@code rate * interval + burst + one chunk}, and the long-run rate is exact.
 */
public final class LinkShaper {
    /** No shaping: an unlimited rate and no delay. */
    public static final long UNLIMITED = 0;

    private final long rateBitsPerSec;
    private final long delayNs;
    private final long burstNs;
    private long nextSendNs = Long.MIN_VALUE;
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

    /** Default burst: two 64 KiB chunks, or 5 ms at the rate when that is more. */
    public static final long DEFAULT_BURST_BYTES = 2 * 65_536;
    public static final long DEFAULT_BURST_NS = 5_000_000L;

    /**
     * A shaper with a rate in bit/s and a one-way delay in ns, and the default burst: after a late wake-up
     * the sender may catch up by that much, so scheduling jitter does not lower the long-run rate.
     */
    public static LinkShaper of(long rateBitsPerSec, long delayNs) {
        long burst = Math.max(DEFAULT_BURST_BYTES, rateBitsPerSec / 8 * DEFAULT_BURST_NS / 1_000_000_000L);
        return new LinkShaper(rateBitsPerSec, delayNs, burst);
    }

    public long rateBitsPerSec() {
        return rateBitsPerSec;
    }

    public long delayNs() {
        return delayNs;
    }

    /** Nanoseconds until the next chunk may leave; 0 when it may leave now. */
    public long sendDelayNs(long nowNs) {
        if (rateBitsPerSec == UNLIMITED || nextSendNs == Long.MIN_VALUE) {
            return 0;
        }
        return Math.max(0, nextSendNs - nowNs);
    }

    /** Records that {@code bytes} left at {@code nowNs}. */
    public void onSent(long nowNs, int bytes) {
        if (rateBitsPerSec == UNLIMITED) {
            return;
        }
        long start = nextSendNs == Long.MIN_VALUE ? nowNs : Math.max(nextSendNs, nowNs - burstNs);
        long numerator = bytes * 8_000_000_000L + carryNumerator;
        nextSendNs = start + numerator / rateBitsPerSec;
        carryNumerator = numerator % rateBitsPerSec;
    }
}
