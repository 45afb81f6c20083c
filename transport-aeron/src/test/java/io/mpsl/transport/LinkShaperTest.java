package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LinkShaperTest {
    /** Sends as soon as the shaper allows on a simulated clock; returns the simulated time of the last send. */
    private static long drive(LinkShaper shaper, int chunks, int chunkBytes, long startNs) {
        long now = startNs;
        long last = now;
        for (int i = 0; i < chunks; i++) {
            now += shaper.sendDelayNs(now, chunkBytes);
            assertEquals(0, shaper.sendDelayNs(now, chunkBytes));
            shaper.onSent(now, chunkBytes);
            last = now;
        }
        return last;
    }

    @Test
    void shouldPaceChunksToTheRateExactlyOverTheLongRun() {
        for (long rate : new long[] {10_000_000L, 100_000_000L, 1_000_000_000L, 3_000_000_001L}) {
            LinkShaper shaper = new LinkShaper(rate, 0, 0);
            int chunks = 10_000;
            int bytes = 65_456;
            long last = drive(shaper, chunks, bytes, 1_000);
            // Chunk i leaves when its last bit would leave the wire: after (i + 1) chunks' worth.
            double expectedNs = chunks * (double) bytes * 8e9 / rate;
            double errorNs = Math.abs((last - 1_000) - expectedNs);
            System.out.printf("rate %d bit/s: last chunk at %d ns, expected %.1f, error %.1f ns%n", rate, last - 1_000,
                    expectedNs, errorNs);
            assertTrue(errorNs <= 1.0, "pacing drifts by " + errorNs + " ns");
        }
    }

    @Test
    void shouldTakeALoneMessagesSizeOverTheRateOnAnIdleLinkLessOnlyTheBurst() {
        // 8 Mbit/s: one byte per microsecond; burst 1000 bytes (1 ms)
        LinkShaper shaper = new LinkShaper(8_000_000L, 0, 1000);
        long t0 = 1_000_000_000L; // idle for a second before
        long last = drive(shaper, 2, 50_000, t0);
        // 100 kB need 100 ms on the wire; the idle link lends at most the 1 ms burst
        assertEquals(99_000_000L, last - t0);
    }

    @Test
    void shouldNotBankCreditWhileIdleBeyondTheBurst() {
        LinkShaper shaper = new LinkShaper(8_000_000L, 0, 1000); // 1 byte per us, burst of 1000 bytes (1 ms)
        assertEquals(0, shaper.sendDelayNs(0, 1000));
        shaper.onSent(0, 1000);
        // Idle for a second: only the burst (1 ms) is credited, so one 1000-byte chunk leaves at once and the
        // next waits its full millisecond.
        long now = 1_000_000_000L;
        assertEquals(0, shaper.sendDelayNs(now, 1000));
        shaper.onSent(now, 1000);
        assertEquals(1_000_000, shaper.sendDelayNs(now, 1000));
    }

    @Test
    void shouldLetALateSenderCatchUpByTheBurstOnly() {
        LinkShaper shaper = LinkShaper.of(8_000_000L, 0); // burst: 2 ms = 2000 bytes
        drive(shaper, 10, 1000, 0); // busy: the link is booked until about 8 ms
        long late = 9_500_000L; // woke up 1.5 ms after it could have sent the next chunk
        assertEquals(0, shaper.sendDelayNs(late, 1000));
        shaper.onSent(late, 1000);
        // back on schedule: the next chunk leaves 1 ms after the late one's slot (9 ms), not 1 ms after it was sent
        assertEquals(500_000, shaper.sendDelayNs(late, 1000));
    }

    @Test
    void shouldNeverDelayAnUnlimitedLink() {
        LinkShaper shaper = LinkShaper.of(LinkShaper.UNLIMITED, 5);
        shaper.onSent(0, 1 << 20);
        assertEquals(0, shaper.sendDelayNs(0, 1 << 20));
        assertEquals(5, shaper.delayNs());
    }
}
