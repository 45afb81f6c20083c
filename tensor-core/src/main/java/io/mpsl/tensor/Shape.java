package io.mpsl.tensor;

import java.util.Arrays;

/** An immutable tensor shape: dimensions in row-major order, outermost first. */
public final class Shape {
    private final int[] dims;
    private final long size;

    private Shape(int[] dims) {
        long s = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("negative dimension " + dims[i] + " at axis " + i + " in " + Arrays.toString(dims));
            }
            s = Math.multiplyExact(s, dims[i]);
        }
        this.dims = dims;
        this.size = s;
    }

    /** A shape with the given dimensions, outermost first. */
    public static Shape of(int... dims) {
        return new Shape(dims.clone());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis < 0 ? dims.length + axis : axis];
    }

    /** Number of elements. */
    public long size() {
        return size;
    }

    /** Number of bytes for float32 elements. */
    public long byteSize() {
        return size * Float.BYTES;
    }

    /** Elements per index of the outermost axis (the size of one sample when axis 0 is the batch). */
    public long innerSize() {
        return dims.length == 0 ? 1 : (dims[0] == 0 ? 0 : size / dims[0]);
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /** This shape with axis 0 replaced by {@code n} (e.g. a micro-batch of a batch). */
    public Shape withBatch(int n) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("a scalar shape () has no batch axis to replace with " + n);
        }
        int[] d = dims.clone();
        d[0] = n;
        return new Shape(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(dims[i]);
        }
        return sb.append(dims.length == 1 ? ",)" : ")").toString();
    }
}
