package io.mpsl.transport;

import io.mpsl.tensor.Tensor;

/**
 * A complete received tensor and what its header said, as handed to {@link TensorHandler#onTensor}. The
 * object is reused by the receiver: read it during the callback. The tensor is the handler's from then on;
 * give it back with {@link TensorReceiver#release(Tensor)} when done with it.
 */
public final class TensorMessage {
    FrameType type;
    int participant;
    int round;
    int step;
    int microBatch;
    int sequence;
    int sessionId;
    long sentNs;
    long deliverAtNs;
    Tensor tensor;

    public FrameType type() {
        return type;
    }

    public int participant() {
        return participant;
    }

    public int round() {
        return round;
    }

    public int step() {
        return step;
    }

    public int microBatch() {
        return microBatch;
    }

    /** The sender's message number on this link (0, 1, 2, ...). */
    public int sequence() {
        return sequence;
    }

    /** Aeron's session id of the sending publication: which peer this came from. */
    public int sessionId() {
        return sessionId;
    }

    /** The sender's {@code System.nanoTime()} when the message was offered. */
    public long sentNs() {
        return sentNs;
    }

    public Tensor tensor() {
        return tensor;
    }

    void copyFrom(TensorMessage m) {
        type = m.type;
        participant = m.participant;
        round = m.round;
        step = m.step;
        microBatch = m.microBatch;
        sequence = m.sequence;
        sessionId = m.sessionId;
        sentNs = m.sentNs;
        deliverAtNs = m.deliverAtNs;
        tensor = m.tensor;
    }

    @Override
    public String toString() {
        return "TensorMessage[" + type + ", participant=" + participant + ", round=" + round + ", step=" + step
                + ", microBatch=" + microBatch + ", sequence=" + sequence + ", session=" + sessionId + ", " + tensor + "]";
    }
}
