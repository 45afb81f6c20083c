package io.mpsl.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Owns the memory of the tensors it allocates, all freed together by {@link #close()}. Every byte is charged
 * to a {@link MemoryAccount}. The underlying arena is shared, so tensors may be read and written by the
 * compute and communication threads of one node; allocation itself is thread-safe.
 */
public final class TensorArena implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemoryAccount account;
    private long allocatedBytes;
    private boolean closed;

    public TensorArena(MemoryAccount account) {
        this.account = account;
    }

    public MemoryAccount account() {
        return account;
    }

    public Tensor allocate(Shape shape) {
        return allocate(shape, DType.F32);
    }

    public Tensor allocate(int... dims) {
        return allocate(Shape.of(dims), DType.F32);
    }

    /** A zero-filled, 64-byte-aligned tensor. */
    public Tensor allocate(Shape shape, DType dtype) {
        return Tensor.wrap(allocateBytes(shape.size() * dtype.byteSize()), shape, dtype);
    }

    /** Raw zero-filled 64-byte-aligned memory (workspaces, packed panels), charged to this arena's account. */
    public synchronized MemorySegment allocateBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes in the arena of " + account.name());
        }
        if (closed) {
            throw new IllegalStateException("arena of " + account.name() + " is closed");
        }
        MemorySegment s = arena.allocate(Math.max(bytes, 1), Tensor.ALIGNMENT_BYTES);
        account.charge(bytes);
        allocatedBytes += bytes;
        return bytes == s.byteSize() ? s : s.asSlice(0, bytes);
    }

    public synchronized long allocatedBytes() {
        return allocatedBytes;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
            account.release(allocatedBytes);
            allocatedBytes = 0;
        }
    }
}
