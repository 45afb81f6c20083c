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
     * Per-sample scratch slots sit at {@code scratchOffset} floats per sample in the scratch area, where slots of
     * sibling frames (passes that never run at the same time) overlap; other slots are laid out one after another.
     */
    record Slot(Shape shape, boolean perSample, boolean kept, int block, int aliasOf, long scratchOffset) {
        long elements(int capacity) {
            return perSample ? capacity * shape.size() : shape.size();
        }

        boolean stacked() {
            return aliasOf < 0 && perSample && !kept;
        }
    }

    final List<Param> params = new ArrayList<>();
    final List<Buffer> buffers = new ArrayList<>();
    final List<Slot> slots = new ArrayList<>();
    final int firstBlock;
    final int blockCount;
    int references;
    long scratchTop; // per-sample floats in use by the open frames
    long scratchHigh; // the most per-sample floats any nesting of frames needs

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

    /** Per-sample floats rounded up to whole 64-byte lines, so every stacked offset stays aligned. */
    static long alignedFloats(long floats) {
        return (floats + 15) & ~15L;
    }

    /** Adds a per-sample scratch slot on top of the open frames. */
    int stackScratch(Shape perSample, int block) {
        slots.add(new Slot(perSample, true, false, block, -1, scratchTop));
        scratchTop += alignedFloats(perSample.size());
        scratchHigh = Math.max(scratchHigh, scratchTop);
        return slots.size() - 1;
    }

    /** Bytes of the stacked per-sample scratch of a context of this capacity. */
    long stackedScratchBytes(int capacity) {
        return scratchHigh * capacity * Float.BYTES;
    }

    /**
     * Bytes of a context of this capacity: kept (true) or scratch (false) slots, aliases excluded; scratch is the
     * stacked per-sample area plus the fixed scratch slots.
     */
    long activationBytes(int capacity, boolean kept) {
        long b = kept ? 0 : stackedScratchBytes(capacity);
        for (Slot s : slots) {
            if (s.aliasOf() < 0 && s.kept() == kept && !s.stacked()) {
                b += alignedBytes(s.elements(capacity));
            }
        }
        return b;
    }

    /**
     * Per-sample bytes of one block's slots, kept or scratch, without alignment (for profiles). For scratch this is
     * the block's own slots added up, an upper bound: the segment overlaps scratch of passes that never run
     * together.
     */
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
