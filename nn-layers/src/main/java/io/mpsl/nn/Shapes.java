package io.mpsl.nn;

import io.mpsl.tensor.Shape;

/** Shape helpers for per-sample shapes. */
public final class Shapes {
    private Shapes() {
    }

    /** (batch, ...perSample). */
    public static Shape batched(int batch, Shape perSample) {
        int[] d = perSample.dims();
        int[] b = new int[d.length + 1];
        b[0] = batch;
        System.arraycopy(d, 0, b, 1, d.length);
        return Shape.of(b);
    }

    /** Requires a (channels, height, width) shape; the message names the layer that needs it. */
    public static Shape requireImage(Shape s, String layer) {
        if (s.rank() != 3) {
            throw new IllegalArgumentException(layer + " needs a per-sample (channels, height, width) input, got " + s);
        }
        return s;
    }
}
