package io.mpsl.transport;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.mpsl.tensor.Tensor;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sends tensors to one peer over one Aeron publication. A tensor is cut into chunks of
 * {@link TransportContext#chunkBytes()}; each chunk goes from the tensor's own off-heap memory into the
 * publication's term buffer with no heap copy (a vectored offer of header and payload, or a claim for small
 * chunks), paced by an optional {@link LinkShaper}.
 *
 * <p>{@link #offer} only queues (a bounded queue: {@link #QUEUE_FULL} when full) and then works;
 * {@link #doWork()} writes chunks until the publication back-pressures or the shaper says wait. The tensor
 * of the message with sequence {@code s} belongs to the sender until {@code completedMessages() > s}; do not
 * change or release it before. One thread uses a sender; nothing on its paths allocates.
 */
public final class TensorSender implements AutoCloseable {
    /** Back-pressure: the send queue is full; call {@link #doWork()} and offer again. */
    public static final long QUEUE_FULL = -1;
    /** The peer has not connected yet; offer again. */
    public static final long NOT_CONNECTED = -2;
    /** The peer was connected and is gone (peer timeout), or never came (connect timeout). */
    public static final long PEER_LOST = -3;
    /** The sender or its publication is closed. */
    public static final long CLOSED = -4;
    /** Chunks this short go through a claim on the term buffer rather than a vectored offer. */
    static final int CLAIM_MAX_PAYLOAD_BYTES = 4096;

    private final ExclusivePublication publication;
    private final LinkShaper shaper;
    private final DriverDuty duty;
    private final LinkMetrics metrics;
    private final long runId;
    private final long sessionToken;
    private final int chunkBytes;
    private final int chunksPerDutyCycle;
    private final boolean crcEnabled;
    private final long connectTimeoutNs;
    private final long maxMessageBytes;
    private final long createdNs;

    private final UnsafeBuffer headerBuffer = new UnsafeBuffer(new byte[FrameHeaderFlyweight.HEADER_LENGTH]);
    private final UnsafeBuffer payloadBuffer = new UnsafeBuffer(0, 0);
    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private final BufferClaim claim = new BufferClaim();

    // The bounded send queue: a ring of message slots, filled at tail, drained at head.
    private final int capacity;
    private final Tensor[] tensors;
    private final FrameType[] types;
    private final int[] participants;
    private final int[] rounds;
    private final int[] steps;
    private final int[] microBatches;
    private final long[] timestampsNs;
    private long head;
    private long tail;

    // Progress of the message at head.
    private int chunkIndex;
    private int chunkCount;
    private long byteOffset;

    private boolean wasConnected;
    private boolean peerLost;
    private boolean closed;

    TensorSender(TransportContext ctx, ExclusivePublication publication, LinkShaper shaper, DriverDuty duty, String name) {
        this.publication = publication;
        this.duty = duty;
        this.shaper = shaper;
        this.metrics = new LinkMetrics(name);
        this.runId = ctx.runId();
        this.sessionToken = ctx.sessionToken();
        this.chunkBytes = Math.min(ctx.chunkBytes(),
                (publication.maxPayloadLength() - FrameHeaderFlyweight.HEADER_LENGTH) & ~63);
        this.chunksPerDutyCycle = ctx.chunksPerDutyCycle();
        this.crcEnabled = ctx.crcEnabled();
        this.connectTimeoutNs = ctx.connectTimeoutNs();
        this.maxMessageBytes = ctx.maxMessageBytes();
        this.capacity = ctx.sendQueueCapacity();
        this.tensors = new Tensor[capacity];
        this.types = new FrameType[capacity];
        this.participants = new int[capacity];
        this.rounds = new int[capacity];
        this.steps = new int[capacity];
        this.microBatches = new int[capacity];
        this.timestampsNs = new long[capacity];
        this.createdNs = System.nanoTime();
        header.wrap(headerBuffer, 0).init();
    }

    /**
     * Queues a tensor for sending and starts sending it.
     *
     * @return the message's sequence number (>= 0), or {@link #QUEUE_FULL}, {@link #NOT_CONNECTED},
     *         {@link #PEER_LOST}, {@link #CLOSED}
     * @throws IllegalArgumentException if the tensor is not off-heap, or larger than the maximum message
     */
    public long offer(FrameType type, int participant, int round, int step, int microBatch, Tensor tensor) {
        if (closed) {
            return CLOSED;
        }
        long nowNs = System.nanoTime();
        updateConnection(nowNs);
        if (peerLost) {
            return PEER_LOST;
        }
        if (!wasConnected) {
            return NOT_CONNECTED;
        }
        if (tail - head == capacity) {
            metrics.onBackPressure();
            doWork();
            if (tail - head == capacity) {
                return QUEUE_FULL;
            }
        }
        if (!tensor.segment().isNative() || tensor.byteSize() > maxMessageBytes
                || tensor.shape().rank() > FrameHeaderFlyweight.MAX_RANK) {
            throw new IllegalArgumentException("cannot send " + tensor + " of " + tensor.byteSize() + " bytes: it must be "
                    + "off-heap, of rank <= " + FrameHeaderFlyweight.MAX_RANK + " and at most " + maxMessageBytes + " bytes");
        }
        int slot = (int) (tail % capacity);
        tensors[slot] = tensor;
        types[slot] = type;
        participants[slot] = participant;
        rounds[slot] = round;
        steps[slot] = step;
        microBatches[slot] = microBatch;
        timestampsNs[slot] = nowNs;
        long sequence = tail++;
        doWork();
        return sequence;
    }

    /**
     * Writes chunks of queued messages, until the queue is empty, the publication back-pressures, the shaper
     * asks to wait, or {@link TransportContext#chunksPerDutyCycle()} chunks were written.
     *
     * @return chunks written (0 when there was nothing to do or it had to wait)
     */
    public int doWork() {
        if (closed) {
            return 0;
        }
        int chunks = 0;
        long nowNs = System.nanoTime();
        updateConnection(nowNs);
        while (head != tail && !peerLost && chunks < chunksPerDutyCycle) {
            int slot = (int) (head % capacity);
            Tensor tensor = tensors[slot];
            long totalBytes = tensor.byteSize();
            if (chunkIndex == 0) {
                chunkCount = (int) Math.max(1, (totalBytes + chunkBytes - 1) / chunkBytes);
                byteOffset = 0;
            }
            int length = (int) Math.min(chunkBytes, totalBytes - byteOffset);
            if (shaper != null && shaper.sendDelayNs(nowNs, FrameHeaderFlyweight.HEADER_LENGTH + length) > 0) {
                break;
            }
            long result = sendChunk(slot, tensor, length);
            if (result == Publication.BACK_PRESSURED && duty != null && duty.invokeForSender() > 0) {
                result = sendChunk(slot, tensor, length);
            }
            if (result < 0) {
                onOfferFailed(result, nowNs);
                break;
            }
            int frameBytes = FrameHeaderFlyweight.HEADER_LENGTH + length;
            metrics.onFrame(frameBytes);
            if (shaper != null) {
                shaper.onSent(nowNs, frameBytes);
            }
            chunks++;
            byteOffset += length;
            if (++chunkIndex == chunkCount) {
                tensors[slot] = null;
                types[slot] = null;
                chunkIndex = 0;
                head++;
                metrics.onMessage();
            }
            if (shaper != null) {
                nowNs = System.nanoTime();
            }
        }
        if (chunks > 0 && duty != null) {
            // A UDP publication's frames leave when the driver's sender agent runs: run it now, from this thread.
            duty.invokeSender();
        }
        return chunks;
    }

    private long sendChunk(int slot, Tensor tensor, int length) {
        long address = tensor.segment().address() + byteOffset;
        int crc = crcEnabled && length > 0 ? Crc32cChecksum.compute(address, length) : 0;
        if (length <= CLAIM_MAX_PAYLOAD_BYTES) {
            long result = publication.tryClaim(FrameHeaderFlyweight.HEADER_LENGTH + length, claim);
            if (result > 0) {
                UnsafeBuffer term = (UnsafeBuffer) claim.buffer();
                int offset = claim.offset();
                fillHeader(header.wrap(term, offset).init(), slot, tensor, length, crc);
                if (length > 0) {
                    payloadBuffer.wrap(address, length);
                    term.putBytes(offset + FrameHeaderFlyweight.HEADER_LENGTH, payloadBuffer, 0, length);
                }
                claim.commit();
                header.wrap(headerBuffer, 0);
            }
            return result;
        }
        fillHeader(header, slot, tensor, length, crc);
        payloadBuffer.wrap(address, length);
        return publication.offer(headerBuffer, 0, FrameHeaderFlyweight.HEADER_LENGTH, payloadBuffer, 0, length, null);
    }

    private void fillHeader(FrameHeaderFlyweight h, int slot, Tensor tensor, int length, int crc) {
        int rank = tensor.shape().rank();
        h.frameType(types[slot]).dtype(tensor.dtype()).rank(rank).flags(crcEnabled ? FrameHeaderFlyweight.FLAG_CRC : 0)
                .participant(participants[slot]).runId(runId).sessionToken(sessionToken)
                .round(rounds[slot]).step(steps[slot]).microBatch(microBatches[slot]).sequence((int) head)
                .chunkIndex(chunkIndex).chunkCount(chunkCount).byteOffset(byteOffset)
                .payloadLength(length).payloadCrc(crc).timestampNs(timestampsNs[slot]);
        for (int i = 0; i < FrameHeaderFlyweight.MAX_RANK; i++) {
            h.dim(i, i < rank ? tensor.shape().dim(i) : 0);
        }
    }

    private void onOfferFailed(long result, long nowNs) {
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION) {
            metrics.onBackPressure();
        } else if (result == Publication.NOT_CONNECTED) {
            updateConnection(nowNs);
        } else if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED) {
            peerLost = true;
        }
    }

    private void updateConnection(long nowNs) {
        if (peerLost) {
            return;
        }
        if (publication.isConnected()) {
            wasConnected = true;
        } else if (publication.isClosed() || wasConnected || nowNs - createdNs > connectTimeoutNs) {
            peerLost = true;
        }
    }

    /** Whether a receiver is connected now. */
    public boolean isConnected() {
        return !closed && publication.isConnected();
    }

    /**
     * Whether the peer is lost: it was connected and the driver heard nothing from it for the peer timeout,
     * or it never connected within the connect timeout. Queued messages are then never sent.
     */
    public boolean isPeerLost() {
        if (!closed) {
            updateConnection(System.nanoTime());
        }
        return peerLost;
    }

    /** Messages queued and not yet fully written. */
    public int queuedMessages() {
        return (int) (tail - head);
    }

    /** Messages fully written into the publication; the tensor of sequence {@code s} is free once this exceeds s. */
    public long completedMessages() {
        return head;
    }

    /** Payload bytes per chunk on this link. */
    public int chunkBytes() {
        return chunkBytes;
    }

    public LinkMetrics metrics() {
        return metrics;
    }

    /** Aeron's session id of this sender's publication, as receivers see it. */
    public int sessionId() {
        return publication.sessionId();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            publication.close();
        }
    }
}
