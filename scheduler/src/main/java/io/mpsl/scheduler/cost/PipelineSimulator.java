package io.mpsl.scheduler.cost;

import io.mpsl.scheduler.schedule.Instruction;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Predicts one training iteration of a split-learning plan by list-scheduling its task graph: for every
 * participant, each stage's compute steps (in the schedule's order) and each activation/gradient transfer
 * between consecutive stages, on serial resources (an owner's processor, a hop's processor, each link
 * direction). A resource runs one task at a time and picks, among the tasks that could run on it, the one
 * that can start first (earliest ready first, as the runtime does). The makespan is the iteration time;
 * it includes pipeline fill and drain, heterogeneous owners, shared hops and the schedule's ordering rules.
 * Resources may be shared: a U-shaped owner maps its first and last stage to one processor, all
 * participants of a hop map that stage to the hop's processor.
 */
public final class PipelineSimulator {

    /** Compute cost of one stage for one micro-batch, and of the stage's optimizer step. */
    public record StageCost(int resource, double forwardS, double backwardS, double stepS) {
    }

    /**
     * Cost of the link after a stage: the activation occupies {@code upResource} for {@code forwardS}, the
     * gradient occupies {@code downResource} for {@code backwardS}; each arrives {@code delayS} after it
     * leaves the link (propagation delay does not occupy it).
     */
    public record LinkCost(int upResource, int downResource, double forwardS, double backwardS, double delayS) {
    }

    /** One task as scheduled. kind: 'F', 'B', 'S' (optimizer step), 'a' (activation sent), 'g' (gradient). */
    public record Task(int participant, int stage, int microBatch, char kind, int resource, double startS,
            double endS) {
    }

    /** The predicted iteration: its makespan, each resource's busy time, and every task. */
    public record Result(double makespanS, double[] busyS, List<Task> tasks) {
        /** The busiest resource's busy time: no schedule can beat it. */
        public double lowerBoundS() {
            double m = 0;
            for (double b : busyS) {
                m = Math.max(m, b);
            }
            return m;
        }
    }

    private final List<String> resources = new ArrayList<>();
    private final List<Participant> participants = new ArrayList<>();

    private record Participant(int microBatches, StageCost[] stages, LinkCost[] links, List<List<Instruction>> order) {
    }

    /** Declares a serial resource and returns its id. */
    public int resource(String name) {
        resources.add(name);
        return resources.size() - 1;
    }

    public List<String> resourceNames() {
        return List.copyOf(resources);
    }

    /**
     * Adds a participant whose mini-batch is {@code microBatches} micro-batches through {@code stages}
     * (first to last) joined by {@code links} (one fewer than stages), run with {@code schedule}.
     */
    public PipelineSimulator participant(int microBatches, ScheduleKind schedule, StageCost[] stages,
            LinkCost[] links) {
        if (links.length != stages.length - 1) {
            throw new IllegalArgumentException(stages.length + " stages need " + (stages.length - 1) + " links, got "
                    + links.length);
        }
        List<List<Instruction>> order = new ArrayList<>();
        for (int s = 0; s < stages.length; s++) {
            order.add(schedule.steps(microBatches, stages.length, s));
        }
        participants.add(new Participant(microBatches, stages.clone(), links.clone(), order));
        return this;
    }

    /** Simulates the iteration. */
    public Result simulate() {
        int np = participants.size();
        double[] resourceFree = new double[resources.size()];
        double[] busy = new double[resources.size()];
        List<Task> done = new ArrayList<>();
        // Per participant and stage: next instruction index, and when the previous one ended.
        int[][] next = new int[np][];
        double[][] stageFree = new double[np][];
        // Arrival times of activations into stage s (from s-1) and gradients into stage s (from s+1).
        double[][][] actArrive = new double[np][][];
        double[][][] gradArrive = new double[np][][];
        for (int p = 0; p < np; p++) {
            Participant q = participants.get(p);
            int ns = q.stages.length;
            next[p] = new int[ns];
            stageFree[p] = new double[ns];
            actArrive[p] = new double[ns][q.microBatches];
            gradArrive[p] = new double[ns][q.microBatches];
            for (double[] a : actArrive[p]) {
                java.util.Arrays.fill(a, Double.NaN);
            }
            for (double[] g : gradArrive[p]) {
                java.util.Arrays.fill(g, Double.NaN);
            }
        }
        // Candidates: compute steps whose inputs arrived, and transfers whose data is ready.
        PriorityQueue<Candidate> queue = new PriorityQueue<>();
        boolean[][] queued = new boolean[np][];
        for (int p = 0; p < np; p++) {
            queued[p] = new boolean[participants.get(p).stages.length];
        }
        for (int p = 0; p < np; p++) {
            for (int s = 0; s < participants.get(p).stages.length; s++) {
                offerCompute(queue, queued, p, s, next, stageFree, actArrive, gradArrive, resourceFree);
            }
        }
        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            double start = Math.max(c.readyS, resourceFree[c.resource]);
            if (start > c.startS) {
                c.startS = start; // the resource got busier since this was queued: re-queue at its real start
                queue.add(c);
                continue;
            }
            double end = start + c.durationS;
            resourceFree[c.resource] = end;
            busy[c.resource] += c.durationS;
            done.add(new Task(c.participant, c.stage, c.microBatch, c.kind, c.resource, start, end));
            Participant q = participants.get(c.participant);
            switch (c.kind) {
                case 'a' -> actArrive[c.participant][c.stage + 1][c.microBatch] = end + q.links[c.stage].delayS;
                case 'g' -> gradArrive[c.participant][c.stage - 1][c.microBatch] = end + q.links[c.stage - 1].delayS;
                default -> {
                    queued[c.participant][c.stage] = false;
                    next[c.participant][c.stage]++;
                    stageFree[c.participant][c.stage] = end;
                    if (c.kind == 'F' && c.stage + 1 < q.stages.length) {
                        LinkCost l = q.links[c.stage];
                        queue.add(new Candidate(c.participant, c.stage, c.microBatch, 'a', l.upResource, end,
                                l.forwardS, resourceFree));
                    } else if (c.kind == 'B' && c.stage > 0) {
                        LinkCost l = q.links[c.stage - 1];
                        queue.add(new Candidate(c.participant, c.stage, c.microBatch, 'g', l.downResource, end,
                                l.backwardS, resourceFree));
                    }
                    offerCompute(queue, queued, c.participant, c.stage, next, stageFree, actArrive, gradArrive, resourceFree);
                }
            }
            if (c.kind == 'a') {
                offerCompute(queue, queued, c.participant, c.stage + 1, next, stageFree, actArrive, gradArrive, resourceFree);
            } else if (c.kind == 'g') {
                offerCompute(queue, queued, c.participant, c.stage - 1, next, stageFree, actArrive, gradArrive, resourceFree);
            }
        }
        double makespan = 0;
        for (Task t : done) {
            makespan = Math.max(makespan, t.endS);
        }
        for (int p = 0; p < np; p++) {
            for (int s = 0; s < next[p].length; s++) {
                if (next[p][s] != participants.get(p).order.get(s).size()) {
                    throw new IllegalStateException("schedule deadlocked at participant " + p + " stage " + s);
                }
            }
        }
        return new Result(makespan, busy, List.copyOf(done));
    }

    /** Queues the next compute step of (p, s) if its input has arrived and it is not already queued. */
    private void offerCompute(PriorityQueue<Candidate> queue, boolean[][] queued, int p, int s, int[][] next, double[][] stageFree,
            double[][][] actArrive, double[][][] gradArrive, double[] resourceFree) {
        Participant q = participants.get(p);
        List<Instruction> order = q.order.get(s);
        int i = next[p][s];
        if (i >= order.size() || queued[p][s]) {
            return;
        }
        StageCost cost = q.stages[s];
        Instruction in = order.get(i);
        double ready = stageFree[p][s];
        if (in instanceof Instruction.Forward f) {
            if (s > 0) {
                double a = actArrive[p][s][f.microBatch()];
                if (Double.isNaN(a)) {
                    return;
                }
                ready = Math.max(ready, a);
            }
            queued[p][s] = true;
            queue.add(new Candidate(p, s, f.microBatch(), 'F', cost.resource, ready, cost.forwardS, resourceFree));
        } else if (in instanceof Instruction.Backward b) {
            if (s < q.stages.length - 1) {
                double g = gradArrive[p][s][b.microBatch()];
                if (Double.isNaN(g)) {
                    return;
                }
                ready = Math.max(ready, g);
            }
            queued[p][s] = true;
            queue.add(new Candidate(p, s, b.microBatch(), 'B', cost.resource, ready, cost.backwardS, resourceFree));
        } else {
            queued[p][s] = true;
            queue.add(new Candidate(p, s, -1, 'S', cost.resource, ready, cost.stepS, resourceFree));
        }
    }

    private static final class Candidate implements Comparable<Candidate> {
        final int participant;
        final int stage;
        final int microBatch;
        final char kind;
        final int resource;
        final double readyS;
        final double durationS;
        double startS;

        Candidate(int participant, int stage, int microBatch, char kind, int resource, double readyS,
                double durationS, double[] resourceFree) {
            this.participant = participant;
            this.stage = stage;
            this.microBatch = microBatch;
            this.kind = kind;
            this.resource = resource;
            this.readyS = readyS;
            this.durationS = durationS;
            this.startS = Math.max(readyS, resourceFree[resource]);
        }

        @Override
        public int compareTo(Candidate o) {
            int c = Double.compare(startS, o.startS);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(participant, o.participant);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(microBatch, o.microBatch);
            return c != 0 ? c : Integer.compare(stage, o.stage);
        }
    }
}
