package io.mpsl.scheduler.runtime;

import io.mpsl.nn.ParameterState;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.schedule.Instruction;
import io.mpsl.scheduler.schedule.ScheduleKind;
import io.mpsl.tensor.Tensor;
import java.util.List;

/**
 * A compute node (one hop): runs its segment for every participant, each with its own server-side copy (or
 * one shared copy), in each participant's schedule. Among the participants whose next step has its input,
 * it runs the one whose input arrived first (earliest ready first). Activation slots are shared by all
 * participants. At the end of a round it averages the per-participant copies (sample-weighted, no
 * network traffic).
 */
final class ComputeNode extends NodeBase {
    final int hop;
    private final Plan plan;
    final StageExecutor exec;
    private final int stages;
    private final int participants;
    private final boolean lastStage;
    private final boolean sharedTurns;
    private final Link[] upLinks; // per participant: to the previous stage
    private final Link[] downLinks; // per participant: to the next stage (null on the last stage)
    private final String[] upTargets;
    private final String[] downTargets;
    private final List<Instruction>[] steps;
    private final int[] stepsMicroBatches;
    private final ScheduleKind kind;
    private final int[] cursor;
    private final int[] iteration;
    private final int[] batchOf; // samples of the participant's current mini-batch
    private final int[] iterations;
    private final long[] samples;
    private int round;
    private int activeParticipant = -1;

    @SuppressWarnings({"unchecked", "rawtypes"})
    ComputeNode(int hop, Plan plan, StageExecutor exec, Fabric fabric, Link[] upLinks, String[] upTargets,
            Link[] downLinks, String[] downTargets, int[] iterationsPerRound, RunState state,
            RoundBarrier barrier) {
        super("hop" + hop, fabric, state, barrier, 1.0);
        this.hop = hop;
        this.plan = plan;
        this.exec = exec;
        this.stages = plan.stageCount();
        this.participants = plan.owners().size();
        this.lastStage = hop == stages - 1;
        this.sharedTurns = plan.serverCopies() == Plan.ServerCopies.SHARED;
        this.upLinks = upLinks;
        this.upTargets = upTargets;
        this.downLinks = downLinks;
        this.downTargets = downTargets;
        this.iterations = iterationsPerRound.clone();
        this.steps = new List[participants];
        this.cursor = new int[participants];
        this.iteration = new int[participants];
        this.batchOf = new int[participants];
        this.samples = new long[participants];
        this.stepsMicroBatches = new int[participants];
        this.kind = plan.algorithm() == Algorithm.SEQUENTIAL_SL ? ScheduleKind.SEQUENTIAL : plan.schedule();
        for (int p = 0; p < participants; p++) {
            stepsMicroBatches[p] = plan.owners().get(p).microBatches();
            steps[p] = kind.steps(stepsMicroBatches[p], stages, hop);
        }
    }

    @Override
    void work() throws Exception {
        for (round = 0; round < plan.rounds(); round++) {
            java.util.Arrays.fill(iteration, 0);
            java.util.Arrays.fill(cursor, 0);
            java.util.Arrays.fill(samples, 0);
            for (int p = 0; p < participants; p++) {
                exec.state(p).setLearningRate(plan.learningRate(round));
            }
            int remaining = 0;
            for (int p = 0; p < participants; p++) {
                remaining += iterations[p] > 0 ? 1 : 0;
            }
            while (remaining > 0) {
                drain();
                int p = pick();
                if (p < 0) {
                    awaitMessage();
                    continue;
                }
                if (execute(p)) {
                    remaining--;
                }
            }
            if (plan.serverCopies() == Plan.ServerCopies.PER_PARTICIPANT && participants > 1) {
                beginCompute();
                ParameterState[] copies = new ParameterState[participants];
                for (int p = 0; p < participants; p++) {
                    copies[p] = exec.state(p);
                }
                WeightPacker.average(copies, WeightPacker.sampleWeights(samples));
                endCompute("average");
            }
            if (barrier != null) {
                barrier.nodeArrive();
            }
        }
    }

    /** The participant whose next step can run and whose input arrived first, or -1. */
    private int pick() {
        int best = -1;
        long bestAt = Long.MAX_VALUE;
        for (int p = 0; p < participants; p++) {
            if (iteration[p] >= iterations[p] || (sharedTurns && activeParticipant >= 0 && activeParticipant != p)) {
                continue;
            }
            Instruction in = steps[p].get(cursor[p]);
            long at;
            if (in instanceof Instruction.Forward f) {
                Message a = pending.peek(MessageType.ACTIVATION, p, round, iteration[p], f.microBatch());
                if (a == null || !exec.canForward(p)) {
                    continue;
                }
                at = a.deliverAtNs;
            } else if (in instanceof Instruction.Backward b) {
                if (lastStage) {
                    at = Long.MIN_VALUE; // the loss is here: ready as soon as its forward ran
                } else {
                    Message g = pending.peek(MessageType.GRADIENT, p, round, iteration[p], b.microBatch());
                    if (g == null) {
                        continue;
                    }
                    at = g.deliverAtNs;
                }
            } else {
                at = Long.MIN_VALUE;
            }
            if (at < bestAt) {
                bestAt = at;
                best = p;
            }
        }
        return best;
    }

    /** Runs participant p's next step; returns true when that finished p's round. */
    private boolean execute(int p) {
        Instruction in = steps[p].get(cursor[p]);
        int it = iteration[p];
        if (in instanceof Instruction.Forward f) {
            int mb = f.microBatch();
            Message a = pending.take(MessageType.ACTIVATION, p, round, it, mb);
            if (cursor[p] == 0) {
                // a new mini-batch: its size travels with every activation; a short last batch of an epoch
                // may have fewer micro-batches (the owner uses the same rule)
                batchOf[p] = a.samples;
                samples[p] += a.samples;
                int m = Math.min(plan.owners().get(p).microBatches(), a.samples);
                if (m != stepsMicroBatches[p]) {
                    stepsMicroBatches[p] = m;
                    steps[p] = kind.steps(m, stages, hop);
                }
                if (sharedTurns) {
                    activeParticipant = p;
                }
            }
            beginCompute();
            Tensor out = exec.forward(p, mb, a.payload, a.labels, a);
            if (!lastStage) {
                send(downLinks[p], downTargets[p], MessageType.ACTIVATION, p, round, it, mb, hop + 1, out,
                        a.labels, a.samples);
            }
            endCompute(forwardLabel(mb));
        } else if (in instanceof Instruction.Backward b) {
            int mb = b.microBatch();
            Message g = lastStage ? null : pending.take(MessageType.GRADIENT, p, round, it, mb);
            beginCompute();
            Tensor dIn = exec.backward(p, mb, g == null ? null : g.payload, 1f / batchOf[p]);
            send(upLinks[p], upTargets[p], MessageType.GRADIENT, p, round, it, mb, hop - 1, dIn, null, 0);
            exec.finish(p, mb);
            if (g != null) {
                g.release();
            }
            endCompute(backwardLabel(mb));
        } else {
            beginCompute();
            exec.state(p).setLearningRate(plan.learningRate(round, (long) round * iterations[p] + iteration[p], iterations[p]));
            exec.step(p);
            endCompute("step");
            if (sharedTurns) {
                activeParticipant = -1;
            }
        }
        if (++cursor[p] == steps[p].size()) {
            cursor[p] = 0;
            return ++iteration[p] == iterations[p];
        }
        return false;
    }
}
