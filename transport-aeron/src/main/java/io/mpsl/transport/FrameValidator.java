package io.mpsl.transport;

import io.mpsl.tensor.DType;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;

/**
 * Checks one received frame before anything is written anywhere: the stateless half of a receiver's
 * validation (the other half, in {@link TensorReceiver}, checks that a chunk belongs to the message in
 * progress). Checks run in the order of {@link RejectReason}; the first that fails is the answer.
 * Allocation-free; one thread.
 */
public final class FrameValidator {
    private static final int H = FrameHeaderFlyweight.HEADER_LENGTH;

    private final long runId;
    private final long sessionToken;
    private final long maxMessageBytes;
    private final int[][] expectedDims = new int[FrameType.MAX_CODE + 1][];
    private final FrameHeaderFlyweight f = new FrameHeaderFlyweight();
    private final CRC32C heapCrc = new CRC32C();
    private long totalBytes;

    /**
     * @param runId the run frames must belong to
     * @param sessionToken the run's token frames must carry
     * @param maxMessageBytes the largest tensor accepted, in bytes
     */
    public FrameValidator(long runId, long sessionToken, long maxMessageBytes) {
        this.runId = runId;
        this.sessionToken = sessionToken;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Only this shape is accepted for {@code type}; -1 matches any size on that axis. */
    public FrameValidator expectShape(FrameType type, int... dims) {
        if (dims.length > FrameHeaderFlyweight.MAX_RANK) {
            throw new IllegalArgumentException("rank " + dims.length + " is above " + FrameHeaderFlyweight.MAX_RANK);
        }
        expectedDims[type.code()] = dims.clone();
        return this;
    }

    /** Bytes of the whole tensor the last accepted frame belongs to. */
    public long totalBytes() {
        return totalBytes;
    }

    /**
     * The first check the frame of {@code length} bytes at {@code offset} fails, or null when it is a valid
     * chunk of a valid tensor (then {@link #totalBytes()} is that tensor's size).
     */
    public RejectReason validate(DirectBuffer buffer, int offset, int length) {
        if (length < H) {
            return RejectReason.TRUNCATED;
        }
        f.wrap(buffer, offset);
        if (f.magic() != FrameHeaderFlyweight.MAGIC) {
            return RejectReason.BAD_MAGIC;
        }
        if (f.version() != FrameHeaderFlyweight.CURRENT_VERSION) {
            return RejectReason.WRONG_VERSION;
        }
        int typeCode = f.frameTypeCode();
        if (FrameType.fromCode(typeCode) == null) {
            return RejectReason.UNKNOWN_TYPE;
        }
        if (f.runId() != runId || f.sessionToken() != sessionToken) {
            return RejectReason.WRONG_TOKEN;
        }
        DType dtype = FrameHeaderFlyweight.dtype(f.dtypeCode());
        if (dtype == null) {
            return RejectReason.UNKNOWN_DTYPE;
        }
        int rank = f.rank();
        if (rank > FrameHeaderFlyweight.MAX_RANK) {
            return RejectReason.BAD_SHAPE;
        }
        long maxElements = maxMessageBytes / dtype.byteSize();
        long elements = 1;
        boolean oversized = false;
        for (int i = 0; i < rank; i++) {
            int d = f.dim(i);
            if (d < 0) {
                return RejectReason.BAD_SHAPE;
            }
            if (d == 0) {
                elements = 0;
            } else if (elements > maxElements / d) {
                oversized = true;
            } else {
                elements *= d;
            }
        }
        if (oversized && elements != 0) {
            return RejectReason.OVERSIZED;
        }
        int[] expected = expectedDims[typeCode];
        if (expected != null) {
            if (expected.length != rank) {
                return RejectReason.WRONG_SHAPE;
            }
            for (int i = 0; i < rank; i++) {
                if (expected[i] >= 0 && expected[i] != f.dim(i)) {
                    return RejectReason.WRONG_SHAPE;
                }
            }
        }
        long total = elements * dtype.byteSize();
        int payload = f.payloadLength();
        if (payload < 0 || payload > length - H) {
            return RejectReason.TRUNCATED;
        }
        if (payload < length - H) {
            return RejectReason.BAD_LENGTH;
        }
        int count = f.chunkCount();
        int index = f.chunkIndex();
        long byteOffset = f.byteOffset();
        if (count < 1 || index < 0 || index >= count) {
            return RejectReason.BAD_CHUNK;
        }
        if (total == 0) {
            if (count != 1 || byteOffset != 0 || payload != 0) {
                return RejectReason.BAD_CHUNK;
            }
        } else {
            boolean last = index == count - 1;
            if (payload == 0 || count > total || byteOffset < 0 || byteOffset > total - payload
                    || (index == 0) != (byteOffset == 0)
                    || last != (byteOffset + payload == total)) {
                return RejectReason.BAD_CHUNK;
            }
        }
        if ((f.flags() & FrameHeaderFlyweight.FLAG_CRC) != 0 && payload > 0) {
            int crc;
            byte[] array = buffer.byteArray();
            if (array == null) {
                crc = Crc32cChecksum.compute(buffer.addressOffset() + offset + H, payload);
            } else {
                heapCrc.reset();
                heapCrc.update(array, (int) (buffer.addressOffset() - org.agrona.BufferUtil.ARRAY_BASE_OFFSET) + offset + H, payload);
                crc = (int) heapCrc.getValue();
            }
            if (crc != f.payloadCrc()) {
                return RejectReason.BAD_CRC;
            }
        }
        totalBytes = total;
        return null;
    }
}
