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
            now += shaper.sendDelayNs(now);
            assertEquals(0, shaper.sendDelayNs(now));
            shaper.onSent(now, chunkBytes);
            last = now;
        }
        return last;
    }

    @Test
    void shouldPaceChunksToTheRateExactlyOverTheLongRun() {
        for (long rate : new long[] {10_000_000L, 100_000_000L, 1_000_000_000L, 3_000_000_001L}) {
            LinkShaper shaper = LinkShaper.of(rate, 0);
            int chunks = 10_000;
            int bytes = 65_456;
            long last = drive(shaper, chunks, bytes, 1_000);
            // Chunk i leaves at i * bytes * 8 / rate seconds: the last one after (chunks - 1) chunks' worth.
            double expectedNs = (chunks - 1) * (double) bytes * 8e9 / rate;
            double errorNs = Math.abs((last - 1_000) - expectedNs);
            System.out.printf("rate %d bit/s: last chunk at %d ns, expected %.1f, error %.1f ns%n", rate, last - 1_000, expectedNs, errorNs);
            assertTrue(errorNs <= 1.0, "pacing drifts by " + errorNs + " ns");
        }
    }

    @Test
    void shouldNotBankCreditWhileIdleBeyondTheBurst() {
        LinkShaper shaper = new LinkShaper(8_000_000L, 0, 1000); // 1 byte per us, burst of 1000 bytes (1 ms)
        shaper.onSent(0, 1000);
        assertEquals(1_000_000, shaper.sendDelayNs(0));
        // Idle for a second: only the burst (1 ms) is credited, so after one 1000-byte chunk the next waits.
        long now = 1_000_000_000L;
        assertEquals(0, shaper.sendDelayNs(now));
        shaper.onSent(now, 1000);
        assertEquals(0, shaper.sendDelayNs(now));
        shaper.onSent(now, 1000);
        assertEquals(1_000_000, shaper.sendDelayNs(now));
    }

    @Test
    void shouldNeverDelayAnUnlimitedLink() {
        LinkShaper shaper = LinkShaper.of(LinkShaper.UNLIMITED, 5);
        shaper.onSent(0, 1 << 20);
        assertEquals(0, shaper.sendDelayNs(0));
        assertEquals(5, shaper.delayNs());
    }
}
