package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aeron.ExclusivePublication;
import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Throws random and mutated frames at a live receiver through a raw Aeron publication; each must be rejected
 * with the reason of the one thing wrong with it, and the receiver must then still deliver a valid tensor.
 */
class FrameFuzzTest {
    private static final int H = FrameHeaderFlyweight.HEADER_LENGTH;
    private static final int INNER = 16; // expected ACTIVATION shape: (-1, 16)
    private static final long MAX_MESSAGE_BYTES = 1 << 20;

    private final SplittableRandom rnd = new SplittableRandom();
    private final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(4 << 20));
    private final FrameHeaderFlyweight h = new FrameHeaderFlyweight();

    /** A valid single-chunk ACTIVATION frame of shape (rows, 16), with CRC; returns its length. */
    private int validFrame(int rows) {
        int payload = rows * INNER * 4;
        for (int i = 0; i < payload; i++) {
            frame.putByte(H + i, (byte) rnd.nextInt());
        }
        h.wrap(frame, 0).init().frameType(FrameType.ACTIVATION).dtype(DType.F32).rank(2).dim(0, rows).dim(1, INNER)
                .flags(FrameHeaderFlyweight.FLAG_CRC).participant(1).runId(TransportTestSupport.RUN_ID)
                .sessionToken(TransportTestSupport.TOKEN).round(0).step(0).microBatch(0).sequence(rnd.nextInt())
                .chunkIndex(0).chunkCount(1).byteOffset(0).payloadLength(payload)
                .payloadCrc(Crc32cChecksum.compute(frame.addressOffset() + H, payload)).timestampNs(System.nanoTime());
        return H + payload;
    }

    /** Builds one bad frame; returns its length and stores the reason it must be rejected for in {@code expected[0]}. */
    private int badFrame(RejectReason[] expected, int maxPayload, int maxMessage) {
        int rows = 1 + rnd.nextInt(64);
        int kind = rnd.nextInt(16);
        switch (kind) {
            case 0 -> {
                int len = rnd.nextInt(H);
                for (int i = 0; i < len; i++) {
                    frame.putByte(i, (byte) rnd.nextInt());
                }
                expected[0] = RejectReason.TRUNCATED;
                return len;
            }
            case 1 -> {
                int len = H + rnd.nextInt(2 * H);
                for (int i = 0; i < len; i++) {
                    frame.putByte(i, (byte) rnd.nextInt());
                }
                int magic = rnd.nextInt();
                h.wrap(frame, 0).magic(magic == FrameHeaderFlyweight.MAGIC ? magic + 1 : magic);
                expected[0] = RejectReason.BAD_MAGIC;
                return len;
            }
            case 2 -> {
                int len = validFrame(rows);
                h.version(2 + rnd.nextInt(254));
                expected[0] = RejectReason.WRONG_VERSION;
                return len;
            }
            case 3 -> {
                int len = validFrame(rows);
                h.frameTypeCode(rnd.nextBoolean() ? 0 : FrameType.MAX_CODE + 1 + rnd.nextInt(255 - FrameType.MAX_CODE));
                expected[0] = RejectReason.UNKNOWN_TYPE;
                return len;
            }
            case 4 -> {
                int len = validFrame(rows);
                if (rnd.nextBoolean()) {
                    h.sessionToken(TransportTestSupport.TOKEN ^ (1L << rnd.nextInt(64)));
                } else {
                    h.runId(TransportTestSupport.RUN_ID + 1 + rnd.nextInt(1000));
                }
                expected[0] = RejectReason.WRONG_TOKEN;
                return len;
            }
            case 5 -> {
                int len = validFrame(rows);
                h.dtypeCode(rnd.nextBoolean() ? 0 : 3 + rnd.nextInt(253));
                expected[0] = RejectReason.UNKNOWN_DTYPE;
                return len;
            }
            case 6 -> {
                int len = validFrame(rows);
                if (rnd.nextBoolean()) {
                    h.rank(FrameHeaderFlyweight.MAX_RANK + 1 + rnd.nextInt(200));
                } else {
                    h.dim(rnd.nextInt(2), -1 - rnd.nextInt(Integer.MAX_VALUE));
                }
                expected[0] = RejectReason.BAD_SHAPE;
                return len;
            }
            case 7 -> {
                int len = validFrame(rows);
                h.dim(0, (int) (MAX_MESSAGE_BYTES / (INNER * 4)) + 1 + rnd.nextInt(Integer.MAX_VALUE / 2));
                expected[0] = RejectReason.OVERSIZED;
                return len;
            }
            case 8 -> {
                int len = validFrame(rows);
                if (rnd.nextBoolean()) {
                    h.dim(1, INNER + 1 + rnd.nextInt(100));
                } else {
                    h.rank(rnd.nextBoolean() ? 1 : 3).dim(2, 1);
                }
                expected[0] = RejectReason.WRONG_SHAPE;
                return len;
            }
            case 9 -> {
                int len = validFrame(rows);
                h.payloadLength(h.payloadLength() + 1 + rnd.nextInt(1000));
                expected[0] = RejectReason.TRUNCATED;
                return len;
            }
            case 10 -> {
                int len = validFrame(rows);
                int cut = 1 + rnd.nextInt(Math.min(64, len - H));
                h.payloadLength(h.payloadLength() - cut);
                expected[0] = RejectReason.BAD_LENGTH;
                return len;
            }
            case 11 -> {
                int len = validFrame(rows);
                switch (rnd.nextInt(4)) {
                    case 0 -> h.chunkCount(0);
                    case 1 -> h.chunkIndex(1 + rnd.nextInt(10)).chunkCount(1);
                    case 2 -> h.chunkCount(2); // first of two, yet it fills the tensor
                    default -> h.byteOffset(4 + rnd.nextInt(100) * 4L); // first chunk not at 0
                }
                expected[0] = RejectReason.BAD_CHUNK;
                return len;
            }
            case 12 -> {
                int len = validFrame(rows);
                int at = H + rnd.nextInt(len - H);
                frame.putByte(at, (byte) (frame.getByte(at) ^ (1 << rnd.nextInt(8))));
                expected[0] = RejectReason.BAD_CRC;
                return len;
            }
            case 13 -> {
                // A valid-looking second chunk of a two-chunk message that never began.
                int len = validFrame(rows);
                int half = h.payloadLength();
                h.dim(0, 2 * rows).chunkIndex(1).chunkCount(2).byteOffset(half);
                expected[0] = RejectReason.UNEXPECTED_CHUNK;
                return len;
            }
            case 14 -> {
                if (rnd.nextInt(100) == 0) {
                    int len = maxPayload + 1 + rnd.nextInt(maxMessage - maxPayload);
                    expected[0] = RejectReason.OVERSIZED_FRAME;
                    return len;
                }
                int len = validFrame(rows);
                h.magic(0);
                expected[0] = RejectReason.BAD_MAGIC;
                return len;
            }
            default -> {
                // Valid header fields, random payload bytes, stale CRC.
                int len = validFrame(rows);
                h.payloadCrc(~h.payloadCrc());
                expected[0] = RejectReason.BAD_CRC;
                return len;
            }
        }
    }

    @Test
    void shouldRejectEveryBadFrameWithItsReasonAndStillDeliverAValidTensor() {
        int frames = 100_000;
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(MAX_MESSAGE_BYTES)
                .receiverMemoryBytes(4 * MAX_MESSAGE_BYTES).rejectLogIntervalNs(2_000_000_000L));
                TensorArena arena = new TensorArena(MemoryAccount.root("fuzz"))) {
            TensorReceiver receiver = t.newIpcReceiver(20, null, null).expectShape(FrameType.ACTIVATION, -1, INNER);
            ExclusivePublication raw = t.aeron().addExclusivePublication(t.ipcPublicationChannel(), 20);
            TransportTestSupport.Collector collector = new TransportTestSupport.Collector();
            while (!raw.isConnected()) {
                receiver.poll(collector, 10);
                Thread.yield();
            }
            Map<RejectReason, Long> expectedCounts = new EnumMap<>(RejectReason.class);
            RejectReason[] expected = new RejectReason[1];
            long deadline = System.nanoTime() + 120_000_000_000L;
            for (int i = 0; i < frames; i++) {
                int len = badFrame(expected, raw.maxPayloadLength(), raw.maxMessageLength());
                expectedCounts.merge(expected[0], 1L, Long::sum);
                while (raw.offer(frame, 0, len) < 0) {
                    receiver.poll(collector, 256);
                    TransportTestSupport.checkDeadline(deadline);
                }
                if ((i & 63) == 0) {
                    receiver.poll(collector, 256);
                }
            }
            while (receiver.metrics().rejectedTotal() < frames) {
                if (receiver.poll(collector, 256) == 0) {
                    Thread.yield();
                }
                TransportTestSupport.checkDeadline(deadline);
            }
            System.out.println("expected " + expectedCounts);
            System.out.println("receiver " + receiver.metrics());
            for (RejectReason r : RejectReason.values()) {
                assertEquals(expectedCounts.getOrDefault(r, 0L), receiver.metrics().rejected(r), "frames rejected for " + r);
            }
            assertEquals(0, collector.messages.size(), "a bad frame was delivered");
            assertEquals(0, receiver.outstandingTensors(), "a bad frame kept a tensor");
            assertEquals(RejectReason.values().length - 4, expectedCounts.size(), "every kind of single bad frame was sent");

            // The receiver still works: a multi-chunk tensor from a proper sender arrives intact.
            TensorSender sender = t.newIpcSender(20, null);
            Tensor sent = arena.allocate(Shape.of(5000, INNER), DType.F32);
            for (long i = 0; i < sent.size(); i++) {
                sent.set(i, (float) rnd.nextGaussian());
            }
            TransportTestSupport.awaitConnected(sender, receiver, collector, 10_000_000_000L);
            TensorMessage m = TransportTestSupport.sendAndReceive(sender, receiver, collector, FrameType.ACTIVATION, 1, 2, 3, 0, sent);
            assertEquals(sent.shape(), m.tensor().shape());
            assertEquals(-1, sent.segment().mismatch(m.tensor().segment()));
            assertEquals(frames, receiver.metrics().rejectedTotal());
        }
    }

    @Test
    void shouldNeverDeliverInterleavedOrOutOfOrderChunks() {
        try (Transport t = Transport.launch(TransportTestSupport.context().maxMessageBytes(MAX_MESSAGE_BYTES))) {
            TensorReceiver receiver = t.newIpcReceiver(21, null, null);
            ExclusivePublication raw = t.aeron().addExclusivePublication(t.ipcPublicationChannel(), 21);
            TransportTestSupport.Collector collector = new TransportTestSupport.Collector();
            while (!raw.isConnected()) {
                receiver.poll(collector, 10);
                Thread.yield();
            }
            // Message A: three chunks of 64 bytes of shape (3, 16) -> total 192 bytes; chunks built from a valid frame.
            int len = validFrame(1); // (1, 16): 64 payload bytes
            h.dim(0, 3).chunkCount(3).sequence(100).flags(0);
            offer(raw, receiver, collector, len); // A0
            h.chunkIndex(1).byteOffset(64).sequence(101);
            offer(raw, receiver, collector, len); // chunk of another message while A is in progress
            h.chunkIndex(0).byteOffset(0).sequence(102);
            offer(raw, receiver, collector, len); // B0
            h.chunkIndex(2).byteOffset(128).sequence(102);
            offer(raw, receiver, collector, len); // B2 before B1
            h.chunkIndex(0).byteOffset(0).sequence(103);
            offer(raw, receiver, collector, len); // C0
            h.chunkIndex(1).byteOffset(64).sequence(103).step(9);
            offer(raw, receiver, collector, len); // C1 claiming another step
            h.chunkIndex(0).byteOffset(0).sequence(104).step(0);
            offer(raw, receiver, collector, len); // D0
            h.chunkIndex(1).byteOffset(64).sequence(104);
            offer(raw, receiver, collector, len); // D1
            h.dim(0, 1).chunkIndex(0).chunkCount(1).byteOffset(0).sequence(105);
            offer(raw, receiver, collector, len); // E: a whole message, abandoning D
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (collector.messages.isEmpty()) {
                receiver.poll(collector, 16);
                TransportTestSupport.checkDeadline(deadline);
            }
            LinkMetrics m = receiver.metrics();
            System.out.println(m);
            assertEquals(1, m.rejected(RejectReason.MIXED_CHUNK));
            assertEquals(2, m.rejected(RejectReason.INCONSISTENT_CHUNK));
            assertEquals(4, m.rejected(RejectReason.INCOMPLETE), "A, B, C and D were abandoned");
            assertEquals(1, collector.messages.size());
            assertEquals(105, collector.messages.peek().sequence());
            assertEquals(Shape.of(1, INNER), collector.messages.peek().tensor().shape());
            receiver.release(collector.messages.poll().tensor());
            assertEquals(0, receiver.outstandingTensors());
        }
    }

    private void offer(ExclusivePublication raw, TensorReceiver receiver, TensorHandler handler, int len) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (raw.offer(frame, 0, len) < 0) {
            receiver.poll(handler, 16);
            TransportTestSupport.checkDeadline(deadline);
        }
    }
}
