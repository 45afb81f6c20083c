package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.mpsl.tensor.DType;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class FrameHeaderFlyweightTest {
    @Test
    void shouldReadBackEveryFieldItWrote() {
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[FrameHeaderFlyweight.HEADER_LENGTH + 16]);
        FrameHeaderFlyweight h = new FrameHeaderFlyweight().wrap(buffer, 8).init();
        h.frameType(FrameType.GRADIENT).dtype(DType.I32).rank(3).flags(FrameHeaderFlyweight.FLAG_CRC).participant(-7)
                .runId(0x0102030405060708L).sessionToken(-2L).round(11).step(12).microBatch(13).sequence(14)
                .chunkIndex(15).chunkCount(16).byteOffset(1L << 40).payloadLength(65_344).payloadCrc(0xCAFEBABE)
                .timestampNs(Long.MAX_VALUE - 1).dim(0, 4).dim(1, 5).dim(2, 6);
        FrameHeaderFlyweight r = new FrameHeaderFlyweight().wrap(buffer, 8);
        assertEquals(FrameHeaderFlyweight.MAGIC, r.magic());
        assertEquals(FrameHeaderFlyweight.CURRENT_VERSION, r.version());
        assertSame(FrameType.GRADIENT, FrameType.fromCode(r.frameTypeCode()));
        assertSame(DType.I32, FrameHeaderFlyweight.dtype(r.dtypeCode()));
        assertEquals(3, r.rank());
        assertEquals(FrameHeaderFlyweight.FLAG_CRC, r.flags());
        assertEquals(-7, r.participant());
        assertEquals(0x0102030405060708L, r.runId());
        assertEquals(-2L, r.sessionToken());
        assertEquals(11, r.round());
        assertEquals(12, r.step());
        assertEquals(13, r.microBatch());
        assertEquals(14, r.sequence());
        assertEquals(15, r.chunkIndex());
        assertEquals(16, r.chunkCount());
        assertEquals(1L << 40, r.byteOffset());
        assertEquals(65_344, r.payloadLength());
        assertEquals(0xCAFEBABE, r.payloadCrc());
        assertEquals(Long.MAX_VALUE - 1, r.timestampNs());
        assertEquals(4, r.dim(0));
        assertEquals(5, r.dim(1));
        assertEquals(6, r.dim(2));
        assertEquals(0, r.dim(7));
        // Nothing spilled outside the header.
        for (int i = 0; i < 8; i++) {
            assertEquals(0, buffer.getByte(i));
            assertEquals(0, buffer.getByte(8 + FrameHeaderFlyweight.HEADER_LENGTH + i));
        }
    }

    @Test
    void shouldLayFieldsOutBackToBackInTheDocumentedOrder() {
        int[] offsets = {FrameHeaderFlyweight.MAGIC_OFFSET, FrameHeaderFlyweight.VERSION_OFFSET, FrameHeaderFlyweight.FRAME_TYPE_OFFSET,
            FrameHeaderFlyweight.DTYPE_OFFSET, FrameHeaderFlyweight.RANK_OFFSET, FrameHeaderFlyweight.FLAGS_OFFSET,
            FrameHeaderFlyweight.RESERVED_OFFSET, FrameHeaderFlyweight.PARTICIPANT_OFFSET, FrameHeaderFlyweight.RUN_ID_OFFSET,
            FrameHeaderFlyweight.SESSION_TOKEN_OFFSET, FrameHeaderFlyweight.ROUND_OFFSET, FrameHeaderFlyweight.STEP_OFFSET,
            FrameHeaderFlyweight.MICRO_BATCH_OFFSET, FrameHeaderFlyweight.SEQUENCE_OFFSET, FrameHeaderFlyweight.CHUNK_INDEX_OFFSET,
            FrameHeaderFlyweight.CHUNK_COUNT_OFFSET, FrameHeaderFlyweight.BYTE_OFFSET_OFFSET,
            FrameHeaderFlyweight.PAYLOAD_LENGTH_OFFSET, FrameHeaderFlyweight.PAYLOAD_CRC_OFFSET,
            FrameHeaderFlyweight.TIMESTAMP_OFFSET, FrameHeaderFlyweight.DIMS_OFFSET, FrameHeaderFlyweight.HEADER_LENGTH};
        int[] sizes = {4, 1, 1, 1, 1, 2, 2, 4, 8, 8, 4, 4, 4, 4, 4, 4, 8, 4, 4, 8, 32};
        for (int i = 0; i < sizes.length; i++) {
            assertEquals(offsets[i] + sizes[i], offsets[i + 1], "field " + i + " does not end where the next begins");
            assertEquals(0, offsets[i] % Math.min(sizes[i], 8), "field " + i + " is not naturally aligned");
        }
        assertEquals(112, FrameHeaderFlyweight.HEADER_LENGTH);
    }

    @Test
    void shouldMapUnknownCodesToNull() {
        assertNull(FrameType.fromCode(0));
        assertNull(FrameType.fromCode(FrameType.MAX_CODE + 1));
        assertNull(FrameType.fromCode(-1));
        assertNull(FrameHeaderFlyweight.dtype(0));
        assertNull(FrameHeaderFlyweight.dtype(3));
        for (FrameType t : FrameType.values()) {
            assertSame(t, FrameType.fromCode(t.code()));
        }
    }
}
