package io.mpsl.scheduler.runtime;

import io.mpsl.tensor.Tensor;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * One message between roles: a tensor payload (owned by the message until the receiver is done with it) and
 * where it belongs (participant, round, iteration, micro-batch). In vanilla mode activations carry the
 * micro-batch's labels too. Messages become visible to the receiver at {@link #deliverAtNs}, which the
 * emulated link sets from its rate and delay.
 */
public final class Message implements Delayed {
    /** Takes a received tensor back once its receiver is done with it (a pool, a network receiver). */
    @FunctionalInterface
    interface Recycler {
        void recycle(Tensor t);
    }

    final MessageType type;
    final int participant;
    final int round;
    final int iteration;
    final int microBatch;
    final int stage; // stage that receives it (-1 when it came over the network, which does not carry it)
    final Tensor payload;
    final Tensor labels;
    final int samples; // for WEIGHTS: samples behind these weights (FedAvg weighting)
    final Recycler pool; // takes the tensors back: the receiver's pool or network receiver
    long deliverAtNs;
    long sentAtNs;

    Message(MessageType type, int participant, int round, int iteration, int microBatch, int stage, Tensor payload,
            Tensor labels, int samples, Recycler pool) {
        this.type = type;
        this.participant = participant;
        this.round = round;
        this.iteration = iteration;
        this.microBatch = microBatch;
        this.stage = stage;
        this.payload = payload;
        this.labels = labels;
        this.samples = samples;
        this.pool = pool;
    }

    /** Gives the tensors back to the receiver's pool once the receiver is done with them. */
    void release() {
        if (payload != null) {
            pool.recycle(payload);
        }
        if (labels != null) {
            pool.recycle(labels);
        }
    }

    /** Bytes this message puts on the wire (payload, labels and a 64-byte header). */
    long wireBytes() {
        return 64 + (payload == null ? 0 : payload.byteSize()) + (labels == null ? 0 : labels.byteSize());
    }

    @Override
    public long getDelay(TimeUnit unit) {
        return unit.convert(deliverAtNs - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
        return Long.compare(deliverAtNs, ((Message) o).deliverAtNs);
    }

    @Override
    public String toString() {
        return type + "[p" + participant + " r" + round + " i" + iteration + " mb" + microBatch + " -> stage " + stage
                + "]";
    }
}
