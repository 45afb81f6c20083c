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
 * it runs a loss's backward or an optimizer step first, then the participant whose owner's uplink is the slowest
 * (its round ends with the longest upload of its weights, so every step it waits here is on the round's longest
 * path), then the one whose input arrived first (earliest ready first). Activation slots are shared by all
 * participants. At the end of a round it averages the per-participant copies (sample-weighted, no
 * network traffic).
 *
 * <p>Flow control: a sender may send a participant's activations only as far as this node granted. Each
 * mini-batch of a participant starts with a request (from the owner, or from the previous hop when it admitted
 * the participant); requests are admitted in arrival order when the participant's window of activation slots
 * is free, and admission grants the window plus one micro-batch ahead, more as micro-batches finish. So what
 * a node has received and not yet used is bounded by its slots, whatever the number of owners: at most
 * window + 1 micro-batches for each of at most {@code slots / window} admitted participants.
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
    private final Link evalLink; // process mode with evaluation: to the coordinator, else null
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
    private static final java.lang.management.ThreadMXBean CPU =
            java.lang.management.ManagementFactory.getThreadMXBean();
    /** CPU time of the round-end averaging of the participants' copies, and the bytes of all copies averaged. */
    long averageNs;
    long averageBytes;
    // flow control (see the class comment): admission requests in arrival order, a ring of (participant, m)
    private final boolean downIsHop;
    private final int[] requestParticipant;
    private final int[] requestMicroBatches;
    private int requestHead;
    private int requestCount;
    private final boolean[] admitted;
    private final int[] admittedMicroBatches;
    private final long[] admittedFrom; // activations of the participant before its admitted mini-batch
    private final long[] finished; // the participant's micro-batches whose backward is done here
    private final long[] granted; // activations the participant's sender may have sent in all
    private final long[] sentDown; // activations sent to the next hop
    private final long[] allowedDown; // activations the next hop has granted
    // outputs computed for the next hop and not yet granted, per participant in micro-batch order: views into
    // this node's slots, valid until their backward, which cannot come before they were sent
    private final Tensor[][] heldOut;
    private final Tensor[][] heldLabels;
    private final int[] computedDown;
    private final int[] dispatchedDown;
    private final int[] heldIteration;
    private final int[] heldSamples;
    /** Per participant: its owner's uplink seconds per byte (0 for an unlimited link): the slower, the sooner. */
    private final double[] urgency;

    @SuppressWarnings({"unchecked", "rawtypes"})
    ComputeNode(int hop, Plan plan, StageExecutor exec, Fabric fabric, Link[] upLinks, String[] upTargets,
            Link[] downLinks, String[] downTargets, Link evalLink, int[] iterationsPerRound, RunState state,
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
        this.evalLink = evalLink;
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
        this.downIsHop = hop < plan.hops();
        this.requestParticipant = new int[2 * participants];
        this.requestMicroBatches = new int[2 * participants];
        this.admitted = new boolean[participants];
        this.admittedMicroBatches = new int[participants];
        this.admittedFrom = new long[participants];
        this.finished = new long[participants];
        this.granted = new long[participants];
        this.sentDown = new long[participants];
        this.allowedDown = new long[participants];
        int maxMicro = 1;
        for (int p = 0; p < participants; p++) {
            maxMicro = Math.max(maxMicro, plan.owners().get(p).microBatches());
        }
        this.heldOut = new Tensor[participants][downIsHop ? maxMicro : 0];
        this.heldLabels = new Tensor[participants][downIsHop ? maxMicro : 0];
        this.computedDown = new int[participants];
        this.dispatchedDown = new int[participants];
        this.heldIteration = new int[participants];
        this.heldSamples = new int[participants];
        this.urgency = new double[participants];
        for (int p = 0; p < participants; p++) {
            urgency[p] = plan.owners().get(p).uplink().secondsPerByte();
        }
    }

    /**
     * Whether a step ready at {@code atA} (Long.MIN_VALUE: a loss's backward or an optimizer step, ready at once)
     * of a participant of urgency {@code urgencyA} runs before one ready at {@code atB} of urgency
     * {@code urgencyB}: steps ready at once first, then the more urgent participant, then the earlier input.
     */
    static boolean takesBefore(long atA, double urgencyA, long atB, double urgencyB) {
        boolean nowA = atA == Long.MIN_VALUE;
        boolean nowB = atB == Long.MIN_VALUE;
        if (nowA != nowB) {
            return nowA;
        }
        if (urgencyA != urgencyB) {
            return urgencyA > urgencyB;
        }
        return atA < atB;
    }

    /** Sends participant p's computed outputs the next hop has granted, in micro-batch order. */
    private void dispatch(int p) {
        while (dispatchedDown[p] < computedDown[p] && sentDown[p] < allowedDown[p]) {
            int mb = dispatchedDown[p]++;
            send(downLinks[p], downTargets[p], MessageType.ACTIVATION, p, round, heldIteration[p], mb, hop + 1,
                    heldOut[p][mb], heldLabels[p][mb], heldSamples[p]);
            heldOut[p][mb] = null;
            heldLabels[p][mb] = null;
            sentDown[p]++;
        }
    }

    @Override
    void onFlow(Message m) {
        int p = m.participant;
        if (p < 0 || p >= participants) {
            throw new IllegalStateException(name + ": flow-control message for participant " + p + " of "
                    + participants);
        }
        if (m.microBatch == MessageType.GRANT) {
            allowedDown[p] = Math.max(allowedDown[p], m.samples);
            dispatch(p);
            return;
        }
        if (requestCount == requestParticipant.length) {
            throw new IllegalStateException(name + ": more than " + requestCount + " admission requests queued");
        }
        int at = (requestHead + requestCount++) % requestParticipant.length;
        requestParticipant[at] = p;
        requestMicroBatches[at] = m.samples;
        admit();
    }

    /**
     * Admits queued requests in arrival order while the first one's participant is not still admitted and its
     * window of slots is free: reserves the window, passes the request on to the next hop (so every hop admits
     * in the same order, and no two hops can each hold what the other waits for) and grants activations.
     */
    private void admit() {
        while (requestCount > 0) {
            int p = requestParticipant[requestHead];
            if (admitted[p] || !exec.canReserve()) {
                return;
            }
            int m = requestMicroBatches[requestHead];
            requestHead = (requestHead + 1) % requestParticipant.length;
            requestCount--;
            exec.reserve(p);
            admitted[p] = true;
            admittedMicroBatches[p] = m;
            if (downIsHop) {
                send(downLinks[p], downTargets[p], MessageType.FLOW, p, round, 0, MessageType.REQUEST, hop + 1, null,
                        null, m);
            }
            grant(p);
        }
    }

    /**
     * Grants participant p's sender activations up to its window plus one ahead of what finished here (the
     * one ahead lets a transfer overlap the step before it; 1F1B never sends further ahead anyway).
     */
    private void grant(int p) {
        long upTo = admittedFrom[p] + Math.min(admittedMicroBatches[p], finished[p] - admittedFrom[p] + exec.window() + 1);
        if (upTo > granted[p]) {
            granted[p] = upTo;
            send(upLinks[p], upTargets[p], MessageType.FLOW, p, round, 0, MessageType.GRANT, hop - 1, null, null,
                    Math.toIntExact(upTo));
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
                long cpu0 = CPU.getCurrentThreadCpuTime();
                WeightPacker.average(copies, WeightPacker.sampleWeights(samples));
                averageNs += CPU.getCurrentThreadCpuTime() - cpu0;
                averageBytes += 4 * WeightPacker.floats(List.of(copies[0])) * participants;
                endCompute("average");
            }
            if (evalLink != null) {
                List<ParameterState> mine = List.of(exec.state(0));
                Tensor w = fabric.borrow(name, io.mpsl.tensor.Shape.of(Math.toIntExact(WeightPacker.floats(mine))));
                WeightPacker.pack(w, mine);
                fabric.sendBorrowed(name, evalLink, "coordinator", MessageType.WEIGHTS, participants + hop - 1, round, 0,
                        0, 0, w, 0);
            }
            if (barrier != null) {
                barrier.nodeArrive();
            }
        }
    }

    /** The participant whose next step can run and comes first ({@link #takesBefore}), or -1. */
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
            if (best < 0 || takesBefore(at, urgency[p], bestAt, urgency[best])) {
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
            if (downIsHop) {
                // sent now if the next hop granted it, else when its grant comes (this node computes on)
                if (mb == 0) {
                    computedDown[p] = 0;
                    dispatchedDown[p] = 0;
                    heldIteration[p] = it;
                    heldSamples[p] = a.samples;
                }
                heldOut[p][mb] = out;
                heldLabels[p][mb] = a.labels;
                computedDown[p]++;
                dispatch(p);
            } else if (!lastStage) {
                send(downLinks[p], downTargets[p], MessageType.ACTIVATION, p, round, it, mb, hop + 1, out,
                        a.labels, a.samples); // to the owner's tail (U-shaped): no flow control there
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
            finished[p]++;
            grant(p);
            endCompute(backwardLabel(mb));
        } else {
            beginCompute();
            exec.state(p).setLearningRate(plan.learningRate(round, (long) round * iterations[p] + iteration[p], iterations[p]));
            exec.step(p);
            endCompute("step");
            if (sharedTurns) {
                activeParticipant = -1;
            }
            admittedFrom[p] += stepsMicroBatches[p];
            admitted[p] = false;
            admit();
        }
        if (++cursor[p] == steps[p].size()) {
            cursor[p] = 0;
            return ++iteration[p] == iterations[p];
        }
        return false;
    }
}
