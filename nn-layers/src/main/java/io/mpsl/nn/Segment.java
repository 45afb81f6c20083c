package io.mpsl.nn;

import io.mpsl.kernels.Backend;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Blocks {@code [from, to)} of a {@link ModelSpec}, built for one backend: the code of a model part, with no
 * weights or activations of its own. Make one {@link ParameterState} per participant ({@link #newState}) and one
 * {@link ActivationContext} per micro-batch in flight ({@link #newContext}); any state works with any context.
 * Used by one compute thread at a time.
 */
public final class Segment {
    private final ModelSpec spec;
    private final int from;
    private final int to;
    private final Backend backend;
    private final Layout layout;
    private final Sequence[] blocks;
    private final int[] gradSlots; // gradSlots[i]: gradient at the input of blocks[i], i >= 1
    private final int inputGradSlot; // -1 if backward does not produce the input gradient
    private final Shape in;
    private final Shape out;

    Segment(ModelSpec spec, int from, int to, Backend backend, boolean inputGradient) {
        this.spec = spec;
        this.from = from;
        this.to = to;
        this.backend = backend;
        this.layout = new Layout(from, to - from);
        this.in = spec.inputShape(from);
        this.out = spec.inputShape(to);
        this.blocks = new Sequence[to - from];
        // the gradients between blocks are live across every block's backward: they go below the blocks' scratch
        LayerBuilder b = new LayerBuilder(backend, layout, "segment.", from);
        Shape[] shapes = new Shape[to - from + 1];
        for (int i = from; i <= to; i++) {
            shapes[i - from] = spec.inputShape(i);
        }
        this.gradSlots = Sequence.gradientSlots(b, shapes);
        long mark = b.scratchMark();
        for (int i = from; i < to; i++) {
            LayerBuilder blockBuilder = new LayerBuilder(backend, layout, "block" + i + ".", i);
            blocks[i - from] = Sequence.of(blockBuilder, spec.inputShape(i), spec.block(i).layers());
            b.resetScratch(mark);
        }
        // the input gradient outlives backward (it is sent on), so it is kept, not scratch
        this.inputGradSlot = inputGradient ? b.kept(in) : -1;
    }

    public ModelSpec spec() {
        return spec;
    }

    /** First block (inclusive). */
    public int from() {
        return from;
    }

    /** Last block (exclusive). */
    public int to() {
        return to;
    }

    public Backend backend() {
        return backend;
    }

    /** Per-sample input shape. */
    public Shape inputShape() {
        return in;
    }

    /** Per-sample output shape. */
    public Shape outputShape() {
        return out;
    }

    /** Whether {@link #backward} returns the gradient of the segment's input. */
    public boolean producesInputGradient() {
        return inputGradSlot >= 0;
    }

    /** A participant's parameters, gradients and optimizer state, initialised from {@code seed}. */
    public ParameterState newState(long seed, OptimizerSpec optimizer, MemoryAccount account) {
        return new ParameterState(layout, backend, seed, optimizer, account);
    }

    /** Activation buffers for micro-batches of up to {@code capacity} samples. */
    public ActivationContext newContext(int capacity, MemoryAccount account) {
        return new ActivationContext(layout, capacity, account, null);
    }

    /** A context whose scratch is {@code sharedScratch} (see {@link ContextPool}). */
    ActivationContext newContext(int capacity, MemoryAccount account, MemorySegment sharedScratch) {
        return new ActivationContext(layout, capacity, account, sharedScratch);
    }

    /** Bytes of scratch a context of this capacity uses. */
    long scratchBytes(int capacity) {
        return layout.activationBytes(capacity, false);
    }

    /** The bytes {@link #newState} and {@link #newContext} allocate, planned from the layout. */
    public MemoryReport memory(OptimizerSpec optimizer, int capacity) {
        long p = layout.parameterBytes();
        return new MemoryReport(p, p, p * optimizer.stateTensorsPerParameter(), layout.bufferBytes(),
                layout.activationBytes(capacity, true), layout.activationBytes(capacity, false));
    }

    /** Trained scalars in this segment. */
    public long parameterCount() {
        return layout.parameterCount();
    }

    /**
     * Runs the blocks on {@code input} (batch, ...inputShape) with batch up to the context's capacity. The output is
     * a view into {@code ctx}, valid until the next forward with it; {@code input} must stay unchanged until the
     * matching {@link #backward}.
     */
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor input, boolean training) {
        return forward(state, ctx, input, training, null);
    }

    /**
     * As {@link #forward(ParameterState, ActivationContext, Tensor, boolean)}, adding each block's wall time
     * ({@link System#nanoTime}) to {@code blockNs[i]} for block {@code from + i} when {@code blockNs} is not null:
     * the live profiler's hook. It allocates nothing and changes no result.
     */
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor input, boolean training, long[] blockNs) {
        check(state, ctx);
        if (input.shape().rank() < 1 || input.shape().innerSize() != in.size()) {
            throw new IllegalArgumentException("segment [" + from + ", " + to + ") of " + spec.name() + " takes (batch, "
                    + in.toString().substring(1) + " but got " + input.shape());
        }
        int n = input.shape().dim(0);
        ctx.setBatch(n);
        if (training) {
            ctx.setForwardKey(state.nextForwardKey());
        }
        Tensor x = input.shape().rank() == in.rank() + 1 && sameTail(input.shape(), in) ? input
                : input.view(Shapes.batched(n, in));
        for (int i = 0; i < blocks.length; i++) {
            long t0 = blockNs == null ? 0 : System.nanoTime();
            x = blocks[i].forward(state, ctx, x, training);
            if (blockNs != null) {
                blockNs[i] += System.nanoTime() - t0;
            }
        }
        return x;
    }

    /**
     * Backward of the micro-batch whose forward used {@code ctx}: adds parameter gradients into {@code state} and
     * returns the input gradient (a view into {@code ctx}), or null if this segment does not produce it.
     */
    public Tensor backward(ParameterState state, ActivationContext ctx, Tensor dOut) {
        return backward(state, ctx, dOut, null);
    }

    /**
     * As {@link #backward(ParameterState, ActivationContext, Tensor)}, adding each block's wall time to
     * {@code blockNs[i]} for block {@code from + i} when {@code blockNs} is not null (the live profiler's hook).
     */
    public Tensor backward(ParameterState state, ActivationContext ctx, Tensor dOut, long[] blockNs) {
        check(state, ctx);
        if (dOut.shape().dim(0) != ctx.batch() || dOut.shape().innerSize() != out.size()) {
            throw new IllegalArgumentException("gradient " + dOut.shape() + " does not match the output (" + ctx.batch()
                    + ", " + out.toString().substring(1) + " of the last forward");
        }
        Tensor g = sameTail(dOut.shape(), out) ? dOut : dOut.view(Shapes.batched(ctx.batch(), out));
        Tensor dIn = inputGradSlot >= 0 ? ctx.tensor(inputGradSlot) : null;
        for (int i = blocks.length - 1; i >= 0; i--) {
            long t0 = blockNs == null ? 0 : System.nanoTime();
            Tensor target = i == 0 ? dIn : ctx.tensor(gradSlots[i]);
            blocks[i].backward(state, ctx, g, target);
            g = target;
            if (blockNs != null) {
                blockNs[i] += System.nanoTime() - t0;
            }
        }
        return dIn;
    }

    private static boolean sameTail(Shape batched, Shape perSample) {
        if (batched.rank() != perSample.rank() + 1) {
            return false;
        }
        for (int i = 0; i < perSample.rank(); i++) {
            if (batched.dim(i + 1) != perSample.dim(i)) {
                return false;
            }
        }
        return true;
    }

    private void check(ParameterState state, ActivationContext ctx) {
        if (!ctx.belongsTo(layout) || !state.belongsTo(layout)) {
            throw new IllegalArgumentException("state or context was made by another segment than [" + from + ", " + to
                    + ") of " + spec.name());
        }
    }

    /**
     * Measures each block: runs {@code warmup} then {@code iterations} training forward and backward passes of
     * random inputs with {@code batch} samples, and reports mean times per sample with the block's memory figures.
     */
    public BlockProfile[] profile(int batch, int warmup, int iterations, long seed) {
        MemoryAccount account = MemoryAccount.root("profile");
        try (ParameterState state = newState(seed, OptimizerSpec.sgd(0f, 0f, 0f), account);
                ActivationContext ctx = newContext(batch, account);
                TensorArena arena = new TensorArena(account)) {
            Tensor x = arena.allocate(Shapes.batched(batch, in));
            Tensor dy = arena.allocate(Shapes.batched(batch, out));
            SeededRandom rng = new SeededRandom(seed);
            for (long i = 0; i < x.size(); i++) {
                x.set(i, (float) rng.nextGaussian());
            }
            for (long i = 0; i < dy.size(); i++) {
                dy.set(i, (float) rng.nextGaussian() / batch);
            }
            long[] fwd = new long[blocks.length];
            long[] bwd = new long[blocks.length];
            for (int it = 0; it < warmup + iterations; it++) {
                if (it == warmup) {
                    Arrays.fill(fwd, 0);
                    Arrays.fill(bwd, 0);
                }
                forward(state, ctx, x, true, fwd);
                backward(state, ctx, dy, bwd);
                state.zeroGrad();
            }
            long div = (long) Math.max(iterations, 1) * batch;
            BlockProfile[] result = new BlockProfile[blocks.length];
            for (int i = 0; i < blocks.length; i++) {
                result[i] = blockProfile(i, fwd[i] / div, bwd[i] / div);
            }
            return result;
        }
    }

    /** Each block's memory figures, without timing (times are -1). */
    public BlockProfile[] footprint() {
        BlockProfile[] result = new BlockProfile[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            result[i] = blockProfile(i, -1, -1);
        }
        return result;
    }

    private BlockProfile blockProfile(int i, long forwardNs, long backwardNs) {
        int block = from + i;
        return new BlockProfile(block, spec.block(block).label(), forwardNs, backwardNs,
                blocks[i].outputShape().byteSize(), layout.parameterBytes(block), layout.bytesPerSample(block, true),
                layout.bytesPerSample(block, false));
    }

    @Override
    public String toString() {
        return spec.name() + "[" + from + ", " + to + ") " + in + " -> " + out;
    }
}
