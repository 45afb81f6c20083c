package io.mpsl.nn.layers;

import io.mpsl.kernels.Backend;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Sequence;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import java.util.List;

/**
 * A residual connection: out = act(main(in) + shortcut(in)), act = ReLU or identity; an empty shortcut is the
 * identity, otherwise a projection (e.g. 1x1 conv + batch norm). Basic and bottleneck ResNet blocks and
 * MobileNet's inverted residuals are instances. Parameters are named "main.*" and "shortcut.*".
 */
public final class Residual implements Layer {
    public record Spec(List<LayerSpec> main, List<LayerSpec> shortcut, boolean relu) implements LayerSpec {
        public Spec {
            main = List.copyOf(main);
            shortcut = List.copyOf(shortcut);
        }

        @Override
        public String kind() {
            return "residual";
        }

        @Override
        public Shape outputShape(Shape in) {
            Shape a = in;
            for (LayerSpec l : main) {
                a = l.outputShape(a);
            }
            Shape s = in;
            for (LayerSpec l : shortcut) {
                s = l.outputShape(s);
            }
            if (!a.equals(s)) {
                throw new IllegalArgumentException("residual branches disagree: main gives " + a + ", shortcut " + s
                        + "; add a projection shortcut");
            }
            return a;
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new Residual(b, in, this);
        }
    }

    private final Backend backend;
    private final Shape in;
    private final Shape out;
    private final Sequence main;
    private final Sequence shortcut;
    private final boolean relu;
    private final int output;
    private final int gradSum; // scratch: gradient at the sum
    private final int gradShortcut; // scratch: shortcut's input gradient (projection only)

    Residual(LayerBuilder b, Shape in, Spec spec) {
        this.backend = b.backend();
        this.in = in;
        this.out = spec.outputShape(in);
        this.relu = spec.relu();
        // scratch live across both branches' passes first (the branch outputs, consumed by the sum and never read
        // by backward, and the gradients), then each branch in its own frame
        int mainOut = b.scratch(out);
        int shortcutOut = spec.shortcut().isEmpty() ? -1 : b.scratch(out);
        this.gradSum = relu ? b.scratch(out) : -1;
        this.gradShortcut = spec.shortcut().isEmpty() ? -1 : b.scratch(in);
        long mark = b.scratchMark();
        this.main = Sequence.of(b.scope("main"), in, spec.main(), mainOut);
        b.resetScratch(mark);
        this.shortcut = Sequence.of(b.scope("shortcut"), in, spec.shortcut(), shortcutOut);
        b.resetScratch(mark);
        this.output = b.kept(out);
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
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor x, boolean training) {
        Tensor a = main.forward(state, ctx, x, training);
        Tensor s = shortcut.forward(state, ctx, x, training);
        Tensor y = ctx.tensor(output);
        backend.add(y, a, s);
        if (relu) {
            backend.reluForward(y, y);
        }
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        Tensor g = dOut;
        if (relu) {
            g = ctx.tensor(gradSum);
            backend.reluBackward(g, dOut, ctx.tensor(output));
        }
        main.backward(state, ctx, g, dIn);
        if (gradShortcut < 0) {
            if (dIn != null) {
                backend.add(dIn, dIn, g);
            }
        } else if (dIn != null) {
            Tensor t = ctx.tensor(gradShortcut);
            shortcut.backward(state, ctx, g, t);
            backend.add(dIn, dIn, t);
        } else {
            shortcut.backward(state, ctx, g, null);
        }
    }
}
