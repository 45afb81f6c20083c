package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import org.junit.jupiter.api.Test;

class SessionTokenTest {
    @Test
    void shouldIgnoreFramesOfAnotherRunsTokenOnAnExternalDriver() {
        try (Transport ours = Transport.launch(TransportTestSupport.context().maxMessageBytes(1 << 20));
                // Another run's process, attached to our driver as an external one.
                Transport theirs = Transport.launch(new TransportContext().runId(TransportTestSupport.RUN_ID)
                        .sessionToken(TransportTestSupport.TOKEN + 1).maxMessageBytes(1 << 20).embeddedDriver(false)
                        .aeronDirectoryName(ours.context().aeronDirectoryName()));
                TensorArena arena = new TensorArena(MemoryAccount.root("token"))) {
            TensorReceiver receiver = ours.newIpcReceiver(60, null, null);
            TensorSender intruder = theirs.newIpcSender(60, null);
            TransportTestSupport.Collector collector = new TransportTestSupport.Collector();
            TransportTestSupport.awaitConnected(intruder, receiver, collector, 10_000_000_000L);
            Tensor x = arena.allocate(Shape.of(100_000)); // 7 chunks
            for (int i = 0; i < 5; i++) {
                while (intruder.offer(FrameType.GRADIENT, 0, 0, i, 0, x) < 0) {
                    receiver.poll(collector, 64);
                }
            }
            long frames = 5L * ((x.byteSize() + intruder.chunkBytes() - 1) / intruder.chunkBytes());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (receiver.metrics().rejected(RejectReason.WRONG_TOKEN) < frames) {
                intruder.doWork();
                receiver.poll(collector, 64);
                TransportTestSupport.checkDeadline(deadline);
            }
            assertEquals(0, collector.messages.size(), "a frame with another run's token was delivered");
            assertEquals(frames, receiver.metrics().rejectedTotal());

            TensorSender friend = ours.newIpcSender(60, null);
            TransportTestSupport.awaitConnected(friend, receiver, collector, 10_000_000_000L);
            TensorMessage m = TransportTestSupport.sendAndReceive(friend, receiver, collector, FrameType.GRADIENT, 0, 0, 9, 0, x);
            assertEquals(9, m.step());
            assertEquals(-1, x.segment().mismatch(m.tensor().segment()));
            System.out.println(receiver.metrics());
        }
    }
}
