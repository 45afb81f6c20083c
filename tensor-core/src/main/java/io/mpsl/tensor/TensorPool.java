package io.mpsl.tensor;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Reusable tensors for per-step buffers (activations of micro-batches in flight, received frames). A buffer
 * is taken with {@link #acquire} and given back with {@link #release}; after warm-up a steady state
 * allocates nothing. Memory is owned by the pool's arena and charged to its account. Thread-safe.
 */
public final class TensorPool implements AutoCloseable {
    private final TensorArena arena;
    private final Map<Shape, ArrayDeque<Tensor>> free = new HashMap<>();
    private final long maxBytes;
    private long pooledBytes;
    private int outstanding;

    /** A pool that may hold at most {@code maxBytes} in total (free and in use). */
    public TensorPool(MemoryAccount account, long maxBytes) {
        this.arena = new TensorArena(account);
        this.maxBytes = maxBytes;
    }

    public TensorPool(MemoryAccount account) {
        this(account, Long.MAX_VALUE);
    }

    /** A float32 tensor of this shape, contents unspecified. */
    public Tensor acquire(Shape shape) {
        return acquire(shape, DType.F32);
    }

    /**
     * A tensor of this shape and type, contents unspecified.
     *
     * @throws IllegalStateException if a new buffer would take the pool past its byte limit
     */
    public synchronized Tensor acquire(Shape shape, DType dtype) {
        ArrayDeque<Tensor> q = free.get(shape);
        if (q != null) {
            for (int i = q.size(); i > 0; i--) {
                Tensor t = q.pollFirst();
                if (t.dtype() == dtype) {
                    outstanding++;
                    return t;
                }
                q.addLast(t);
            }
        }
        long bytes = shape.size() * dtype.byteSize();
        if (pooledBytes + bytes > maxBytes) {
            throw new IllegalStateException("tensor pool of " + arena.account().name() + " would exceed its limit of "
                    + maxBytes + " bytes (holds " + pooledBytes + ", asked " + bytes + " for " + shape
                    + "); raise the limit or keep fewer buffers in flight");
        }
        Tensor t = arena.allocate(shape, dtype);
        pooledBytes += bytes;
        outstanding++;
        return t;
    }

    /**
     * Gives a tensor from {@link #acquire} back for reuse.
     *
     * @throws IllegalStateException if nothing is outstanding or {@code t} was already given back (a second
     *     release would hand the same memory to two owners)
     */
    public synchronized void release(Tensor t) {
        if (outstanding == 0) {
            throw new IllegalStateException("release of " + t + " to the pool of " + arena.account().name()
                    + ", which has no tensor outstanding: released twice, or not acquired from this pool");
        }
        ArrayDeque<Tensor> q = free.computeIfAbsent(t.shape(), s -> new ArrayDeque<>());
        if (q.contains(t)) {
            throw new IllegalStateException("tensor " + t + " was released twice to the pool of "
                    + arena.account().name());
        }
        q.addLast(t);
        outstanding--;
    }

    /** Tensors acquired and not yet released. */
    public synchronized int outstanding() {
        return outstanding;
    }

    public synchronized long pooledBytes() {
        return pooledBytes;
    }

    @Override
    public synchronized void close() {
        free.clear();
        arena.close();
    }
}
