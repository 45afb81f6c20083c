package io.mpsl.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A dense row-major tensor over an off-heap {@link MemorySegment}. A tensor does not own its memory: the
 * {@link TensorArena} or {@link TensorPool} that made it does, and views ({@link #slice}, {@link #view})
 * share it. Element access is by flat index; kernels work on {@link #segment()} directly.
 */
public final class Tensor {
    /** Alignment of every tensor an arena allocates: one cache line, and one AVX-512 vector. */
    public static final long ALIGNMENT_BYTES = 64;

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    private final MemorySegment segment;
    private final Shape shape;
    private final DType dtype;

    Tensor(MemorySegment segment, Shape shape, DType dtype) {
        if (segment.byteSize() != shape.size() * dtype.byteSize()) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes does not fit shape " + shape
                    + " of " + dtype);
        }
        this.segment = segment;
        this.shape = shape;
        this.dtype = dtype;
    }

    /** Wraps memory owned elsewhere (e.g. a received frame's buffer, a mapped file). */
    public static Tensor wrap(MemorySegment segment, Shape shape, DType dtype) {
        return new Tensor(segment, shape, dtype);
    }

    /** Wraps float32 memory owned elsewhere. */
    public static Tensor wrap(MemorySegment segment, Shape shape) {
        return new Tensor(segment, shape, DType.F32);
    }

    public MemorySegment segment() {
        return segment;
    }

    public Shape shape() {
        return shape;
    }

    public DType dtype() {
        return dtype;
    }

    /** Number of elements. */
    public long size() {
        return shape.size();
    }

    public long byteSize() {
        return segment.byteSize();
    }

    public float get(long index) {
        return segment.getAtIndex(F32, index);
    }

    public void set(long index, float value) {
        segment.setAtIndex(F32, index, value);
    }

    public int getInt(long index) {
        return segment.getAtIndex(I32, index);
    }

    public void setInt(long index, int value) {
        segment.setAtIndex(I32, index, value);
    }

    public Tensor fill(float value) {
        if (value == 0f) {
            segment.fill((byte) 0);
        } else {
            for (long i = 0, n = size(); i < n; i++) {
                segment.setAtIndex(F32, i, value);
            }
        }
        return this;
    }

    public Tensor zero() {
        segment.fill((byte) 0);
        return this;
    }

    /** Copies all elements of {@code src}, which must have as many bytes. */
    public Tensor copyFrom(Tensor src) {
        if (src.byteSize() != byteSize()) {
            throw new IllegalArgumentException("cannot copy " + src.shape + " into " + shape);
        }
        segment.copyFrom(src.segment);
        return this;
    }

    public Tensor copyFrom(float[] src) {
        if (src.length != size()) {
            throw new IllegalArgumentException("cannot copy " + src.length + " floats into " + shape);
        }
        MemorySegment.copy(src, 0, segment, F32, 0, src.length);
        return this;
    }

    public Tensor copyFrom(int[] src) {
        if (src.length != size()) {
            throw new IllegalArgumentException("cannot copy " + src.length + " ints into " + shape);
        }
        MemorySegment.copy(src, 0, segment, I32, 0, src.length);
        return this;
    }

    public float[] toFloatArray() {
        float[] a = new float[Math.toIntExact(size())];
        MemorySegment.copy(segment, F32, 0, a, 0, a.length);
        return a;
    }

    public int[] toIntArray() {
        int[] a = new int[Math.toIntExact(size())];
        MemorySegment.copy(segment, I32, 0, a, 0, a.length);
        return a;
    }

    /** A view of rows {@code [from, to)} of axis 0, sharing memory (a micro-batch of a batch). */
    public Tensor slice(int from, int to) {
        if (shape.rank() == 0) {
            throw new IllegalArgumentException("cannot slice a scalar tensor " + shape);
        }
        if (from < 0 || to > shape.dim(0) || from > to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of axis 0 of " + shape);
        }
        long rowBytes = shape.innerSize() * dtype.byteSize();
        return new Tensor(segment.asSlice(from * rowBytes, (to - from) * rowBytes), shape.withBatch(to - from), dtype);
    }

    /** A view with another shape of the same size, sharing memory. */
    public Tensor view(Shape newShape) {
        if (newShape.size() != shape.size()) {
            throw new IllegalArgumentException("cannot view " + shape + " as " + newShape);
        }
        return new Tensor(segment, newShape, dtype);
    }

    public Tensor view(int... dims) {
        return view(Shape.of(dims));
    }

    /** The sum of squares of all elements, in double. */
    public double squaredNorm() {
        double s = 0;
        for (long i = 0, n = size(); i < n; i++) {
            double v = segment.getAtIndex(F32, i);
            s += v * v;
        }
        return s;
    }

    @Override
    public String toString() {
        return "Tensor" + shape + " " + dtype;
    }
}
