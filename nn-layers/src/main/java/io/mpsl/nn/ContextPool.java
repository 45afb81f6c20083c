package io.mpsl.nn;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Reusable {@link ActivationContext}s of one segment and capacity: a pipelined runtime takes one per micro-batch
 * in flight ({@link #acquire}) and gives it back after that micro-batch's backward ({@link #release}). At most
 * {@code maxContexts} exist, so the activation memory of a part is bounded by the schedule's depth; after
 * warm-up nothing is allocated. The contexts share one scratch area (transient outputs and gradient buffers, used
 * only inside a pass), so n contexts take n times the kept bytes plus the scratch once: their forward and
 * backward passes must run one at a time (one compute thread per part, as the runtime does). Acquire and release
 * are thread-safe.
 */
public final class ContextPool implements AutoCloseable {
    private final Segment segment;
    private final int capacity;
    private final int maxContexts;
    private final MemoryAccount account;
    private final TensorArena scratchArena;
    private final MemorySegment scratch;
    private final ArrayDeque<ActivationContext> free = new ArrayDeque<>();
    private final List<ActivationContext> all = new ArrayList<>();

    public ContextPool(Segment segment, int capacity, int maxContexts, MemoryAccount account) {
        if (maxContexts < 1) {
            throw new IllegalArgumentException("a context pool needs room for at least one context, got "
                    + maxContexts);
        }
        this.segment = segment;
        this.capacity = capacity;
        this.maxContexts = maxContexts;
        this.account = account;
        this.scratchArena = new TensorArena(account);
        this.scratch = scratchArena.allocateBytes(segment.scratchBytes(capacity));
    }

    /** A free context, made if fewer than {@code maxContexts} exist; null if all are in use (back-pressure). */
    public synchronized ActivationContext acquire() {
        ActivationContext c = free.pollFirst();
        if (c == null && all.size() < maxContexts) {
            c = segment.newContext(capacity, account, scratch);
            all.add(c);
        }
        return c;
    }

    /** Gives back a context from {@link #acquire}. */
    public synchronized void release(ActivationContext c) {
        if (!all.contains(c)) {
            throw new IllegalArgumentException("context was not acquired from this pool");
        }
        free.addLast(c);
    }

    /** Contexts made so far (in use or free). */
    public synchronized int size() {
        return all.size();
    }

    /** Contexts acquired and not yet released. */
    public synchronized int inUse() {
        return all.size() - free.size();
    }

    @Override
    public synchronized void close() {
        for (ActivationContext c : all) {
            c.close();
        }
        all.clear();
        free.clear();
        scratchArena.close();
    }
}
