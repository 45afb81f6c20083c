package io.mpsl.scheduler.cost;

import io.mpsl.scheduler.cost.PipelineSimulator.LinkCost;
import io.mpsl.scheduler.cost.PipelineSimulator.StageCost;
import io.mpsl.scheduler.schedule.Instruction;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The first, straightforward form of {@link PipelineSimulator} (every event scans every resource and its waiting
 * jobs), kept as the oracle the fast one is tested against.
 */
final class ReferencePipelineSimulator {

    /** One task as scheduled. kind: 'F', 'B', 'S' (optimizer step), 'a' (activation sent), 'g' (gradient). */
    public record Task(int participant, int stage, int microBatch, char kind, int resource, double startS,
            double endS) {
    }

    /** The predicted iterations: makespan, each resource's busy time and when it was last busy, every task. */
    public record Result(double makespanS, double[] busyS, double[] lastEndS, List<Task> tasks) {
        /** The busiest resource's busy time: with dedicated processors no schedule can beat it. */
        public double lowerBoundS() {
            double m = 0;
            for (double b : busyS) {
                m = Math.max(m, b);
            }
            return m;
        }
    }

    private static final double EPS = 1e-12;

    private final List<String> resources = new ArrayList<>();
    private final java.util.Set<Integer> rankedResources = new java.util.HashSet<>();
    private final java.util.Map<Integer, Double> urgencies = new java.util.HashMap<>();
    private final List<Participant> participants = new ArrayList<>();
    private int cores;
    private double background;

    private record Participant(int microBatches, int iterations, StageCost[] stages, LinkCost[] links,
            List<List<Instruction>> order) {
    }

    /** Declares a serial resource and returns its id. */
    public int resource(String name) {
        resources.add(name);
        return resources.size() - 1;
    }

    /** As {@link PipelineSimulator#ranked}: the resource takes the most urgent participant's ready task first. */
    public ReferencePipelineSimulator ranked(int resource) {
        rankedResources.add(resource);
        return this;
    }

    /** As {@link PipelineSimulator#urgency}. */
    public ReferencePipelineSimulator urgency(int participant, double value) {
        urgencies.put(participant, value);
        return this;
    }

    public List<String> resourceNames() {
        return List.copyOf(resources);
    }

    /** CPU cores shared by every compute task (0 = each processor has its own core). */
    public ReferencePipelineSimulator cores(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("cores must be >= 0, got " + n);
        }
        cores = n;
        return this;
    }

    /**
     * Runnable threads of other programs competing for the same cores (measured while profiling): with
     * {@code cores} set, running compute tasks progress at rate min(1, cores / (background + running)).
     */
    public ReferencePipelineSimulator background(double threads) {
        if (!(threads >= 0)) {
            throw new IllegalArgumentException("background threads must be >= 0, got " + threads);
        }
        background = threads;
        return this;
    }

    /**
     * Adds a participant whose mini-batch is {@code microBatches} micro-batches through {@code stages}
     * (first to last) joined by {@code links} (one fewer than stages), run with {@code schedule}.
     */
    public ReferencePipelineSimulator participant(int microBatches, ScheduleKind schedule, StageCost[] stages,
            LinkCost[] links) {
        return participant(microBatches, 1, schedule, stages, links);
    }

    /** As {@link #participant(int, ScheduleKind, StageCost[], LinkCost[])} for {@code iterations} mini-batches in a row. */
    public ReferencePipelineSimulator participant(int microBatches, int iterations, ScheduleKind schedule, StageCost[] stages,
            LinkCost[] links) {
        if (links.length != stages.length - 1) {
            throw new IllegalArgumentException(stages.length + " stages need " + (stages.length - 1) + " links, got "
                    + links.length);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
        }
        List<List<Instruction>> order = new ArrayList<>();
        for (int s = 0; s < stages.length; s++) {
            List<Instruction> one = schedule.steps(microBatches, stages.length, s);
            List<Instruction> all = new ArrayList<>(one.size() * iterations);
            for (int it = 0; it < iterations; it++) {
                int off = it * microBatches;
                for (Instruction in : one) {
                    all.add(switch (in) {
                        case Instruction.Forward f -> new Instruction.Forward(f.microBatch() + off);
                        case Instruction.Backward b -> new Instruction.Backward(b.microBatch() + off);
                        case Instruction.OptimizerStep st -> st;
                    });
                }
            }
            order.add(all);
        }
        participants.add(new Participant(microBatches, iterations, stages.clone(), links.clone(), order));
        return this;
    }

    /** A task waiting for, or holding, its resource. */
    private static final class Job {
        final int participant;
        final int stage;
        final int microBatch;
        final char kind;
        final int resource;
        final double readyS;
        final int priority; // 0 runs before 1 whenever both are ready
        double urgency; // on a ranked resource: the participant's urgency (higher first among equal priority)
        final boolean cpu;
        final double slowdown;
        final double workS;
        double remainingS; // core-seconds of work left (cpu) or the fixed duration (link)
        double startS;
        double cpuEndS = Double.NaN; // when the cpu phase ended (then padding runs until endS)
        double endS = Double.NaN;

        Job(int participant, int stage, int microBatch, char kind, int resource, double readyS, int priority,
                boolean cpu, double workS, double slowdown) {
            this.participant = participant;
            this.stage = stage;
            this.microBatch = microBatch;
            this.kind = kind;
            this.resource = resource;
            this.readyS = readyS;
            this.priority = priority;
            this.cpu = cpu;
            this.remainingS = workS;
            this.workS = workS;
            this.slowdown = slowdown;
        }

        boolean before(Job o) {
            if (priority != o.priority) {
                return priority < o.priority;
            }
            if (urgency != o.urgency) {
                return urgency > o.urgency;
            }
            if (readyS != o.readyS) {
                return readyS < o.readyS;
            }
            if (participant != o.participant) {
                return participant < o.participant;
            }
            if (microBatch != o.microBatch) {
                return microBatch < o.microBatch;
            }
            return stage > o.stage;
        }
    }

    /** Simulates the iterations. */
    public Result simulate() {
        int np = participants.size();
        int nr = resources.size();
        double[] busy = new double[nr];
        double[] lastEnd = new double[nr];
        List<Task> done = new ArrayList<>();
        int[][] next = new int[np][];
        boolean[][] queued = new boolean[np][];
        double[][] stageFree = new double[np][];
        double[][][] actArrive = new double[np][][];
        double[][][] gradArrive = new double[np][][];
        for (int p = 0; p < np; p++) {
            Participant q = participants.get(p);
            int ns = q.stages.length;
            next[p] = new int[ns];
            queued[p] = new boolean[ns];
            stageFree[p] = new double[ns];
            actArrive[p] = new double[ns][q.microBatches * q.iterations];
            gradArrive[p] = new double[ns][q.microBatches * q.iterations];
            for (double[] a : actArrive[p]) {
                Arrays.fill(a, Double.NaN);
            }
            for (double[] g : gradArrive[p]) {
                Arrays.fill(g, Double.NaN);
            }
        }
        List<List<Job>> waiting = new ArrayList<>(nr);
        for (int r = 0; r < nr; r++) {
            waiting.add(new ArrayList<>());
        }
        Job[] running = new Job[nr];
        for (int p = 0; p < np; p++) {
            for (int s = 0; s < participants.get(p).stages.length; s++) {
                offerCompute(waiting, queued, p, s, next, stageFree, actArrive, gradArrive);
            }
        }
        double now = 0;
        while (true) {
            // start what can start now
            for (int r = 0; r < nr; r++) {
                if (running[r] != null || waiting.get(r).isEmpty()) {
                    continue;
                }
                Job best = null;
                for (Job j : waiting.get(r)) {
                    if (j.readyS <= now + EPS && (best == null || j.before(best))) {
                        best = j;
                    }
                }
                if (best != null) {
                    waiting.get(r).remove(best);
                    best.startS = now;
                    if (!best.cpu) {
                        best.endS = now + best.remainingS;
                    } else if (best.remainingS <= 0) {
                        best.cpuEndS = now;
                        best.endS = now;
                    }
                    running[r] = best;
                }
            }
            // the next event: a task's phase ends, or a waiting task becomes ready on a free resource
            int active = 0;
            for (Job j : running) {
                if (j != null && j.cpu && Double.isNaN(j.cpuEndS)) {
                    active++;
                }
            }
            double rate = cores > 0 ? Math.min(1.0, cores / (background + active)) : 1.0;
            double nextS = Double.POSITIVE_INFINITY;
            boolean any = false;
            for (int r = 0; r < nr; r++) {
                Job j = running[r];
                if (j != null) {
                    any = true;
                    nextS = Math.min(nextS, j.cpu && Double.isNaN(j.cpuEndS) ? now + j.remainingS / rate : j.endS);
                } else {
                    for (Job w : waiting.get(r)) {
                        any = true;
                        nextS = Math.min(nextS, w.readyS);
                    }
                }
            }
            if (!any) {
                break;
            }
            double dt = nextS - now;
            now = nextS;
            // advance every task to the event and finish what ended
            for (int r = 0; r < nr; r++) {
                Job j = running[r];
                if (j == null) {
                    continue;
                }
                if (j.cpu && Double.isNaN(j.cpuEndS)) {
                    j.remainingS -= dt * rate;
                    if (j.remainingS <= EPS * Math.max(1, now)) {
                        j.cpuEndS = now;
                        // padded to slowdown times the work, or not at all where sharing the cores took longer
                        j.endS = Math.max(now, j.startS + j.slowdown * j.workS);
                    }
                }
                if (!Double.isNaN(j.endS) && j.endS <= now + EPS * Math.max(1, now)) {
                    running[r] = null;
                    finish(j, now, waiting, queued, next, stageFree, actArrive, gradArrive, busy, lastEnd, done);
                }
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
        return new Result(makespan, busy, lastEnd, List.copyOf(done));
    }

    private void finish(Job j, double now, List<List<Job>> waiting, boolean[][] queued, int[][] next,
            double[][] stageFree, double[][][] actArrive, double[][][] gradArrive, double[] busy, double[] lastEnd,
            List<Task> done) {
        double end = j.endS;
        busy[j.resource] += end - j.startS;
        lastEnd[j.resource] = Math.max(lastEnd[j.resource], end);
        done.add(new Task(j.participant, j.stage, j.microBatch, j.kind, j.resource, j.startS, end));
        Participant q = participants.get(j.participant);
        int p = j.participant;
        switch (j.kind) {
            case 'a' -> {
                actArrive[p][j.stage + 1][j.microBatch] = end + q.links[j.stage].delayS();
                offerCompute(waiting, queued, p, j.stage + 1, next, stageFree, actArrive, gradArrive);
            }
            case 'g' -> {
                gradArrive[p][j.stage - 1][j.microBatch] = end + q.links[j.stage - 1].delayS();
                offerCompute(waiting, queued, p, j.stage - 1, next, stageFree, actArrive, gradArrive);
            }
            default -> {
                queued[p][j.stage] = false;
                next[p][j.stage]++;
                stageFree[p][j.stage] = end;
                if (j.kind == 'F' && j.stage + 1 < q.stages.length) {
                    LinkCost l = q.links[j.stage];
                    waiting.get(l.upResource()).add(new Job(p, j.stage, j.microBatch, 'a', l.upResource(), end, 1, false,
                            l.forwardS(), 1));
                } else if (j.kind == 'B' && j.stage > 0) {
                    LinkCost l = q.links[j.stage - 1];
                    waiting.get(l.downResource()).add(new Job(p, j.stage, j.microBatch, 'g', l.downResource(), end, 1, false,
                            l.backwardS(), 1));
                }
                offerCompute(waiting, queued, p, j.stage, next, stageFree, actArrive, gradArrive);
            }
        }
    }

    /** Queues the next compute step of (p, s) if its input has arrived and it is not already queued. */
    private void offerCompute(List<List<Job>> waiting, boolean[][] queued, int p, int s, int[][] next,
            double[][] stageFree, double[][][] actArrive, double[][][] gradArrive) {
        Participant q = participants.get(p);
        List<Instruction> order = q.order.get(s);
        int i = next[p][s];
        if (i >= order.size() || queued[p][s]) {
            return;
        }
        StageCost cost = q.stages[s];
        boolean last = s == q.stages.length - 1;
        // an owner's tail (a last stage sharing the first stage's processor) goes first, as a loss stage's
        // backward and every optimizer step do on a hop
        boolean tail = last && s > 0 && q.stages[0].resource() == cost.resource();
        Instruction in = order.get(i);
        double ready = stageFree[p][s];
        Job job;
        if (in instanceof Instruction.Forward f) {
            if (s > 0) {
                double a = actArrive[p][s][f.microBatch()];
                if (Double.isNaN(a)) {
                    return;
                }
                ready = Math.max(ready, a);
            }
            job = new Job(p, s, f.microBatch(), 'F', cost.resource(), ready, tail ? 0 : 1, true, cost.forwardS(),
                    cost.slowdown());
        } else if (in instanceof Instruction.Backward b) {
            if (!last) {
                double g = gradArrive[p][s][b.microBatch()];
                if (Double.isNaN(g)) {
                    return;
                }
                ready = Math.max(ready, g);
            }
            job = new Job(p, s, b.microBatch(), 'B', cost.resource(), ready, last ? 0 : 1, true, cost.backwardS(),
                    cost.slowdown());
        } else {
            job = new Job(p, s, -1, 'S', cost.resource(), ready, 0, true, cost.stepS(), cost.slowdown());
        }
        queued[p][s] = true;
        if (rankedResources.contains(cost.resource())) {
            job.urgency = urgencies.getOrDefault(p, 0.0);
        }
        waiting.get(cost.resource()).add(job);
    }
}
