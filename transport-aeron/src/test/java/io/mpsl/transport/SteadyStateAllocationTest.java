package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** After warm-up, sending and receiving allocate no heap bytes per message on the thread that does them. */
class SteadyStateAllocationTest {
    private static final class Releasing implements TensorHandler {
        TensorReceiver receiver;
        long delivered;

        @Override
        public void onTensor(TensorMessage message) {
            delivered++;
            receiver.release(message.tensor());
        }
    }

    private static long pump(TensorSender sender, TensorReceiver receiver, Releasing handler, Tensor[] tensors, int messages) {
        long target = handler.delivered + messages;
        int sent = 0;
        while (handler.delivered < target) {
            if (sent < messages && sender.offer(FrameType.GRADIENT, 1, 2, 3, sent & 3, tensors[sent % tensors.length]) >= 0) {
                sent++;
            }
            sender.doWork();
            receiver.poll(handler, 64);
        }
        return handler.delivered;
    }

    @Test
    void shouldAllocateNoHeapBytesPerMessageInTheSteadyState() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(1 << 20).crcEnabled(true));
                TensorArena arena = new TensorArena(MemoryAccount.root("alloc"))) {
            TensorReceiver receiver = t.newIpcReceiver(40, null, null);
            TensorSender sender = t.newIpcSender(40, null);
            Releasing handler = new Releasing();
            handler.receiver = receiver;
            TransportTestSupport.awaitConnected(sender, receiver, handler, 10_000_000_000L);
            // Small (claim path), one chunk, and multi-chunk tensors, of two dtypes' worth of shapes.
            Tensor[] tensors = {arena.allocate(Shape.of(4, 8)), arena.allocate(Shape.of(64, 256)), arena.allocate(Shape.of(3, 40_000))};
            pump(sender, receiver, handler, tensors, 5_000); // warm-up: pools, shape cache, JIT
            // A per-message allocation would show in every round; a one-off (a JIT deoptimisation) in one only.
            int messages = 1_000;
            long[] rounds = new long[5];
            long best = Long.MAX_VALUE;
            for (int r = 0; r < rounds.length && best != 0; r++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                pump(sender, receiver, handler, tensors, messages);
                rounds[r] = threads.getCurrentThreadAllocatedBytes() - before;
                best = Math.min(best, rounds[r]);
            }
            System.out.println("heap bytes allocated per round of " + messages + " messages: " + java.util.Arrays.toString(rounds));
            assertEquals(0, best, "every round of " + messages + " steady-state messages allocated heap bytes");
            assertEquals(0, receiver.metrics().rejectedTotal());
        }
    }
}
