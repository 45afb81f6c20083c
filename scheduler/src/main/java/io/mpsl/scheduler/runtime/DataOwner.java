package io.mpsl.scheduler.runtime;

import io.mpsl.nn.ParameterState;
import io.mpsl.nn.data.BatchLoader;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.schedule.Instruction;
import io.mpsl.scheduler.schedule.ScheduleKind;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A data owner (device): runs the first segment (and, U-shaped, the last one with the loss, so labels stay
 * home) over its own data, for its mini-batches cut into micro-batches, in the plan's schedule; sends
 * activations up, receives gradients (and, U-shaped, the last hop's activations) down; at the end of each
 * round sends its parts' weights to the coordinator and takes the average back. With the whole model as its
 * only stage it is a federated-learning client.
 */
final class DataOwner extends NodeBase {
    final int id;
    private final Plan plan;
    private final OwnerSpec spec;
    private final BatchLoader loader;
    final StageExecutor head;
    final StageExecutor tail;
    private final Link uplink;
    private final String firstHop;
    private final String lastHop;
    private final int stages;
    private final ScheduleKind kind;
    private final int iterationsPerRound;
    private final SplittableRandom noise;
    private final io.mpsl.tensor.Shape weightsShape;
    private final TensorArena dpArena;
    private Tensor dpScratch; // (batch, ...) noised copy of the head's output: the head keeps its own for backward
    private final List<ParameterState> parts = new ArrayList<>();
    private int epoch;
    long samplesThisRound;
    private long sent; // activations sent to the first hop
    private long allowed; // activations the first hop has granted (flow control, see ComputeNode)
    // head outputs computed and not yet sent (no grant yet), in micro-batch order: views into the head's slots,
    // valid until their backward, which cannot come before they were sent
    private final Tensor[] heldOut;
    private final Tensor[] heldLabels;
    private int computed; // forwards of this mini-batch done
    private int dispatched; // of those, sent
    private int heldRound;
    private int heldIteration;
    private int heldSamples;

    DataOwner(int id, Plan plan, BatchLoader loader, StageExecutor head, StageExecutor tail, Fabric fabric,
            Link uplink, int hops, RunState state, RoundBarrier barrier, TensorArena arena) {
        super("owner" + id, fabric, state, barrier, plan.owners().get(id).slowdown(),
                head.clock.cpuTime() && (tail == null || tail.clock.cpuTime()));
        this.id = id;
        this.plan = plan;
        this.spec = plan.owners().get(id);
        this.loader = loader;
        this.head = head;
        this.tail = tail;
        this.uplink = uplink;
        this.firstHop = "hop1";
        this.lastHop = "hop" + hops;
        this.stages = plan.stageCount();
        this.kind = plan.algorithm() == Algorithm.SEQUENTIAL_SL ? ScheduleKind.SEQUENTIAL : plan.schedule();
        this.iterationsPerRound = plan.localIterations() > 0 ? plan.localIterations() : loader.batchesPerEpoch();
        this.noise = new SplittableRandom(plan.seed() * 31 + id);
        parts.add(head.state(id));
        if (tail != null) {
            parts.add(tail.state(id));
        }
        this.dpArena = arena;
        this.weightsShape = io.mpsl.tensor.Shape.of(Math.toIntExact(WeightPacker.floats(parts)));
        this.heldOut = new Tensor[spec.microBatches()];
        this.heldLabels = new Tensor[spec.microBatches()];
        loader.startEpoch(0);
    }

    int iterationsPerRound() {
        return iterationsPerRound;
    }

    List<ParameterState> parts() {
        return parts;
    }

    /** Where this owner's data loader stands: {epoch, next batch}. */
    int[] loaderPosition() {
        return new int[] {loader.epoch(), loader.batchIndex()};
    }

    /** Continues the data order from where another run of the same owner stopped (re-planning). */
    void resumeAt(int loaderEpoch, int batch) {
        loader.seek(loaderEpoch, batch);
        epoch = loaderEpoch;
    }

    @Override
    void onFlow(Message m) {
        if (m.microBatch != MessageType.GRANT || m.participant != id) {
            throw new IllegalStateException(name + " got a flow-control message that is not its grant: " + m);
        }
        allowed = Math.max(allowed, m.samples);
        dispatch();
    }

    /**
     * Sends the computed head outputs the first hop has granted, in micro-batch order (noised here when
     * differential privacy is on, so the noise buffer is used by one send at a time).
     */
    private void dispatch() {
        while (dispatched < computed && sent < allowed) {
            int mb = dispatched;
            Tensor out = heldOut[mb];
            if (plan.dpSigma() > 0) {
                out = privatize(out);
            }
            send(uplink, firstHop, MessageType.ACTIVATION, id, heldRound, heldIteration, mb, 1, out, heldLabels[mb],
                    heldSamples);
            heldOut[mb] = null;
            heldLabels[mb] = null;
            dispatched++;
            sent++;
        }
    }

    @Override
    void work() throws Exception {
        for (int round = 0; round < plan.rounds(); round++) {
            samplesThisRound = 0;
            for (ParameterState part : parts) {
                part.setLearningRate(plan.learningRate(round));
            }
            if (plan.algorithm() == Algorithm.SEQUENTIAL_SL) {
                Message turn = await(MessageType.CONTROL, id, round, 0, 0); // our turn, with the previous owner's weights
                if (turn.payload != null) {
                    WeightPacker.unpack(parts, turn.payload);
                }
                turn.release();
            }
            for (int it = 0; it < iterationsPerRound; it++) {
                float lr = plan.learningRate(round, (long) round * iterationsPerRound + it, iterationsPerRound);
                for (ParameterState part : parts) {
                    part.setLearningRate(lr);
                }
                iteration(round, it);
            }
            Tensor weightsOut = fabric.borrow(name, weightsShape); // shared with the average that comes back
            WeightPacker.pack(weightsOut, parts);
            fabric.sendBorrowed(name, uplink, "coordinator", MessageType.WEIGHTS, id, round, 0, 0, 0, weightsOut,
                    Math.toIntExact(samplesThisRound)); // the fabric gives it back
            Message avg = await(MessageType.WEIGHTS, id, round, 0, 0);
            WeightPacker.unpack(parts, avg.payload);
            avg.release();
            if (barrier != null) {
                barrier.nodeArrive();
            }
        }
    }

    private void iteration(int round, int it) throws InterruptedException {
        if (!loader.hasNext()) {
            loader.startEpoch(++epoch);
        }
        int n = loader.next();
        samplesThisRound += n;
        Tensor images = loader.images();
        Tensor labels = loader.labels();
        int m = Math.min(spec.microBatches(), n);
        float scale = 1f / n;
        List<Instruction> hs = kind.steps(m, stages, 0);
        List<Instruction> ts = tail != null ? kind.steps(m, stages, stages - 1) : List.of();
        int hi = 0;
        int ti = 0;
        boolean vanilla = plan.mode() == Mode.VANILLA && stages > 1;
        if (stages > 1) {
            send(uplink, firstHop, MessageType.FLOW, id, round, 0, MessageType.REQUEST, 1, null, null, m);
        }
        computed = 0;
        dispatched = 0;
        heldRound = round;
        heldIteration = it;
        heldSamples = n;
        while (hi < hs.size() || ti < ts.size()) {
            drain();
            boolean did = false;
            if (ti < ts.size()) {
                Instruction in = ts.get(ti);
                if (in instanceof Instruction.Forward f) {
                    Message a = pending.take(MessageType.ACTIVATION, id, round, it, f.microBatch());
                    if (a != null) {
                        beginCompute();
                        tail.forward(id, f.microBatch(), a.payload, slice(labels, n, m, f.microBatch()), a);
                        endCompute(forwardLabel(f.microBatch()));
                        ti++;
                        did = true;
                    }
                } else if (in instanceof Instruction.Backward b) {
                    beginCompute();
                    Tensor dIn = tail.backward(id, b.microBatch(), null, scale);
                    send(uplink, lastHop, MessageType.GRADIENT, id, round, it, b.microBatch(), stages - 2, dIn,
                            null, 0);
                    tail.finish(id, b.microBatch());
                    endCompute(backwardLabel(b.microBatch()));
                    ti++;
                    did = true;
                } else {
                    beginCompute();
                    tail.step(id);
                    endCompute("step");
                    ti++;
                    did = true;
                }
            }
            if (!did && hi < hs.size()) {
                Instruction in = hs.get(hi);
                if (in instanceof Instruction.Forward f) {
                    int mb = f.microBatch();
                    beginCompute();
                    Tensor x = slice(images, n, m, mb);
                    Tensor y = slice(labels, n, m, mb);
                    Tensor out = head.forward(id, mb, x, head.lossStage ? y : null, null);
                    if (stages > 1) {
                        // sent now if the first hop granted it, else when its grant comes (the head computes on)
                        heldOut[mb] = out;
                        heldLabels[mb] = vanilla ? y : null;
                        computed++;
                        dispatch();
                    }
                    endCompute(forwardLabel(mb));
                    hi++;
                    did = true;
                } else if (in instanceof Instruction.Backward b) {
                    int mb = b.microBatch();
                    Message g = stages > 1 ? pending.take(MessageType.GRADIENT, id, round, it, mb) : null;
                    if (g != null || stages == 1) {
                        beginCompute();
                        head.backward(id, mb, g == null ? null : g.payload, scale);
                        head.finish(id, mb);
                        if (g != null) {
                            g.release();
                        }
                        endCompute(backwardLabel(mb));
                        hi++;
                        did = true;
                    }
                } else {
                    beginCompute();
                    head.step(id);
                    endCompute("step");
                    hi++;
                    did = true;
                }
            }
            if (!did) {
                awaitMessage();
            }
        }
    }

    /** Rows of micro-batch {@code mb} when {@code n} samples are cut into {@code m} micro-batches. */
    static Tensor slice(Tensor batch, int n, int m, int mb) {
        int base = n / m;
        int extra = n % m;
        int from = mb * base + Math.min(mb, extra);
        return batch.slice(from, from + base + (mb < extra ? 1 : 0));
    }

    /**
     * Differential privacy on what leaves the owner: each sample's activation is clipped to L2 norm
     * {@code dpClip}, then Gaussian noise of standard deviation {@code dpSigma * dpClip} is added to every
     * element (the Gaussian mechanism on a per-sample sensitivity of dpClip). The noised copy is what is sent;
     * the head's own output stays as it was for its backward. Gradients pass straight through the clipping and
     * noise on the way back.
     */
    private Tensor privatize(Tensor activation) {
        if (dpScratch == null) {
            dpScratch = dpArena.allocate(activation.shape().withBatch(spec.batch()));
        }
        Tensor out = dpScratch.slice(0, activation.shape().dim(0)).copyFrom(activation);
        int rows = out.shape().dim(0);
        long width = out.shape().innerSize();
        double clip = plan.dpClip();
        double sd = plan.dpSigma() * clip;
        for (int r = 0; r < rows; r++) {
            long base = r * width;
            double sq = 0;
            for (long j = 0; j < width; j++) {
                double v = out.get(base + j);
                sq += v * v;
            }
            double norm = Math.sqrt(sq);
            double f = norm > clip ? clip / norm : 1.0;
            for (long j = 0; j < width; j++) {
                out.set(base + j, (float) (out.get(base + j) * f + sd * noise.nextGaussian()));
            }
        }
        return out;
    }
}
