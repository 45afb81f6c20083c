package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import org.junit.jupiter.api.Test;

class LinkDelayTest {
    @Test
    void shouldHoldEveryMessageForTheLinkDelayAndKeepItsOrder() {
        long delayNs = 30_000_000L;
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(1 << 20));
                TensorArena arena = new TensorArena(MemoryAccount.root("delay"))) {
            TensorReceiver receiver = t.newIpcReceiver(70, LinkShaper.of(LinkShaper.UNLIMITED, delayNs), null);
            TensorSender sender = t.newIpcSender(70, null);
            long[] deliveredNs = new long[10];
            int[] steps = new int[10];
            int[] count = {0};
            TensorHandler handler = m -> {
                deliveredNs[count[0]] = System.nanoTime();
                steps[count[0]++] = m.step();
                receiver.release(m.tensor());
            };
            TransportTestSupport.awaitConnected(sender, receiver, handler, 10_000_000_000L);
            Tensor x = arena.allocate(Shape.of(20_000));
            long[] offeredNs = new long[10];
            for (int i = 0; i < 10; i++) {
                offeredNs[i] = System.nanoTime();
                while (sender.offer(FrameType.ACTIVATION, 0, 0, i, 0, x) < 0) {
                    receiver.poll(handler, 64);
                }
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (count[0] < 10) {
                sender.doWork();
                receiver.poll(handler, 64);
                TransportTestSupport.checkDeadline(deadline);
            }
            for (int i = 0; i < 10; i++) {
                assertEquals(i, steps[i]);
                long heldNs = deliveredNs[i] - offeredNs[i];
                assertTrue(heldNs >= delayNs, "message " + i + " arrived " + heldNs + " ns after its offer, before the delay");
            }
            System.out.printf("first message delivered %.1f ms after its offer (delay %d ms)%n",
                    (deliveredNs[0] - offeredNs[0]) / 1e6, delayNs / 1_000_000);
        }
    }
}
