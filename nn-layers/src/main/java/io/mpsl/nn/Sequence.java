package io.mpsl.nn;

import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Layers run one after another. Backward passes the gradient between children through two scratch buffers used
 * in turn (ping-pong), so a sequence keeps nothing of its own for backward. An empty sequence is the identity.
 */
public final class Sequence implements Layer {
    private final Layer[] layers;
    private final int[] gradSlots; // gradSlots[i]: dIn of layer i (i >= 1), an alias of one of two scratch slots
    private final Shape in;
    private final Shape out;

    /**
     * Builds {@code specs} in order; a child is named by its kind, with a 1-based ordinal if the kind repeats. The
     * output of a child followed by one that does not keep its input goes to one of two transient scratch buffers
     * (used in turn) rather than to a kept buffer: conv-bn-relu keeps batch norm's normalised input and the ReLU
     * output, not the convolution and batch-norm outputs. A child that can apply the next one in its own output
     * pass ({@link LayerSpec#canApply}: a convolution and its ReLU) does, keeps that output, and the next passes
     * it on: one pass and one buffer fewer, the same numbers.
     */
    public static Sequence of(LayerBuilder b, Shape in, List<LayerSpec> specs) {
        return of(b, in, specs, -1);
    }

    /**
     * As {@link #of(LayerBuilder, Shape, List)}, with the last child's output in scratch slot {@code outputSlot}
     * (if it is not -1 and the last child lets its output be transient): for a caller that consumes the output
     * at once and keeps nothing of it, such as a residual connection's sum.
     */
    public static Sequence of(LayerBuilder b, Shape in, List<LayerSpec> specs, int outputSlot) {
        Map<String, Integer> counts = new HashMap<>();
        for (LayerSpec s : specs) {
            counts.merge(s.kind(), 1, Integer::sum);
        }
        int n = specs.size();
        Shape[] shapes = new Shape[n + 1]; // shapes[i]: input of child i
        shapes[0] = in;
        boolean[] transientOut = new boolean[n];
        boolean[] applying = new boolean[n]; // child i applies child i + 1 in its output pass
        long largest = 0;
        boolean consecutive = false;
        for (int i = 0; i < n; i++) {
            shapes[i + 1] = specs.get(i).outputShape(shapes[i]);
            applying[i] = i + 1 < n && specs.get(i).canApply(specs.get(i + 1));
            transientOut[i] = i + 1 < n && !specs.get(i + 1).keepsInput() && !applying[i];
            if (transientOut[i]) {
                largest = Math.max(largest, shapes[i + 1].size());
                consecutive |= i > 0 && transientOut[i - 1];
            }
        }
        // the sequence's own scratch (live across its children's passes) first, then each child in its own frame
        int[] transientSlots = new int[2];
        if (largest > 0) {
            transientSlots[0] = b.scratch(Shape.of(Math.toIntExact(largest)));
            transientSlots[1] = consecutive ? b.scratch(Shape.of(Math.toIntExact(largest))) : transientSlots[0];
        }
        int[] gradSlots = gradientSlots(b, shapes);
        Map<String, Integer> seen = new HashMap<>();
        Layer[] layers = new Layer[n];
        long mark = b.scratchMark();
        for (int i = 0; i < n; i++) {
            LayerSpec s = specs.get(i);
            int ordinal = seen.merge(s.kind(), 1, Integer::sum);
            String name = counts.get(s.kind()) > 1 ? s.kind() + ordinal : s.kind();
            LayerBuilder child = b.scope(name);
            if (transientOut[i]) {
                child = child.withTransientOutput(transientSlots[i & 1]);
            } else if (i == n - 1 && outputSlot >= 0) {
                child = child.withTransientOutput(outputSlot);
            }
            if (applying[i]) {
                layers[i] = s.createApplying(child, shapes[i]);
            } else if (i > 0 && applying[i - 1]) {
                layers[i] = s.createApplied(child, shapes[i]);
            } else {
                layers[i] = s.create(child, shapes[i]);
            }
            b.resetScratch(mark);
        }
        return new Sequence(in, layers, gradSlots);
    }

    /**
     * Two per-sample scratch buffers used in turn for the gradients between consecutive children ({@code shapes[i]}
     * is child i's input); returns, for each child i >= 1, an alias of one of them shaped as its input.
     */
    static int[] gradientSlots(LayerBuilder b, Shape[] shapes) {
        int n = shapes.length - 1;
        int[] slots = new int[Math.max(n, 0)];
        long largest = 0;
        for (int i = 1; i < n; i++) {
            largest = Math.max(largest, shapes[i].size());
        }
        if (n > 1) {
            Shape flat = Shape.of(Math.toIntExact(largest));
            int ping = b.scratch(flat);
            int pong = n > 2 ? b.scratch(flat) : ping;
            for (int i = 1; i < n; i++) {
                slots[i] = b.alias((i & 1) == 1 ? ping : pong, shapes[i]);
            }
        }
        return slots;
    }

    private Sequence(Shape in, Layer[] layers, int[] gradSlots) {
        this.layers = layers;
        this.in = in;
        this.out = layers.length == 0 ? in : layers[layers.length - 1].outputShape();
        this.gradSlots = gradSlots;
    }

    public int size() {
        return layers.length;
    }

    public Layer layer(int i) {
        return layers[i];
    }

    @Override
    public Shape inputShape() {
        return in;
    }

    @Override
    public Shape outputShape() {
        return out;
    }

    @Override
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor input, boolean training) {
        Tensor x = input;
        for (Layer l : layers) {
            x = l.forward(state, ctx, x, training);
        }
        return x;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (layers.length == 0) {
            if (dIn != null) {
                dIn.copyFrom(dOut);
            }
            return;
        }
        Tensor g = dOut;
        for (int i = layers.length - 1; i >= 0; i--) {
            Tensor target = i == 0 ? dIn : ctx.tensor(gradSlots[i]);
            layers[i].backward(state, ctx, g, target);
            g = target;
        }
    }
}
