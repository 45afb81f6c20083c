package io.mpsl.transport;

import io.mpsl.tensor.DType;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The header that starts every mpsl frame, as a flyweight over a buffer (no object per message). One frame
 * is one Aeron message of at most one MTU: this header, then {@link #payloadLength()} bytes of one chunk of
 * the tensor. All fields are little-endian.
 *
 * <pre>
 *   0 magic 'MPSL'     int      4 version  byte    5 frame type byte   6 dtype byte   7 rank byte
 *   8 flags            short   10 reserved short  12 participant int
 *  16 run id           long    24 session token long
 *  32 round int   36 step int   40 micro-batch int   44 sequence int (message number of the sender)
 *  48 chunk index int          52 chunk count int
 *  56 byte offset of the chunk in the tensor long
 *  64 payload length int       68 payload CRC32C int (valid when FLAG_CRC is set)
 *  72 send timestamp ns long (the sender's System.nanoTime() when the message was offered)
 *  80 dims int[8], outermost first; entries past the rank are zero
 * 112 payload
 * </pre>
 */
public final class FrameHeaderFlyweight {
    /** "MPSL" read as a little-endian int. */
    public static final int MAGIC = 'M' | ('P' << 8) | ('S' << 16) | ('L' << 24);
    public static final int CURRENT_VERSION = 1;
    /** Largest tensor rank a frame can describe. */
    public static final int MAX_RANK = 8;
    /** Flag bit: {@link #payloadCrc()} holds the CRC32C of the payload. */
    public static final int FLAG_CRC = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int FRAME_TYPE_OFFSET = 5;
    public static final int DTYPE_OFFSET = 6;
    public static final int RANK_OFFSET = 7;
    public static final int FLAGS_OFFSET = 8;
    public static final int RESERVED_OFFSET = 10;
    public static final int PARTICIPANT_OFFSET = 12;
    public static final int RUN_ID_OFFSET = 16;
    public static final int SESSION_TOKEN_OFFSET = 24;
    public static final int ROUND_OFFSET = 32;
    public static final int STEP_OFFSET = 36;
    public static final int MICRO_BATCH_OFFSET = 40;
    public static final int SEQUENCE_OFFSET = 44;
    public static final int CHUNK_INDEX_OFFSET = 48;
    public static final int CHUNK_COUNT_OFFSET = 52;
    public static final int BYTE_OFFSET_OFFSET = 56;
    public static final int PAYLOAD_LENGTH_OFFSET = 64;
    public static final int PAYLOAD_CRC_OFFSET = 68;
    public static final int TIMESTAMP_OFFSET = 72;
    public static final int DIMS_OFFSET = 80;
    /** Bytes of the header; the payload starts here. */
    public static final int HEADER_LENGTH = DIMS_OFFSET + MAX_RANK * Integer.BYTES;

    /** Wire code of F32 tensors. */
    public static final int DTYPE_F32 = 1;
    /** Wire code of I32 tensors. */
    public static final int DTYPE_I32 = 2;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutable;
    private int offset;

    /** Points this flyweight at a header to read. */
    public FrameHeaderFlyweight wrap(DirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.mutable = buffer instanceof MutableDirectBuffer m ? m : null;
        this.offset = offset;
        return this;
    }

    /** Points this flyweight at a header to write. */
    public FrameHeaderFlyweight wrap(MutableDirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.mutable = buffer;
        this.offset = offset;
        return this;
    }

    public DirectBuffer buffer() {
        return buffer;
    }

    public int offset() {
        return offset;
    }

    /** Writes magic and current version, clears flags, reserved bytes and unused dims. */
    public FrameHeaderFlyweight init() {
        mutable.putInt(offset + MAGIC_OFFSET, MAGIC, LE);
        mutable.putByte(offset + VERSION_OFFSET, (byte) CURRENT_VERSION);
        mutable.putShort(offset + FLAGS_OFFSET, (short) 0, LE);
        mutable.putShort(offset + RESERVED_OFFSET, (short) 0, LE);
        mutable.setMemory(offset + DIMS_OFFSET, MAX_RANK * Integer.BYTES, (byte) 0);
        return this;
    }

    public int magic() {
        return buffer.getInt(offset + MAGIC_OFFSET, LE);
    }

    public FrameHeaderFlyweight magic(int magic) {
        mutable.putInt(offset + MAGIC_OFFSET, magic, LE);
        return this;
    }

    public int version() {
        return buffer.getByte(offset + VERSION_OFFSET) & 0xFF;
    }

    public FrameHeaderFlyweight version(int version) {
        mutable.putByte(offset + VERSION_OFFSET, (byte) version);
        return this;
    }

    /** The raw frame type code; see {@link FrameType#fromCode}. */
    public int frameTypeCode() {
        return buffer.getByte(offset + FRAME_TYPE_OFFSET) & 0xFF;
    }

    public FrameHeaderFlyweight frameTypeCode(int code) {
        mutable.putByte(offset + FRAME_TYPE_OFFSET, (byte) code);
        return this;
    }

    public FrameHeaderFlyweight frameType(FrameType type) {
        return frameTypeCode(type.code());
    }

    /** The raw dtype code: {@link #DTYPE_F32} or {@link #DTYPE_I32}. */
    public int dtypeCode() {
        return buffer.getByte(offset + DTYPE_OFFSET) & 0xFF;
    }

    public FrameHeaderFlyweight dtypeCode(int code) {
        mutable.putByte(offset + DTYPE_OFFSET, (byte) code);
        return this;
    }

    public FrameHeaderFlyweight dtype(DType dtype) {
        return dtypeCode(dtypeCode(dtype));
    }

    public int rank() {
        return buffer.getByte(offset + RANK_OFFSET) & 0xFF;
    }

    public FrameHeaderFlyweight rank(int rank) {
        mutable.putByte(offset + RANK_OFFSET, (byte) rank);
        return this;
    }

    public int flags() {
        return buffer.getShort(offset + FLAGS_OFFSET, LE) & 0xFFFF;
    }

    public FrameHeaderFlyweight flags(int flags) {
        mutable.putShort(offset + FLAGS_OFFSET, (short) flags, LE);
        return this;
    }

    public int participant() {
        return buffer.getInt(offset + PARTICIPANT_OFFSET, LE);
    }

    public FrameHeaderFlyweight participant(int participant) {
        mutable.putInt(offset + PARTICIPANT_OFFSET, participant, LE);
        return this;
    }

    public long runId() {
        return buffer.getLong(offset + RUN_ID_OFFSET, LE);
    }

    public FrameHeaderFlyweight runId(long runId) {
        mutable.putLong(offset + RUN_ID_OFFSET, runId, LE);
        return this;
    }

    public long sessionToken() {
        return buffer.getLong(offset + SESSION_TOKEN_OFFSET, LE);
    }

    public FrameHeaderFlyweight sessionToken(long token) {
        mutable.putLong(offset + SESSION_TOKEN_OFFSET, token, LE);
        return this;
    }

    public int round() {
        return buffer.getInt(offset + ROUND_OFFSET, LE);
    }

    public FrameHeaderFlyweight round(int round) {
        mutable.putInt(offset + ROUND_OFFSET, round, LE);
        return this;
    }

    public int step() {
        return buffer.getInt(offset + STEP_OFFSET, LE);
    }

    public FrameHeaderFlyweight step(int step) {
        mutable.putInt(offset + STEP_OFFSET, step, LE);
        return this;
    }

    public int microBatch() {
        return buffer.getInt(offset + MICRO_BATCH_OFFSET, LE);
    }

    public FrameHeaderFlyweight microBatch(int microBatch) {
        mutable.putInt(offset + MICRO_BATCH_OFFSET, microBatch, LE);
        return this;
    }

    public int sequence() {
        return buffer.getInt(offset + SEQUENCE_OFFSET, LE);
    }

    public FrameHeaderFlyweight sequence(int sequence) {
        mutable.putInt(offset + SEQUENCE_OFFSET, sequence, LE);
        return this;
    }

    public int chunkIndex() {
        return buffer.getInt(offset + CHUNK_INDEX_OFFSET, LE);
    }

    public FrameHeaderFlyweight chunkIndex(int index) {
        mutable.putInt(offset + CHUNK_INDEX_OFFSET, index, LE);
        return this;
    }

    public int chunkCount() {
        return buffer.getInt(offset + CHUNK_COUNT_OFFSET, LE);
    }

    public FrameHeaderFlyweight chunkCount(int count) {
        mutable.putInt(offset + CHUNK_COUNT_OFFSET, count, LE);
        return this;
    }

    /** Where this chunk's payload goes in the tensor, in bytes from its start. */
    public long byteOffset() {
        return buffer.getLong(offset + BYTE_OFFSET_OFFSET, LE);
    }

    public FrameHeaderFlyweight byteOffset(long byteOffset) {
        mutable.putLong(offset + BYTE_OFFSET_OFFSET, byteOffset, LE);
        return this;
    }

    public int payloadLength() {
        return buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, LE);
    }

    public FrameHeaderFlyweight payloadLength(int length) {
        mutable.putInt(offset + PAYLOAD_LENGTH_OFFSET, length, LE);
        return this;
    }

    public int payloadCrc() {
        return buffer.getInt(offset + PAYLOAD_CRC_OFFSET, LE);
    }

    public FrameHeaderFlyweight payloadCrc(int crc) {
        mutable.putInt(offset + PAYLOAD_CRC_OFFSET, crc, LE);
        return this;
    }

    public long timestampNs() {
        return buffer.getLong(offset + TIMESTAMP_OFFSET, LE);
    }

    public FrameHeaderFlyweight timestampNs(long timestampNs) {
        mutable.putLong(offset + TIMESTAMP_OFFSET, timestampNs, LE);
        return this;
    }

    /** Dimension {@code axis} (0 = outermost); read past the rank only when validating. */
    public int dim(int axis) {
        return buffer.getInt(offset + DIMS_OFFSET + axis * Integer.BYTES, LE);
    }

    public FrameHeaderFlyweight dim(int axis, int value) {
        mutable.putInt(offset + DIMS_OFFSET + axis * Integer.BYTES, value, LE);
        return this;
    }

    /** The wire code of a dtype. */
    public static int dtypeCode(DType dtype) {
        return dtype == DType.F32 ? DTYPE_F32 : DTYPE_I32;
    }

    /** The dtype of a wire code, or {@code null} for an unknown code. */
    public static DType dtype(int code) {
        return code == DTYPE_F32 ? DType.F32 : code == DTYPE_I32 ? DType.I32 : null;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("FrameHeader{type=").append(frameTypeCode())
                .append(", participant=").append(participant()).append(", round=").append(round())
                .append(", step=").append(step()).append(", microBatch=").append(microBatch())
                .append(", sequence=").append(sequence()).append(", chunk=").append(chunkIndex()).append('/')
                .append(chunkCount()).append(", byteOffset=").append(byteOffset()).append(", payload=")
                .append(payloadLength()).append(", dims=(");
        int rank = Math.min(rank(), MAX_RANK);
        for (int i = 0; i < rank; i++) {
            sb.append(i > 0 ? ", " : "").append(dim(i));
        }
        return sb.append(")}").toString();
    }
}
