package io.mpsl.kernels.cpu;

import io.mpsl.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A scratch buffer that grows to the largest size asked for and is then reused, so calls after warm-up
 * allocate nothing. Its memory is shared so the backend's worker threads can use it.
 */
final class Workspace implements AutoCloseable {
    private Arena arena;
    private MemorySegment segment = MemorySegment.NULL;

    /** A buffer of at least {@code floats} elements; its contents are unspecified. */
    MemorySegment floats(long floats) {
        long bytes = floats * Float.BYTES;
        if (segment.byteSize() < bytes) {
            close();
            arena = Arena.ofShared();
            segment = arena.allocate(bytes, Tensor.ALIGNMENT_BYTES);
        }
        return segment;
    }

    long byteSize() {
        return segment.byteSize();
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
            arena = null;
            segment = MemorySegment.NULL;
        }
    }
}
