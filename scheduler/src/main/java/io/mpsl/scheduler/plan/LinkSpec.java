package io.mpsl.scheduler.plan;

/**
 * An emulated link: a serialization rate in bit/s (0 = unlimited) and a one-way propagation delay.
 * A message of b bytes occupies the link for 8b / rate seconds, then arrives {@code delayNs} later.
 */
public record LinkSpec(long rateBitsPerS, long delayNs) {
    public static final LinkSpec UNLIMITED = new LinkSpec(0, 0);

    public LinkSpec {
        if (rateBitsPerS < 0 || delayNs < 0) {
            throw new IllegalArgumentException("link rate and delay must be >= 0, got " + rateBitsPerS + " bit/s and "
                    + delayNs + " ns");
        }
    }

    public static LinkSpec mbit(double mbitPerS, double delayMs) {
        return new LinkSpec(Math.round(mbitPerS * 1e6), Math.round(delayMs * 1e6));
    }

    /** Seconds the link takes per byte: 8 / rate (0 for an unlimited link). */
    public double secondsPerByte() {
        return rateBitsPerS == 0 ? 0 : 8.0 / rateBitsPerS;
    }

    /** Nanoseconds a message of {@code bytes} occupies the link. */
    public long transferNs(long bytes) {
        return rateBitsPerS == 0 ? 0 : (long) Math.ceil(bytes * 8.0 * 1e9 / rateBitsPerS);
    }
}
