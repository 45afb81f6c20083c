package io.mpsl.transport;

import io.mpsl.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.ArrayDeque;

/** Shared pieces of the transport tests: loopback ports, contexts, a collecting handler, pumping loops. */
final class TransportTestSupport {
    static final String LOOPBACK = "127.0.0.1";
    static final long RUN_ID = 42;
    static final long TOKEN = 0x5EC12E7L;

    private TransportTestSupport() {
    }

    /** A UDP port free on the loopback interface now. */
    static int freePort() {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName(LOOPBACK))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TransportContext context() {
        return new TransportContext().runId(RUN_ID).sessionToken(TOKEN);
    }

    /** Collects delivered messages (copies of the reused message objects) and lost peers. */
    static final class Collector implements TensorHandler {
        final ArrayDeque<TensorMessage> messages = new ArrayDeque<>();
        int lostPeers;

        @Override
        public void onTensor(TensorMessage message) {
            TensorMessage copy = new TensorMessage();
            copy.copyFrom(message);
            messages.add(copy);
        }

        @Override
        public void onPeerLost(int sessionId, String sourceIdentity) {
            lostPeers++;
        }
    }

    /** Waits (pumping both ends) until the sender is connected; fails after {@code timeoutNs}. */
    static void awaitConnected(TensorSender sender, TensorReceiver receiver, TensorHandler handler, long timeoutNs) {
        long deadline = System.nanoTime() + timeoutNs;
        while (!sender.isConnected()) {
            receiver.poll(handler, 16);
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("sender did not connect to the receiver within " + timeoutNs / 1_000_000 + " ms");
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Offers {@code tensor} and pumps both ends until {@code collector} holds one more message. */
    static TensorMessage sendAndReceive(TensorSender sender, TensorReceiver receiver, Collector collector, FrameType type,
            int participant, int round, int step, int microBatch, Tensor tensor) {
        int before = collector.messages.size();
        long seq;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while ((seq = sender.offer(type, participant, round, step, microBatch, tensor)) < 0) {
            if (seq == TensorSender.PEER_LOST || seq == TensorSender.CLOSED) {
                throw new AssertionError("offer failed: " + seq);
            }
            receiver.poll(collector, 64);
            checkDeadline(deadline);
        }
        while (collector.messages.size() == before) {
            int work = sender.doWork() + receiver.poll(collector, 64);
            if (work == 0) {
                Thread.yield();
            }
            checkDeadline(deadline);
        }
        return collector.messages.pollLast();
    }

    static void checkDeadline(long deadlineNs) {
        if (System.nanoTime() - deadlineNs > 0) {
            throw new AssertionError("no progress before the test's deadline");
        }
    }
}
