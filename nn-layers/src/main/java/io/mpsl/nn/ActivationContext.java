package io.mpsl.nn;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.MemorySegment;

/**
 * The per-micro-batch state of one {@link Segment}: layer outputs, what layers keep for backward, and the input
 * gradient backward returns ("kept" memory), plus scratch used only within one pass (transient outputs, gradient
 * buffers). Allocated once for a capacity (the largest micro-batch) in one arena, or, for contexts of a
 * {@link ContextPool}, with the scratch shared among the pool's contexts; {@link Segment#forward} with any batch up to the capacity uses views of it. Contexts are independent
 * of parameters, so one context can serve any participant's {@link ParameterState}, and several contexts keep
 * several micro-batches in flight through the same segment. A context is used by one thread at a time.
 */
public final class ActivationContext implements AutoCloseable {
    private final Layout layout;
    private final int capacity;
    private final TensorArena arena;
    private final Tensor[] full; // per-sample slots: (capacity, ...shape); fixed slots: shape
    private final Tensor[] views;
    private final int[] viewBatch;
    private final Tensor[] references;
    private int batch;
    private long forwardKey;

    /**
     * @param sharedScratch null to allocate this context's own scratch; else memory of
     *                      {@code layout.activationBytes(capacity, false)} bytes shared with other contexts that are
     *                      never used at the same time (one compute thread)
     */
    ActivationContext(Layout layout, int capacity, MemoryAccount account, MemorySegment sharedScratch) {
        if (capacity < 1) {
            throw new IllegalArgumentException("context capacity must be at least 1, got " + capacity);
        }
        this.layout = layout;
        this.capacity = capacity;
        this.arena = new TensorArena(account);
        int n = layout.slots.size();
        this.full = new Tensor[n];
        this.views = new Tensor[n];
        this.viewBatch = new int[n];
        this.references = new Tensor[layout.references];
        long keptBytes = layout.activationBytes(capacity, true);
        long scratchBytes = layout.activationBytes(capacity, false);
        MemorySegment kept = arena.allocateBytes(keptBytes);
        MemorySegment scratch = sharedScratch != null ? sharedScratch : arena.allocateBytes(scratchBytes);
        if (scratch.byteSize() < scratchBytes) {
            throw new IllegalArgumentException("shared scratch of " + scratch.byteSize() + " bytes is smaller than the "
                    + scratchBytes + " this context needs");
        }
        long keptOffset = 0;
        long scratchOffset = layout.stackedScratchBytes(capacity);
        for (int i = 0; i < n; i++) {
            Layout.Slot s = layout.slots.get(i);
            if (s.aliasOf() >= 0) {
                continue;
            }
            long elements = s.elements(capacity);
            if (s.stacked()) {
                long at = s.scratchOffset() * capacity * Float.BYTES;
                full[i] = Tensor.wrap(scratch.asSlice(at, elements * Float.BYTES), fullShape(s));
            } else if (s.kept()) {
                full[i] = Tensor.wrap(kept.asSlice(keptOffset, elements * Float.BYTES), fullShape(s));
                keptOffset += Layout.alignedBytes(elements);
            } else {
                full[i] = Tensor.wrap(scratch.asSlice(scratchOffset, elements * Float.BYTES), fullShape(s));
                scratchOffset += Layout.alignedBytes(elements);
            }
        }
        for (int i = 0; i < n; i++) {
            Layout.Slot s = layout.slots.get(i);
            if (s.aliasOf() >= 0) {
                MemorySegment target = full[s.aliasOf()].segment();
                full[i] = Tensor.wrap(target.asSlice(0, s.elements(capacity) * Float.BYTES), fullShape(s));
            }
        }
        assert keptOffset == keptBytes && scratchOffset == scratchBytes;
    }

    private Shape fullShape(Layout.Slot s) {
        if (!s.perSample()) {
            return s.shape();
        }
        int[] d = s.shape().dims();
        int[] withBatch = new int[d.length + 1];
        withBatch[0] = capacity;
        System.arraycopy(d, 0, withBatch, 1, d.length);
        return Shape.of(withBatch);
    }

    /** The largest batch this context holds. */
    public int capacity() {
        return capacity;
    }

    /** The batch of the micro-batch now in this context. */
    public int batch() {
        return batch;
    }

    /** A key unique to the current training forward of this participant (seeds dropout masks). */
    public long forwardKey() {
        return forwardKey;
    }

    void setForwardKey(long key) {
        forwardKey = key;
    }

    /** Off-heap bytes this context holds. */
    public long byteSize() {
        return arena.allocatedBytes();
    }

    boolean belongsTo(Layout l) {
        return layout == l;
    }

    void setBatch(int n) {
        if (n < 1 || n > capacity) {
            throw new IllegalArgumentException("batch " + n + " does not fit a context of capacity " + capacity
                    + "; make the context with the largest micro-batch size");
        }
        batch = n;
    }

    /** Slot {@code slot} for the current batch: (batch, ...shape) for per-sample slots, the whole fixed slot otherwise. */
    public Tensor tensor(int slot) {
        Layout.Slot s = layout.slots.get(slot);
        if (!s.perSample()) {
            return full[slot];
        }
        if (viewBatch[slot] != batch) {
            views[slot] = full[slot].slice(0, batch);
            viewBatch[slot] = batch;
        }
        return views[slot];
    }

    /** Keeps a reference to a tensor (a layer's input) until backward. */
    public void keep(int reference, Tensor t) {
        references[reference] = t;
    }

    /** The tensor kept by {@link #keep}. */
    public Tensor kept(int reference) {
        return references[reference];
    }

    @Override
    public void close() {
        arena.close();
    }
}
