package io.mpsl.scheduler.runtime;

import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorPool;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.DelayQueue;

/**
 * The message fabric of a run in one JVM: an inbox and a receive pool per node, and the emulated links
 * between them. A message's tensors are taken from the <em>receiver's</em> pool (as a network receiver
 * writes a frame into its own buffer), so a node's memory account includes what it has received and not
 * yet consumed.
 */
final class EmulatedFabric extends Fabric {
    private final Map<String, DelayQueue<Message>> inboxes = new LinkedHashMap<>();
    private final Map<String, TensorPool> pools = new LinkedHashMap<>();
    private final Map<String, Message.Recycler> recyclers = new LinkedHashMap<>();
    private final Map<String, Link> links = new LinkedHashMap<>();

    EmulatedFabric(Timeline timeline, LinkTap tap) {
        super(timeline, tap);
    }

    @Override
    synchronized void node(String id, MemoryAccount receiveAccount) {
        TensorPool pool = new TensorPool(receiveAccount);
        inboxes.put(id, new DelayQueue<>());
        pools.put(id, pool);
        recyclers.put(id, pool::release);
    }

    @Override
    synchronized Link link(String name, LinkSpec spec) {
        EmulatedLink l = new EmulatedLink(name, spec, tap);
        links.put(name, l);
        timeline.declare(name);
        return l;
    }

    @Override
    void route(String from, String to, Link link) {
        // every node can reach every other in one JVM
    }

    @Override
    synchronized DelayQueue<Message> inbox(String id) {
        return inboxes.get(id);
    }

    @Override
    synchronized Map<String, Link> links() {
        return Map.copyOf(links);
    }

    /**
     * Copies {@code payload} (and {@code labels}) into buffers of {@code to}'s pool and sends them over
     * {@code link}.
     */
    @Override
    void send(String from, Link link, String to, MessageType type, int participant, int round, int iteration,
            int microBatch, int stage, Tensor payload, Tensor labels, int samples) {
        TensorPool pool;
        DelayQueue<Message> inbox;
        Message.Recycler recycler;
        synchronized (this) {
            pool = pools.get(to);
            inbox = inboxes.get(to);
            recycler = recyclers.get(to);
        }
        Tensor p = payload == null ? null : pool.acquire(payload.shape(), payload.dtype()).copyFrom(payload);
        Tensor l = labels == null ? null : pool.acquire(labels.shape(), DType.I32).copyFrom(labels);
        Message m = new Message(type, participant, round, iteration, microBatch, stage, p, l, samples, recycler);
        ((EmulatedLink) link).send(m, inbox, timeline);
    }

    @Override
    Tensor borrow(String id, io.mpsl.tensor.Shape shape) {
        TensorPool pool;
        synchronized (this) {
            pool = pools.get(id);
        }
        return pool.acquire(shape, DType.F32);
    }

    @Override
    void giveBack(String id, Tensor buffer) {
        TensorPool pool;
        synchronized (this) {
            pool = pools.get(id);
        }
        pool.release(buffer);
    }

    @Override
    public synchronized void close() {
        for (TensorPool p : pools.values()) {
            p.close();
        }
    }
}
