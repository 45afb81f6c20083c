package io.mpsl.nn;

import io.mpsl.kernels.Backend;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One participant's state of one {@link Segment}: parameter values, their gradients, the optimizer's state and
 * untrained buffers (batch-norm running statistics), all carved from one allocation (values | gradients |
 * optimizer state | buffers, each tensor 64-byte aligned). Gradients accumulate over backward passes until
 * {@link #step()} and {@link #zeroGrad()}.
 *
 * <p>Initial values depend only on the seed and each parameter's block: block {@code i} draws from
 * {@code SeededRandom(mix(seed, i))} in declaration order, so a model built whole or as separate segments starts
 * from the same weights.
 */
public final class ParameterState implements AutoCloseable {
    private final Layout layout;
    private final Backend backend;
    private final OptimizerSpec optimizer;
    private final TensorArena arena;
    private final Tensor[] values;
    private final Tensor[] grads;
    private final Tensor[] moment1;
    private final Tensor[] moment2;
    private final Tensor[] buffers;
    private final long seed;
    private float learningRate;
    private int steps;
    private long trainingForwards;

    ParameterState(Layout layout, Backend backend, long seed, OptimizerSpec optimizer, MemoryAccount account) {
        this.layout = layout;
        this.backend = backend;
        this.optimizer = optimizer;
        this.learningRate = optimizer.learningRate();
        this.seed = seed;
        this.arena = new TensorArena(account);
        int n = layout.params.size();
        int stateTensors = optimizer.stateTensorsPerParameter();
        long paramBytes = layout.parameterBytes();
        long total = paramBytes * (2 + stateTensors) + layout.bufferBytes();
        MemorySegment memory = arena.allocateBytes(total);
        long[] offset = {0};
        values = new Tensor[n];
        grads = new Tensor[n];
        moment1 = stateTensors >= 1 ? new Tensor[n] : null;
        moment2 = stateTensors >= 2 ? new Tensor[n] : null;
        for (int i = 0; i < n; i++) {
            values[i] = carve(memory, offset, layout.params.get(i));
        }
        for (int i = 0; i < n; i++) {
            grads[i] = carve(memory, offset, layout.params.get(i));
        }
        for (int i = 0; moment1 != null && i < n; i++) {
            moment1[i] = carve(memory, offset, layout.params.get(i));
        }
        for (int i = 0; moment2 != null && i < n; i++) {
            moment2[i] = carve(memory, offset, layout.params.get(i));
        }
        buffers = new Tensor[layout.buffers.size()];
        for (int i = 0; i < buffers.length; i++) {
            Layout.Buffer b = layout.buffers.get(i);
            buffers[i] = Tensor.wrap(memory.asSlice(offset[0], b.shape().byteSize()), b.shape());
            offset[0] += Layout.alignedBytes(b.shape().size());
            buffers[i].fill(b.value());
        }
        assert offset[0] == total;
        initialise(seed);
    }

    private static Tensor carve(MemorySegment memory, long[] offset, Layout.Param p) {
        Tensor t = Tensor.wrap(memory.asSlice(offset[0], p.shape().byteSize()), p.shape());
        offset[0] += Layout.alignedBytes(p.shape().size());
        return t;
    }

    /** Re-draws every parameter from {@code seed} (see the class comment) and resets buffers and optimizer state. */
    public void initialise(long seed) {
        SeededRandom rng = null;
        int rngBlock = Integer.MIN_VALUE;
        for (int i = 0; i < values.length; i++) {
            Layout.Param p = layout.params.get(i);
            if (p.block() != rngBlock) {
                rngBlock = p.block();
                rng = new SeededRandom(SeededRandom.mix(seed, rngBlock));
            }
            p.init().fill(values[i], rng, p.fanIn(), p.fanOut());
            grads[i].zero();
            if (moment1 != null) {
                moment1[i].zero();
            }
            if (moment2 != null) {
                moment2[i].zero();
            }
        }
        for (int i = 0; i < buffers.length; i++) {
            buffers[i].fill(layout.buffers.get(i).value());
        }
        steps = 0;
        trainingForwards = 0;
    }

    public Tensor value(int index) {
        return values[index];
    }

    public Tensor grad(int index) {
        return grads[index];
    }

    public Tensor buffer(int index) {
        return buffers[index];
    }

    /** Number of parameter tensors. */
    public int size() {
        return values.length;
    }

    public String name(int index) {
        return layout.params.get(index).name();
    }

    public Backend backend() {
        return backend;
    }

    public OptimizerSpec optimizer() {
        return optimizer;
    }

    /** Optimizer steps taken (Adam's t). */
    public int steps() {
        return steps;
    }

    public float learningRate() {
        return learningRate;
    }

    /** Sets the learning rate of later steps (schedules). */
    public void setLearningRate(float lr) {
        this.learningRate = lr;
    }

    /** A key for the next training forward: mixes the seed and a count, so dropout masks differ per micro-batch. */
    long nextForwardKey() {
        return SeededRandom.mix(seed, trainingForwards++);
    }

    boolean belongsTo(Layout l) {
        return layout == l;
    }

    /** Sets every gradient to zero. */
    public void zeroGrad() {
        for (Tensor g : grads) {
            backend.zero(g);
        }
    }

    /** One optimizer update of every parameter from its accumulated gradient (gradients are left as they are). */
    public void step() {
        steps++;
        OptimizerSpec o = optimizer;
        for (int i = 0; i < values.length; i++) {
            if (o.kind() == OptimizerSpec.Kind.ADAM) {
                backend.adamStep(values[i], grads[i], moment1[i], moment2[i], learningRate, o.beta1(), o.beta2(), o.eps(),
                        o.weightDecay(), steps);
            } else {
                backend.sgdStep(values[i], grads[i], moment1 == null ? null : moment1[i], learningRate, o.momentum(),
                        o.weightDecay());
            }
        }
    }

    /**
     * Parameter values and buffers by stable name (e.g. "block3.conv.weight", "block4.bn.running_mean"), in
     * declaration order: what checkpoints and weight transfers address. The tensors are this state's own memory.
     */
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            m.put(layout.params.get(i).name(), values[i]);
        }
        for (int i = 0; i < buffers.length; i++) {
            m.put(layout.buffers.get(i).name(), buffers[i]);
        }
        return m;
    }

    /** Gradients by the name of their parameter. */
    public Map<String, Tensor> namedGradients() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < grads.length; i++) {
            m.put(layout.params.get(i).name(), grads[i]);
        }
        return m;
    }

    /**
     * Copies the named tensors this state has from {@code source} (e.g. a checkpoint, or another segment's
     * {@link #namedTensors()}); returns how many were copied. Throws on a shape mismatch.
     */
    public int load(Map<String, Tensor> source) {
        int copied = 0;
        for (Map.Entry<String, Tensor> e : namedTensors().entrySet()) {
            Tensor src = source.get(e.getKey());
            if (src != null) {
                if (!src.shape().equals(e.getValue().shape())) {
                    throw new IllegalArgumentException("tensor " + e.getKey() + " has shape " + src.shape()
                            + " but this model expects " + e.getValue().shape());
                }
                e.getValue().copyFrom(src);
                copied++;
            }
        }
        return copied;
    }

    /** Copies values, buffers, gradients and optimizer state from a state of the same segment layout. */
    public void copyFrom(ParameterState other) {
        if (other.layout != layout || other.optimizer.stateTensorsPerParameter() != optimizer.stateTensorsPerParameter()) {
            throw new IllegalArgumentException("states of different segments or optimizers cannot be copied");
        }
        for (int i = 0; i < values.length; i++) {
            values[i].copyFrom(other.values[i]);
            grads[i].copyFrom(other.grads[i]);
            if (moment1 != null) {
                moment1[i].copyFrom(other.moment1[i]);
            }
            if (moment2 != null) {
                moment2[i].copyFrom(other.moment2[i]);
            }
        }
        for (int i = 0; i < buffers.length; i++) {
            buffers[i].copyFrom(other.buffers[i]);
        }
        steps = other.steps;
        trainingForwards = other.trainingForwards;
        learningRate = other.learningRate;
    }

    /**
     * Optimizer state by parameter name, for checkpoints: "momentum.NAME" (SGD with momentum), or "adam_m.NAME" and
     * "adam_v.NAME" (Adam); empty for plain SGD. The tensors are this state's own memory.
     */
    public Map<String, Tensor> namedOptimizerState() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        String first = optimizer.kind() == OptimizerSpec.Kind.ADAM ? "adam_m." : "momentum.";
        for (int i = 0; moment1 != null && i < moment1.length; i++) {
            m.put(first + layout.params.get(i).name(), moment1[i]);
        }
        for (int i = 0; moment2 != null && i < moment2.length; i++) {
            m.put("adam_v." + layout.params.get(i).name(), moment2[i]);
        }
        return m;
    }

    /** Training forwards run through this state so far (the counter that seeds dropout masks). */
    public long trainingForwards() {
        return trainingForwards;
    }

    /** Restores the optimizer step count (Adam's t) and the dropout counter of a checkpoint. */
    public void restoreCounters(int steps, long trainingForwards) {
        if (steps < 0 || trainingForwards < 0) {
            throw new IllegalArgumentException("counters must not be negative: steps " + steps + ", forwards "
                    + trainingForwards);
        }
        this.steps = steps;
        this.trainingForwards = trainingForwards;
    }

    /** Number of trained scalars. */
    public long parameterCount() {
        return layout.parameterCount();
    }

    public long parameterBytes() {
        return layout.parameterBytes();
    }

    public long gradientBytes() {
        return layout.parameterBytes();
    }

    public long optimizerBytes() {
        return layout.parameterBytes() * optimizer.stateTensorsPerParameter();
    }

    public long bufferBytes() {
        return layout.bufferBytes();
    }

    /** Off-heap bytes this state holds, as its arena measured them. */
    public long byteSize() {
        return arena.allocatedBytes();
    }

    @Override
    public void close() {
        arena.close();
    }
}
