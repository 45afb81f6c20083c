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

    /** An agent whose run waits, inside doWork, until released: to hold one agent's guard on one thread. */
    private static final class BlockingAgent implements Agent {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public int doWork() throws InterruptedException {
            entered.countDown();
            release.await();
            return 1;
        }

        @Override
        public String roleName() {
            return "blocking";
        }
    }

    private static AgentInvoker started(Agent agent) {
        AgentInvoker invoker = new AgentInvoker(Throwable::printStackTrace, null, agent);
        invoker.start();
        return invoker;
    }

    @Test
    void shouldLetAReceiverRunItsAgentWhileASenderHoldsTheSenderAgent() throws Exception {
        CountingAgent conductor = new CountingAgent();
        BlockingAgent sender = new BlockingAgent();
        CountingAgent receiver = new CountingAgent();
        DriverDuty duty = new DriverDuty(started(conductor), started(sender), started(receiver));
        Thread sending = new Thread(duty::invokeSender);
        sending.start();
        sender.entered.await();
        // The sender agent is busy on the other thread: the receiver's agent and the conductor still run here.
        assertEquals(2, duty.invokeForReceiver());
        assertEquals(1, receiver.runs);
        assertEquals(1, conductor.runs);
        assertEquals(1, duty.invokeForSender(), "the conductor alone should have run beside the busy sender agent");
        sender.release.countDown();
        sending.join();
        assertEquals(2, duty.invokeForSender(), "the sender agent and the conductor should both run once it is free");
    }

    @Test
    void shouldRunTheSenderAgentForAReceiverWhoseOwnAgentFoundNothing() {
        CountingAgent conductor = new CountingAgent();
        CountingAgent sender = new CountingAgent();
        Agent idleReceiver = new Agent() {
            @Override
            public int doWork() {
                return 0;
            }

            @Override
            public String roleName() {
                return "idle-receiver";
            }
        };
        DriverDuty duty = new DriverDuty(started(conductor), started(sender), started(idleReceiver));
        assertEquals(2, duty.invokeForReceiver());
        assertEquals(1, sender.runs, "frames left behind by a sender would wait for the driver thread");
    }

    @Test
    void shouldLeaveTheDriverThreadIdleWhileLinksRunTheAgents() {
        CountingAgent conductor = new CountingAgent();
        CountingAgent sender = new CountingAgent();
        CountingAgent receiver = new CountingAgent();
        long hourNs = 3_600_000_000_000L;
        DriverDuty recentlyRun = new DriverDuty(started(conductor), started(sender), started(receiver), hourNs);
        assertEquals(3, recentlyRun.invoke());
        assertEquals(0, recentlyRun.doWork(), "the driver thread ran agents that a link had just run");
        DriverDuty neverRun = new DriverDuty(started(new CountingAgent()), started(new CountingAgent()),
                started(new CountingAgent()), hourNs);
        assertEquals(3, neverRun.doWork(), "the driver thread left agents that no link ran");
        DriverDuty stale = new DriverDuty(started(new CountingAgent()), started(new CountingAgent()),
                started(new CountingAgent()), 0);
        assertEquals(3, stale.invoke());
        assertEquals(3, stale.doWork(), "the driver thread left agents whose last run is older than the window");
    }
}
