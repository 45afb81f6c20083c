package io.mpsl.transport;

/**
 * Why a receiver rejected a frame, in the order the checks run: a frame is counted under the first check
 * it fails. A rejected frame never touches a tensor that is handed to the application.
 */
public enum RejectReason {
    /** An Aeron message longer than one MTU (mpsl never sends those): counted once, all its fragments dropped. */
    OVERSIZED_FRAME,
    /** Shorter than the header, or shorter than the payload length the header claims. */
    TRUNCATED,
    /** The first four bytes are not "MPSL". */
    BAD_MAGIC,
    /** A wire format version this receiver does not speak. */
    WRONG_VERSION,
    /** A frame type code that is not a {@link FrameType}. */
    UNKNOWN_TYPE,
    /** Another run's id or session token: the frame is ignored. */
    WRONG_TOKEN,
    /** A dtype code that is not F32 or I32. */
    UNKNOWN_DTYPE,
    /** Rank above {@link FrameHeaderFlyweight#MAX_RANK} or a negative dimension. */
    BAD_SHAPE,
    /** The tensor would be larger than the receiver's maximum message size. */
    OVERSIZED,
    /** The shape differs from the one the receiver expects for this frame type. */
    WRONG_SHAPE,
    /** Longer than the payload length the header claims. */
    BAD_LENGTH,
    /** Chunk index, count, offset and length do not describe a valid piece of the tensor. */
    BAD_CHUNK,
    /** The payload's CRC32C differs from the header's. */
    BAD_CRC,
    /** A continuation chunk with no message in progress. */
    UNEXPECTED_CHUNK,
    /** A continuation chunk of another message than the one in progress (whose chunks are discarded). */
    MIXED_CHUNK,
    /** A chunk of the message in progress whose header disagrees with its first chunk, or arrives out of order. */
    INCONSISTENT_CHUNK,
    /** Taking a buffer for the message would exceed the receiver's memory limit while it holds no tensors. */
    MEMORY_LIMIT,
    /** A message in progress was abandoned (a new message began, or its peer was lost) before it was complete. */
    INCOMPLETE;

    private static final RejectReason[] VALUES = values();

    /** All reasons, without the copy {@link #values()} makes. */
    static RejectReason[] all() {
        return VALUES;
    }
}
