package io.mpsl.scheduler.runtime;

import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import java.util.Map;
import java.util.concurrent.DelayQueue;

/**
 * What the roles of a run send and receive through: an inbox per node, and links between nodes. A message's
 * tensors belong to the <em>receiver</em> once sent (the sender may overwrite its own buffers right after
 * {@link #send}), and go back with {@link Message#release()}. Two implementations: {@link EmulatedFabric}
 * (every role in this JVM, emulated links; what the fast tests use) and {@link AeronFabric} (tensor frames
 * over Aeron IPC or UDP, roles in this process or in others).
 *
 * <p>Set-up order: {@link #node} for every node of the run (the same order in every process), {@link #link}
 * for every link, {@link #route} for every (sender, receiver) pair; then {@link #start} before any node runs,
 * {@link #finish} after the local nodes are done, {@link #close}.
 */
abstract class Fabric implements AutoCloseable {
    final Timeline timeline;
    final LinkTap tap;

    Fabric(Timeline timeline, LinkTap tap) {
        this.timeline = timeline;
        this.tap = tap;
    }

    /** Registers a node of the run with the account its received tensors are charged to. */
    abstract void node(String id, MemoryAccount receiveAccount);

    /** Declares a link (one direction of one interface) with its rate and delay. */
    abstract Link link(String name, LinkSpec spec);

    /** Declares that node {@code from} sends to node {@code to} over {@code link}. */
    abstract void route(String from, String to, Link link);

    /** The inbox of a node of this process: messages become visible when they have arrived. */
    abstract DelayQueue<Message> inbox(String id);

    /** Every declared link by name. */
    abstract Map<String, Link> links();

    /**
     * Sends from {@code from} to {@code to} over {@code link}: {@code payload} (may be null) and, in vanilla
     * mode, the micro-batch's {@code labels}. Copies what it needs before returning.
     *
     * @param samples for activations, the samples of the mini-batch; for weights, the samples behind them
     */
    abstract void send(String from, Link link, String to, MessageType type, int participant, int round, int iteration,
            int microBatch, int stage, Tensor payload, Tensor labels, int samples);

    /**
     * Sends a buffer from {@link #borrow} and gives it back: where the transport sends asynchronously it sends
     * the buffer itself (no staged copy) and gives it back once written. The caller must not touch it after.
     */
    void sendBorrowed(String from, Link link, String to, MessageType type, int participant, int round, int iteration,
            int microBatch, int stage, Tensor borrowed, int samples) {
        send(from, link, to, type, participant, round, iteration, microBatch, stage, borrowed, null, samples);
        giveBack(from, borrowed);
    }

    /**
     * Sends {@code payload} to each of {@code to[i]} over {@code links[i]} as participant {@code i}'s message of
     * {@code round} (the coordinator's average to every owner); an asynchronous transport stages one copy for all.
     */
    void sendToEach(String from, Link[] links, String[] to, MessageType type, int round, Tensor payload) {
        for (int i = 0; i < to.length; i++) {
            send(from, links[i], to[i], type, i, round, 0, 0, 0, payload, null, 0);
        }
    }

    /**
     * A buffer of node {@code id}, taken from the pool that what it sends or receives comes from, for data that
     * lives only between messages (weights packed to be sent): once given back, the next message of that size
     * reuses it instead of a second buffer of the model's size.
     */
    abstract Tensor borrow(String id, io.mpsl.tensor.Shape shape);

    /** Gives back a buffer from {@link #borrow}. */
    abstract void giveBack(String id, Tensor buffer);

    /** Connects to the peers (waiting for them) and starts moving frames; failures go to {@code state}. */
    void start(RunState state) {
    }

    /** Called when every node of this process is done: waits until the peers are done with what it sent. */
    void finish() {
    }

    @Override
    public abstract void close();
}
