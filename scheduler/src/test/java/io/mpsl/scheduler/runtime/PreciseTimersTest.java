package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class PreciseTimersTest {

    /** The calling thread's timer slack in ns as the kernel reports it (/proc/TID/timerslack_ns), or -1. */
    private static long slackNs() throws Exception {
        Path self = Files.readSymbolicLink(Path.of("/proc/thread-self")); // PID/task/TID
        Path file = Path.of("/proc", self.getFileName().toString(), "timerslack_ns");
        return Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : -1;
    }

    @Test
    void shouldGiveTheCallingThreadAOneNanosecondTimerSlackAndNoOtherThread() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/thread-self")), "needs Linux /proc");
        AtomicReference<long[]> seen = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                long before = slackNs();
                boolean applied = PreciseTimers.apply();
                seen.set(new long[] {before, applied ? 1 : 0, slackNs()});
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        t.join();
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
        long[] s = seen.get();
        assumeTrue(s[0] >= 0, "the kernel does not report a thread's timer slack");
        assertTrue(s[0] > 1, "a new thread starts with the default slack, got " + s[0]);
        assertEquals(1, s[1], "prctl(PR_SET_TIMERSLACK) failed");
        assertEquals(1, s[2]);
        assertTrue(slackNs() > 1, "the test's own thread keeps its slack");
    }
}
