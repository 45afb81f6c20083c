package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.junit.jupiter.api.Test;

class DriverDutyTest {
    /** An agent that counts its runs in a plain field and records whether two threads ever ran it at once. */
    private static final class CountingAgent implements Agent {
        final AtomicInteger inside = new AtomicInteger();
        volatile boolean overlapped;
        long runs; // plain: only correct if every run sees the previous run's write

        @Override
        public int doWork() {
            if (inside.incrementAndGet() != 1) {
                overlapped = true;
            }
            runs++;
            Thread.onSpinWait();
            inside.decrementAndGet();
            return 1;
        }

        @Override
        public String roleName() {
            return "counting";
        }
    }

    @Test
    void shouldRunTheDriverOnOneThreadAtATimeAndLoseNoRun() throws Exception {
        CountingAgent agent = new CountingAgent();
        AgentInvoker invoker = new AgentInvoker(Throwable::printStackTrace, null, agent);
        invoker.start();
        DriverDuty duty = new DriverDuty(invoker);
        int threads = 4;
        int attempts = 200_000;
        AtomicInteger done = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                int mine = 0;
                for (int i = 0; i < attempts; i++) {
                    mine += duty.invoke();
                }
                done.addAndGet(mine);
            });
            workers[t].start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        System.out.printf("%d of %d attempts ran the agent; overlapped=%b%n", done.get(), threads * attempts, agent.overlapped);
        assertTrue(!agent.overlapped, "two threads ran the driver's agents at once");
        assertEquals(done.get(), agent.runs, "a run did not see the previous run's writes, or a run was not counted");
        assertTrue(done.get() > 0, "no thread ever ran the driver");
    }

    @Test
    void shouldAlwaysRunForALoneThreadAndNothingOnceStopped() {
        CountingAgent agent = new CountingAgent();
        AgentInvoker invoker = new AgentInvoker(Throwable::printStackTrace, null, agent);
        invoker.start();
        DriverDuty duty = new DriverDuty(invoker);
        for (int i = 0; i < 1000; i++) {
            assertEquals(1, duty.invoke(), "a lone thread was refused the driver");
        }
        duty.stop();
        assertEquals(0, duty.invoke());
        assertEquals(0, duty.doWork());
        assertEquals(1000, agent.runs);
    }
}
