package io.mpsl.nn.layers;

import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.SeededRandom;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Inverted dropout: in training out = in * mask, mask = 1 / (1 - p) with probability 1 - p, else 0; identity in
 * evaluation. The mask is drawn from (the context's forward key, this layer's name), so the same seed and
 * schedule give the same masks, and it is kept in the context for backward.
 */
public final class Dropout implements Layer {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public record Spec(float p) implements LayerSpec {
        public Spec {
            if (!(p >= 0 && p < 1)) {
                throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
            }
        }

        @Override
        public String kind() {
            return "dropout";
        }

        @Override
        public Shape outputShape(Shape in) {
            return in;
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new Dropout(b, in, p);
        }
    }

    private final Shape shape;
    private final float p;
    private final long nameKey;
    private final int output;
    private final int mask;
    private final int training; // reference slot: the mask if the last forward was training, else null

    Dropout(LayerBuilder b, Shape shape, float p) {
        this.shape = shape;
        this.p = p;
        this.nameKey = b.name("").hashCode();
        this.output = b.output(shape);
        this.mask = b.kept(shape);
        this.training = b.reference();
    }

    @Override
    public Shape inputShape() {
        return shape;
    }

    @Override
    public Shape outputShape() {
        return shape;
    }

    @Override
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor in, boolean train) {
        if (!train || p == 0f) {
            ctx.keep(training, null);
            return in;
        }
        Tensor m = ctx.tensor(mask);
        Tensor y = ctx.tensor(output);
        ctx.keep(training, m);
        // SplitMix64 inlined (the same stream as SeededRandom.nextFloat) so a forward allocates nothing
        long stream = SeededRandom.mix(ctx.forwardKey(), nameKey);
        float scale = 1f / (1f - p);
        MemorySegment ms = m.segment();
        MemorySegment xs = in.segment();
        MemorySegment ys = y.segment();
        for (long i = 0, n = m.size(); i < n; i++) {
            stream += 0x9E3779B97F4A7C15L;
            float u = (SeededRandom.mix64(stream) >>> 40) * 0x1.0p-24f;
            float k = u >= p ? scale : 0f;
            ms.setAtIndex(F, i, k);
            ys.setAtIndex(F, i, xs.getAtIndex(F, i) * k);
        }
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (dIn == null) {
            return;
        }
        Tensor m = ctx.kept(training);
        if (m == null) {
            dIn.copyFrom(dOut);
            return;
        }
        MemorySegment ms = m.segment();
        MemorySegment gs = dOut.segment();
        MemorySegment ds = dIn.segment();
        for (long i = 0, n = m.size(); i < n; i++) {
            ds.setAtIndex(F, i, gs.getAtIndex(F, i) * ms.getAtIndex(F, i));
        }
    }
}
