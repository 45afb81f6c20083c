package io.mpsl.scheduler.runtime;

import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Segment;
import io.mpsl.nn.SoftmaxCrossEntropy;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import java.util.ArrayDeque;

/**
 * One pipeline stage on one node: a {@link Segment} with one parameter state per participant (or one shared
 * by all), and a fixed set of activation slots shared by every participant. A participant reserves its
 * schedule's window of slots when its node admits it for a mini-batch (or else at its first forward) and gives
 * them back at its optimizer step, so a node's activation memory is bounded by slots, not by the number of participants, and no
 * participant can be starved half-way through its window (which could deadlock a GPipe schedule).
 */
final class StageExecutor implements AutoCloseable {

    /** Activation buffers of one micro-batch in flight. */
    static final class Slot {
        final ActivationContext context;
        final SoftmaxCrossEntropy loss; // on the loss stage only
        Message input; // the received message whose tensors forward keeps referring to
        Tensor labels;

        Slot(ActivationContext context, SoftmaxCrossEntropy loss) {
            this.context = context;
            this.loss = loss;
        }
    }

    final int stage;
    final Segment segment;
    final boolean lossStage;
    /** The live profiler's times of this stage's blocks, from its real steps. */
    final BlockClock clock;
    private final ParameterState[] states;
    private final ArrayDeque<Slot> free = new ArrayDeque<>();
    private final ArrayDeque<Slot>[] reserved;
    private final boolean[] holding; // the participant's window is reserved (some of it may be in flight)
    private final Slot[][] inFlight; // [participant][micro-batch]
    private final int window;
    private final int slotCount;
    private double lossSum;
    private long lossSamples;
    private long correct;

    /**
     * @param only the one participant whose state this executor holds (an owner's stages), or -1 for all
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    StageExecutor(int stage, Segment segment, boolean lossStage, int participants, int only, boolean shared,
            long seed, OptimizerSpec optimizer, int capacity, int maxMicroBatches, int window, int slots,
            MemoryAccount params, MemoryAccount activations) {
        this.stage = stage;
        this.segment = segment;
        this.lossStage = lossStage;
        this.window = window;
        this.slotCount = Math.max(slots, window);
        this.clock = new BlockClock(segment.from(), segment.to() - segment.from(), segment.backend().threads() <= 1);
        this.states = new ParameterState[participants];
        for (int p = 0; p < participants; p++) {
            if (only < 0 || p == only) {
                states[p] = shared && p > 0 ? states[0] : segment.newState(seed, optimizer, params);
            }
        }
        for (int i = 0; i < slotCount; i++) {
            free.add(new Slot(segment.newContext(capacity, activations),
                    lossStage ? new SoftmaxCrossEntropy(segment.backend(), segment.spec().classes(), capacity, activations)
                            : null));
        }
        this.holding = new boolean[participants];
        this.reserved = new ArrayDeque[participants];
        for (int p = 0; p < participants; p++) {
            reserved[p] = new ArrayDeque<>(window);
        }
        this.inFlight = new Slot[participants][maxMicroBatches];
    }

    ParameterState state(int participant) {
        return states[participant];
    }

    int slotCount() {
        return slotCount;
    }

    /** Slots a participant reserves for one mini-batch. */
    int window() {
        return window;
    }

    /** Whether a participant's window can be reserved now. */
    boolean canReserve() {
        return free.size() >= window;
    }

    /**
     * Reserves a participant's window now (a compute node admitting it for its next mini-batch), before its
     * first activation arrives; {@link #step} gives the window back.
     */
    void reserve(int participant) {
        ArrayDeque<Slot> mine = reserved[participant];
        if (!mine.isEmpty() || holding[participant]) {
            throw new IllegalStateException("stage " + stage + ": participant " + participant
                    + " reserved its window twice");
        }
        if (free.size() < window) {
            throw new IllegalStateException("stage " + stage + ": " + free.size() + " free activation slots, a window is "
                    + window);
        }
        for (int i = 0; i < window; i++) {
            mine.add(free.pop());
        }
        holding[participant] = true;
    }

    /** Whether a forward of this participant could start now (its window is reserved, or can be). */
    boolean canForward(int participant) {
        return holding[participant] ? !reserved[participant].isEmpty() : free.size() >= window;
    }

    /**
     * Forward of one micro-batch; returns the output (a view into the slot, valid until its backward) or,
     * on the loss stage, the logits after the loss was computed. {@code input} (and {@code labels}) must stay
     * unchanged until the backward; {@code message}, if any, is released after it.
     */
    Tensor forward(int participant, int microBatch, Tensor input, Tensor labels, Message message) {
        ArrayDeque<Slot> mine = reserved[participant];
        if (!holding[participant]) {
            reserve(participant);
        }
        Slot slot = mine.pop();
        slot.input = message;
        slot.labels = labels;
        inFlight[participant][microBatch] = slot;
        long[] blockNs = clock.begin();
        Tensor out = segment.forward(states[participant], slot.context, input, true, blockNs);
        clock.endForward(slot.context.batch());
        if (lossStage) {
            lossSum += slot.loss.forward(out, labels);
            lossSamples += labels.size();
            correct += SoftmaxCrossEntropy.correct(out, labels);
        }
        return out;
    }

    /**
     * Backward of one micro-batch: from {@code dOut}, or on the loss stage from the loss with
     * {@code lossScale} (1 / mini-batch). Returns the input gradient (a view into the slot's context, valid
     * until the slot is reused) or null on a first stage.
     */
    Tensor backward(int participant, int microBatch, Tensor dOut, float lossScale) {
        Slot slot = inFlight[participant][microBatch];
        if (slot == null) {
            throw new IllegalStateException("stage " + stage + ": backward of micro-batch " + microBatch
                    + " of participant " + participant + " without its forward");
        }
        Tensor g = lossStage ? slot.loss.backward(slot.labels, lossScale) : dOut;
        long[] blockNs = clock.begin();
        Tensor dIn = segment.backward(states[participant], slot.context, g, blockNs);
        clock.endBackward(slot.context.batch());
        return dIn;
    }

    /** Releases the slot of a micro-batch whose backward output has been consumed. */
    void finish(int participant, int microBatch) {
        Slot slot = inFlight[participant][microBatch];
        inFlight[participant][microBatch] = null;
        if (slot.input != null) {
            slot.input.release();
            slot.input = null;
        }
        slot.labels = null;
        reserved[participant].add(slot);
    }

    /** Optimizer step of the accumulated gradients, zeroes them, and gives the window's slots back. */
    void step(int participant) {
        ParameterState s = states[participant];
        clock.beginStep();
        s.step();
        s.zeroGrad();
        clock.endStep();
        ArrayDeque<Slot> mine = reserved[participant];
        while (!mine.isEmpty()) {
            free.add(mine.pop());
        }
        holding[participant] = false;
    }

    /** Sum of losses, samples and correct predictions since the last call (loss stage only). */
    double[] takeLossStats() {
        double[] r = {lossSum, lossSamples, correct};
        lossSum = 0;
        lossSamples = 0;
        correct = 0;
        return r;
    }

    @Override
    public void close() {
        for (Slot s : free) {
            s.context.close();
            if (s.loss != null) {
                s.loss.close();
            }
        }
        for (int p = 0; p < states.length; p++) {
            if (states[p] != null && (p == 0 || states[p] != states[0])) {
                states[p].close();
            }
        }
    }
}
