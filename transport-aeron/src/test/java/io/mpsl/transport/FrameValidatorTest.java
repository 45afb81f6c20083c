package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.mpsl.tensor.DType;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class FrameValidatorTest {
    private static final int H = FrameHeaderFlyweight.HEADER_LENGTH;

    /** Writes a valid one-chunk frame of {@code elements} floats with its CRC at {@code offset}; returns its length. */
    private static int frame(UnsafeBuffer b, int offset, int elements, SplittableRandom rnd) {
        byte[] payload = new byte[elements * 4];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) rnd.nextInt();
        }
        b.putBytes(offset + H, payload);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        new FrameHeaderFlyweight().wrap(b, offset).init().frameType(FrameType.LABELS).dtype(DType.F32).rank(1).dim(0, elements)
                .flags(FrameHeaderFlyweight.FLAG_CRC).runId(5).sessionToken(6).chunkCount(1).payloadLength(payload.length)
                .payloadCrc((int) crc.getValue());
        return H + payload.length;
    }

    @Test
    void shouldCheckTheCrcOfFramesInHeapAndInDirectBuffers() {
        SplittableRandom rnd = new SplittableRandom();
        FrameValidator v = new FrameValidator(5, 6, 1 << 20);
        UnsafeBuffer[] buffers = {new UnsafeBuffer(new byte[8192]), new UnsafeBuffer(ByteBuffer.allocateDirect(8192))};
        for (UnsafeBuffer b : buffers) {
            int offset = 8 * rnd.nextInt(100);
            int len = frame(b, offset, 1 + rnd.nextInt(1000), rnd);
            assertNull(v.validate(b, offset, len), "valid frame in " + (b.byteArray() != null ? "heap" : "direct") + " buffer");
            assertEquals(len - H, v.totalBytes());
            int at = offset + H + rnd.nextInt(len - H);
            b.putByte(at, (byte) ~b.getByte(at));
            assertEquals(RejectReason.BAD_CRC, v.validate(b, offset, len));
        }
    }

    @Test
    void shouldAcceptZeroElementTensorsAndRejectHugeProductsWithoutOverflow() {
        FrameValidator v = new FrameValidator(5, 6, 1 << 20);
        UnsafeBuffer b = new UnsafeBuffer(new byte[H]);
        FrameHeaderFlyweight h = new FrameHeaderFlyweight().wrap(b, 0).init().frameType(FrameType.CONTROL).dtype(DType.I32)
                .rank(3).dim(0, Integer.MAX_VALUE).dim(1, Integer.MAX_VALUE).dim(2, 0).runId(5).sessionToken(6).chunkCount(1);
        assertNull(v.validate(b, 0, H), "(max, max, 0) has no elements");
        h.dim(2, Integer.MAX_VALUE);
        assertEquals(RejectReason.OVERSIZED, v.validate(b, 0, H));
    }
}
