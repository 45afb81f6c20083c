package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import org.junit.jupiter.api.Test;

class BackPressureTest {
    @Test
    void shouldAnswerQueueFullWhenTheReceiverDoesNotKeepUpAndThenDeliverEverythingInOrder() {
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(1 << 20).sendQueueCapacity(2));
                TensorArena arena = new TensorArena(MemoryAccount.root("bp"))) {
            TensorReceiver receiver = t.newIpcReceiver(50, null, null);
            TensorSender sender = t.newIpcSender(50, null);
            TransportTestSupport.Collector collector = new TransportTestSupport.Collector();
            TransportTestSupport.awaitConnected(sender, receiver, collector, 10_000_000_000L);
            Tensor x = arena.allocate(Shape.of(1 << 18)); // 1 MiB: the term's window holds less than two of them
            int accepted = 0;
            long result;
            while ((result = sender.offer(FrameType.ACTIVATION, 0, 0, accepted, 0, x)) >= 0) {
                assertEquals(accepted, result);
                accepted++;
                assertTrue(accepted < 100, "the sender buffered without bound");
            }
            assertEquals(TensorSender.QUEUE_FULL, result);
            assertTrue(sender.metrics().backPressureEvents() > 0);
            System.out.println("accepted " + accepted + " messages before QUEUE_FULL; " + sender.metrics());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (collector.messages.size() < accepted) {
                sender.doWork();
                receiver.poll(collector, 64);
                TransportTestSupport.checkDeadline(deadline);
            }
            for (int i = 0; i < accepted; i++) {
                TensorMessage m = collector.messages.poll();
                assertEquals(i, m.step());
                assertEquals(i, m.sequence());
                receiver.release(m.tensor());
            }
        }
    }

    @Test
    void shouldStopReadingAtTheMemoryLimitUntilTheApplicationReleasesTensors() {
        long tensorBytes = 256 << 10;
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(tensorBytes).receiverMemoryBytes(2 * tensorBytes));
                TensorArena arena = new TensorArena(MemoryAccount.root("cap"))) {
            MemoryAccount account = MemoryAccount.root("receiver");
            TensorReceiver receiver = t.newIpcReceiver(51, null, account);
            TensorSender sender = t.newIpcSender(51, null);
            TransportTestSupport.Collector collector = new TransportTestSupport.Collector();
            TransportTestSupport.awaitConnected(sender, receiver, collector, 10_000_000_000L);
            Tensor x = arena.allocate(Shape.of((int) (tensorBytes / 4)));
            for (int i = 0; i < 3; i++) {
                assertTrue(sender.offer(FrameType.WEIGHTS, 0, 0, i, 0, x) >= 0);
            }
            // The application keeps what it gets: only two tensors fit in the receiver's memory.
            long deadline0 = System.nanoTime() + 30_000_000_000L;
            while (collector.messages.size() < 2 || receiver.metrics().backPressureEvents() < 1000) {
                sender.doWork();
                receiver.poll(collector, 64);
                TransportTestSupport.checkDeadline(deadline0);
            }
            assertEquals(2, collector.messages.size());
            assertTrue(receiver.pooledBytes() <= 2 * tensorBytes);
            assertTrue(account.peakBytes() <= 2 * tensorBytes, "peak " + account.peakBytes());
            assertTrue(receiver.metrics().backPressureEvents() > 0);
            assertEquals(0, receiver.metrics().rejectedTotal(), "nothing is dropped for being held up");
            receiver.release(collector.messages.poll().tensor());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (collector.messages.size() < 2) {
                sender.doWork();
                receiver.poll(collector, 64);
                TransportTestSupport.checkDeadline(deadline);
            }
            assertEquals(2, collector.messages.peekLast().step(), "the third tensor arrives once memory is free");
            System.out.println(receiver.metrics() + ", receiver peak " + account.peakBytes() + " bytes");
        }
    }
}
