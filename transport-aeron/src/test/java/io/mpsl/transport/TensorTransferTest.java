package io.mpsl.transport;

import static io.mpsl.transport.TransportTestSupport.LOOPBACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TensorTransferTest {

    /** Element counts from 0 and 1 to 64 MiB of float32, including the sizes around a chunk boundary. */
    private static long[] elementCounts(int chunkBytes) {
        int chunkElements = chunkBytes / 4;
        return new long[] {0, 1, 3, 1000, chunkElements - 1, chunkElements, chunkElements + 1, 3L * chunkElements + 7,
                (1 << 18) + 5, 16L << 20};
    }

    private static Shape randomShape(long elements, SplittableRandom rnd) {
        if (elements % 8 == 0 && rnd.nextBoolean()) {
            return Shape.of(8, (int) (elements / 8));
        }
        if (elements % 4 == 0 && rnd.nextBoolean()) {
            return Shape.of(2, 2, (int) (elements / 4));
        }
        return Shape.of((int) elements);
    }

    private static void fillRandomBits(Tensor t, SplittableRandom rnd) {
        for (long i = 0; i < t.size(); i++) {
            t.segment().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i, rnd.nextInt());
        }
    }

    private static void assertTransfersBitExact(Transport transport, TensorSender sender, TensorReceiver receiver) {
        SplittableRandom rnd = new SplittableRandom(7);
        TransportTestSupport.Collector collector = new TransportTestSupport.Collector();
        TransportTestSupport.awaitConnected(sender, receiver, collector, 10_000_000_000L);
        try (TensorArena arena = new TensorArena(MemoryAccount.root("sender"))) {
            int step = 0;
            for (long n : elementCounts(sender.chunkBytes())) {
                DType dtype = (step % 2 == 0) ? DType.F32 : DType.I32;
                Tensor sent = arena.allocate(randomShape(n, rnd), dtype);
                fillRandomBits(sent, rnd);
                TensorMessage m = TransportTestSupport.sendAndReceive(sender, receiver, collector, FrameType.ACTIVATION,
                        3, 1, step, step % 4, sent);
                Tensor got = m.tensor();
                assertEquals(sent.shape(), got.shape());
                assertSame(dtype, got.dtype());
                long mismatch = sent.segment().mismatch(got.segment());
                System.out.printf("%s: %d elements %s %s, first mismatching byte %d%n", transport.context().threadingMode(),
                        n, got.shape(), dtype, mismatch);
                assertEquals(-1, mismatch, "received bytes differ from the sent ones");
                assertEquals(3, m.participant());
                assertEquals(step, m.step());
                assertEquals(step % 4, m.microBatch());
                assertSame(FrameType.ACTIVATION, m.type());
                receiver.release(got);
                step++;
            }
        }
        assertEquals(0, receiver.metrics().rejectedTotal(), receiver.metrics().toString());
        assertEquals(0, receiver.outstandingTensors());
    }

    @Test
    void shouldDeliverRandomTensorsBitExactOverUdp() {
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(64L << 20).crcEnabled(true))) {
            int port = TransportTestSupport.freePort();
            TensorReceiver receiver = t.newUdpReceiver(LOOPBACK, port, 10, null, null);
            TensorSender sender = t.newUdpSender(LOOPBACK, port, 10, null);
            assertTransfersBitExact(t, sender, receiver);
        }
    }

    @Test
    void shouldDeliverRandomTensorsBitExactOverIpc() {
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(64L << 20))) {
            TensorReceiver receiver = t.newIpcReceiver(11, null, null);
            TensorSender sender = t.newIpcSender(11, null);
            assertTransfersBitExact(t, sender, receiver);
        }
    }

    @Test
    void shouldDeliverBitExactWithACooperativeDriverOverUdpAndIpc() {
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(64L << 20)
                .threadingMode(io.aeron.driver.ThreadingMode.INVOKER).cooperativeDriver(true))) {
            assertTrue(t.context().cooperativeDriver());
            // The driver's agents are run by the links' threads and one parking duty thread, not by threads of
            // the driver's own: those it was given end at once.
            for (String role : new String[] {"driver-conductor", "sender", "receiver"}) {
                assertTrue(awaitNoLiveThread(role), "a driver thread '" + role + "' is running its agent");
            }
            int port = TransportTestSupport.freePort();
            assertTransfersBitExact(t, t.newUdpSender(LOOPBACK, port, 13, null), t.newUdpReceiver(LOOPBACK, port, 13, null, null));
            assertTransfersBitExact(t, t.newIpcSender(14, null), t.newIpcReceiver(14, null, null));
        }
    }

    @Test
    void shouldDeliverBitExactWithASharedDriverThread() {
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(64L << 20)
                .threadingMode(io.aeron.driver.ThreadingMode.SHARED))) {
            assertFalse(t.context().cooperativeDriver());
            assertTransfersBitExact(t, t.newIpcSender(15, null), t.newIpcReceiver(15, null, null));
        }
    }

    @Test
    void shouldRunWithoutDriverThreadsWhenTheCallerInvokesTheDriver() {
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(1 << 20)
                .threadingMode(io.aeron.driver.ThreadingMode.INVOKER));
                TensorArena arena = new TensorArena(MemoryAccount.root("invoker"))) {
            TensorReceiver receiver = t.newIpcReceiver(12, null, null);
            TensorSender sender = t.newIpcSender(12, null);
            TransportTestSupport.Collector collector = new TransportTestSupport.Collector();
            Tensor sent = arena.allocate(Shape.of(3, 80_000));
            fillRandomBits(sent, new SplittableRandom(3));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!sender.isConnected()) {
                t.doDriverWork();
                TransportTestSupport.checkDeadline(deadline);
            }
            for (int i = 0; i < 5; i++) {
                while (sender.offer(FrameType.WEIGHTS, 0, i, 0, 0, sent) < 0) {
                    t.doDriverWork();
                    receiver.poll(collector, 64);
                    TransportTestSupport.checkDeadline(deadline);
                }
            }
            while (collector.messages.size() < 5) {
                t.doDriverWork();
                sender.doWork();
                receiver.poll(collector, 64);
                TransportTestSupport.checkDeadline(deadline);
            }
            for (TensorMessage m : collector.messages) {
                assertEquals(-1, sent.segment().mismatch(m.tensor().segment()));
            }
        }
    }

    /** Whether no live thread has this name, waiting up to 10 s for one that is ending. */
    private static boolean awaitNoLiveThread(String name) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            boolean found = false;
            for (Thread th : Thread.getAllStackTraces().keySet()) {
                found |= th.isAlive() && th.getName().equals(name);
            }
            if (!found) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
        }
    }
}
