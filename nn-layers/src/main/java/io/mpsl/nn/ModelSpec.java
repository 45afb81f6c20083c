package io.mpsl.nn;

import io.mpsl.kernels.Backend;
import io.mpsl.tensor.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * A model as a list of blocks, with the per-sample shape between every two of them. Any contiguous segment of
 * blocks can be built on its own ({@link #build(int, int, Backend)}), so a data owner, each hop and the tail
 * build only their part; parameter names ("block3.conv.weight") and initial values do not depend on the cut.
 */
public final class ModelSpec {
    private final String name;
    private final int classes;
    private final List<BlockSpec> blocks;
    private final Shape[] shapes; // shapes[i]: input of block i; shapes[n]: model output

    public ModelSpec(String name, Shape inputShape, int classes, List<BlockSpec> blocks) {
        this.name = name;
        this.classes = classes;
        this.blocks = List.copyOf(blocks);
        this.shapes = new Shape[blocks.size() + 1];
        shapes[0] = inputShape;
        for (int i = 0; i < blocks.size(); i++) {
            Shape s = shapes[i];
            for (LayerSpec l : blocks.get(i).layers()) {
                try {
                    s = l.outputShape(s);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(name + " block " + i + " (" + blocks.get(i).label() + "): "
                            + e.getMessage(), e);
                }
            }
            shapes[i + 1] = s;
        }
    }

    /** Starts a model description for this per-sample input shape. */
    public static Builder builder(String name, Shape inputShape, int classes) {
        return new Builder(name, inputShape, classes);
    }

    public String name() {
        return name;
    }

    public int classes() {
        return classes;
    }

    public int blockCount() {
        return blocks.size();
    }

    public BlockSpec block(int i) {
        return blocks.get(i);
    }

    public List<BlockSpec> blocks() {
        return blocks;
    }

    /** Per-sample input shape of block {@code i}; {@code i == blockCount()} gives the model's output shape. */
    public Shape inputShape(int i) {
        return shapes[i];
    }

    public Shape inputShape() {
        return shapes[0];
    }

    public Shape outputShape() {
        return shapes[shapes.length - 1];
    }

    /** Blocks {@code [from, to)}; backward returns the input gradient unless {@code from == 0}. */
    public Segment build(int from, int to, Backend backend) {
        return build(from, to, backend, from > 0);
    }

    /** Blocks {@code [from, to)}, choosing whether backward produces the gradient of the segment's input. */
    public Segment build(int from, int to, Backend backend, boolean inputGradient) {
        if (from < 0 || to > blocks.size() || from >= to) {
            throw new IllegalArgumentException("segment [" + from + ", " + to + ") is not within the " + blocks.size()
                    + " blocks of " + name);
        }
        return new Segment(this, from, to, backend, inputGradient);
    }

    /** The whole model. */
    public Segment build(Backend backend) {
        return build(0, blocks.size(), backend);
    }

    /** Measures every block of the whole model (see {@link Segment#profile}). */
    public BlockProfile[] profile(Backend backend, int batch, int warmup, int iterations, long seed) {
        return build(backend).profile(batch, warmup, iterations, seed);
    }

    /** One line per block: index, label, output shape. */
    public String describe() {
        StringBuilder sb = new StringBuilder(name).append(' ').append(shapes[0]).append('\n');
        for (int i = 0; i < blocks.size(); i++) {
            sb.append(String.format("  %2d %-40s -> %s%n", i, blocks.get(i).label(), shapes[i + 1]));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return name + shapes[0] + " -> " + outputShape() + " in " + blocks.size() + " blocks";
    }

    /** Collects blocks in order. */
    public static final class Builder {
        private final String name;
        private final Shape inputShape;
        private final int classes;
        private final List<BlockSpec> blocks = new ArrayList<>();

        private Builder(String name, Shape inputShape, int classes) {
            this.name = name;
            this.inputShape = inputShape;
            this.classes = classes;
        }

        public Builder block(String label, LayerSpec... layers) {
            blocks.add(new BlockSpec(label, List.of(layers)));
            return this;
        }

        public Builder block(String label, List<LayerSpec> layers) {
            blocks.add(new BlockSpec(label, layers));
            return this;
        }

        public ModelSpec build() {
            return new ModelSpec(name, inputShape, classes, blocks);
        }
    }
}
