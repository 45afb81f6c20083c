package io.mpsl.nn;

import io.mpsl.tensor.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * What a segment's layers declared while being built: parameters and buffers (per participant) and activation
 * slots (per micro-batch). {@link ParameterState} and {@link ActivationContext} are carved from it.
 */
final class Layout {
    /** A trained tensor. */
    record Param(String name, Shape shape, Init init, int fanIn, int fanOut, int block) {
    }

    /** Untrained per-participant state (batch-norm running statistics). */
    record Buffer(String name, Shape shape, float value, int block) {
    }

    /**
     * An activation slot. Per-sample slots hold {@code capacity} samples of {@code shape}; fixed ones hold
     * {@code shape} once. An alias ({@code aliasOf >= 0}) shares the memory of another slot with its own shape.
     */
    record Slot(Shape shape, boolean perSample, boolean kept, int block, int aliasOf) {
        long elements(int capacity) {
            return perSample ? capacity * shape.size() : shape.size();
        }
    }

    final List<Param> params = new ArrayList<>();
    final List<Buffer> buffers = new ArrayList<>();
    final List<Slot> slots = new ArrayList<>();
    final int firstBlock;
    final int blockCount;
    int references;

    Layout(int firstBlock, int blockCount) {
        this.firstBlock = firstBlock;
        this.blockCount = blockCount;
    }

    /** Bytes a tensor of {@code elements} floats takes, rounded up to the tensor alignment. */
    static long alignedBytes(long elements) {
        long bytes = elements * Float.BYTES;
        return (bytes + 63) & ~63L;
    }

    long parameterBytes() {
        long b = 0;
        for (Param p : params) {
            b += alignedBytes(p.shape().size());
        }
        return b;
    }

    long parameterBytes(int block) {
        long b = 0;
        for (Param p : params) {
            if (p.block() == block) {
                b += alignedBytes(p.shape().size());
            }
        }
        return b;
    }

    long bufferBytes() {
        long b = 0;
        for (Buffer p : buffers) {
            b += alignedBytes(p.shape().size());
        }
        return b;
    }

    long parameterCount() {
        long n = 0;
        for (Param p : params) {
            n += p.shape().size();
        }
        return n;
    }

    /** Bytes of a context of this capacity: kept (true) or scratch (false) slots, aliases excluded. */
    long activationBytes(int capacity, boolean kept) {
        long b = 0;
        for (Slot s : slots) {
            if (s.aliasOf() < 0 && s.kept() == kept) {
                b += alignedBytes(s.elements(capacity));
            }
        }
        return b;
    }

    /** Per-sample bytes of one block's slots, kept or scratch, without alignment (for profiles). */
    long bytesPerSample(int block, boolean kept) {
        long b = 0;
        for (Slot s : slots) {
            if (s.aliasOf() < 0 && s.kept() == kept && s.perSample() && s.block() == block) {
                b += s.shape().size() * Float.BYTES;
            }
        }
        return b;
    }
}
