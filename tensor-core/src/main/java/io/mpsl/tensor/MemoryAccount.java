package io.mpsl.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live and peak off-heap bytes of one owner (a node, a participant, a model part, a pool). Accounts form a
 * tree: bytes charged to a child are charged to every ancestor too, so a node's account is the measured
 * "memory per compute node". Thread-safe; charging is two atomic updates per level.
 */
public final class MemoryAccount {
    private final String name;
    private final MemoryAccount parent;
    private final List<MemoryAccount> children = new ArrayList<>();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong peakBytes = new AtomicLong();

    private MemoryAccount(String name, MemoryAccount parent) {
        this.name = name;
        this.parent = parent;
    }

    /** A top-level account (e.g. one per process or node). */
    public static MemoryAccount root(String name) {
        return new MemoryAccount(name, null);
    }

    /** A child account whose charges also count against this one. */
    public MemoryAccount child(String childName) {
        MemoryAccount c = new MemoryAccount(childName, this);
        synchronized (children) {
            children.add(c);
        }
        return c;
    }

    public String name() {
        return name;
    }

    public MemoryAccount parent() {
        return parent;
    }

    public List<MemoryAccount> children() {
        synchronized (children) {
            return List.copyOf(children);
        }
    }

    public long liveBytes() {
        return liveBytes.get();
    }

    public long peakBytes() {
        return peakBytes.get();
    }

    /** Resets the peak to the current live bytes (e.g. at the start of a measured phase), here and below. */
    public void resetPeak() {
        peakBytes.set(liveBytes.get());
        for (MemoryAccount c : children()) {
            c.resetPeak();
        }
    }

    void charge(long bytes) {
        for (MemoryAccount a = this; a != null; a = a.parent) {
            long live = a.liveBytes.addAndGet(bytes);
            a.peakBytes.accumulateAndGet(live, Math::max);
        }
    }

    void release(long bytes) {
        for (MemoryAccount a = this; a != null; a = a.parent) {
            long live = a.liveBytes.addAndGet(-bytes);
            assert live >= 0 : "account " + a.name + " released more than it holds";
        }
    }

    @Override
    public String toString() {
        return name + "[live=" + liveBytes.get() + "B, peak=" + peakBytes.get() + "B]";
    }
}
