package io.mpsl.scheduler.cost;

import io.mpsl.scheduler.schedule.Instruction;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Predicts training iterations of a split-learning plan by simulating its task graph event by event: for every
 * participant, each stage's compute steps (in the schedule's order, for one or more consecutive mini-batches)
 * and each activation/gradient transfer between consecutive stages, on serial resources (an owner's processor,
 * a hop's processor, each link direction). A resource runs one task at a time; when it is free it takes, among
 * the tasks whose inputs have arrived, the one the runtime would take: a loss stage's backward, an optimizer
 * step and an owner's tail first, otherwise the one whose input arrived first. The makespan is the time of the
 * last task; it includes pipeline fill and drain, heterogeneous owners, shared hops and the schedule's rules.
 *
 * <p>Processors may share a fixed number of CPU cores ({@link #cores(int)}; 0 = every processor has its
 * own): then all compute tasks running at once progress at rate min(1, cores / running), as the operating
 * system time-slices threads (with other programs' runnable threads counted in, see {@link #background}). A stage with slowdown s (an emulated slower device) takes s times its
 * wall time as the runtime pads it: the padding holds the processor but no core.
 */
public final class PipelineSimulator {

    /**
     * Compute cost of one stage for one micro-batch (forward, backward) and of its optimizer step, in
     * seconds of one core, and the stage's slowdown factor (its wall time is padded to slowdown times).
     */
    public record StageCost(int resource, double forwardS, double backwardS, double stepS, double slowdown) {
        public StageCost(int resource, double forwardS, double backwardS, double stepS) {
            this(resource, forwardS, backwardS, stepS, 1.0);
        }
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

    /**
     * The predicted iterations: makespan, each resource's busy time and when it was last busy, when each
     * participant's stages last finished an optimizer step (0 if never), every task (empty unless recorded).
     * A simulation stopped at its {@link #horizon(double)} has an infinite makespan.
     */
    public record Result(double makespanS, double[] busyS, double[] lastEndS, double[][] lastStepEndS,
            List<Task> tasks) {
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
    private final List<Participant> participants = new ArrayList<>();
    private int cores;
    private double background;
    private boolean recordTasks = true;
    private double horizonS = Double.POSITIVE_INFINITY;
    private double[] deadlineS = new double[0];

    /** order[s][i]: the i-th compute step of stage s, coded as (microBatch + 1) * 4 + kind (F, B, S). */
    private record Participant(int microBatches, int iterations, StageCost[] stages, LinkCost[] links,
            int[][] order) {
    }

    private static final int F = 0;
    private static final int B = 1;
    private static final int S = 2;
    private static final int ACT = 3;
    private static final int GRAD = 4;
    private static final char[] KIND_CHAR = {'F', 'B', 'S', 'a', 'g'};

    /** Declares a serial resource and returns its id. */
    public int resource(String name) {
        resources.add(name);
        return resources.size() - 1;
    }

    public List<String> resourceNames() {
        return List.copyOf(resources);
    }

    /** CPU cores shared by every compute task (0 = each processor has its own core). */
    public PipelineSimulator cores(int n) {
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
    public PipelineSimulator background(double threads) {
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
    public PipelineSimulator participant(int microBatches, ScheduleKind schedule, StageCost[] stages,
            LinkCost[] links) {
        return participant(microBatches, 1, schedule, stages, links);
    }

    /** As {@link #participant(int, ScheduleKind, StageCost[], LinkCost[])} for {@code iterations} mini-batches in a row. */
    public PipelineSimulator participant(int microBatches, int iterations, ScheduleKind schedule, StageCost[] stages,
            LinkCost[] links) {
        if (links.length != stages.length - 1) {
            throw new IllegalArgumentException(stages.length + " stages need " + (stages.length - 1) + " links, got "
                    + links.length);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
        }
        int[][] order = new int[stages.length][];
        for (int s = 0; s < stages.length; s++) {
            order[s] = steps(schedule, microBatches, iterations, stages.length, s);
        }
        participants.add(new Participant(microBatches, iterations, stages.clone(), links.clone(), order));
        return this;
    }

    /** Stage s's compute steps, coded as in {@link Participant}; participants alike share one array. */
    private int[] steps(ScheduleKind schedule, int microBatches, int iterations, int stages, int s) {
        List<Object> key = List.of(schedule, microBatches, iterations, stages, s);
        int[] cached = stepCache.get(key);
        if (cached != null) {
            return cached;
        }
        List<Instruction> one = schedule.steps(microBatches, stages, s);
        int[] all = new int[one.size() * iterations];
        int k = 0;
        for (int it = 0; it < iterations; it++) {
            int off = it * microBatches;
            for (Instruction in : one) {
                all[k++] = switch (in) {
                    case Instruction.Forward f -> (f.microBatch() + off + 1) * 4 + F;
                    case Instruction.Backward bw -> (bw.microBatch() + off + 1) * 4 + B;
                    case Instruction.OptimizerStep st -> S;
                };
            }
        }
        stepCache.put(key, all);
        return all;
    }

    private final java.util.Map<List<Object>, int[]> stepCache = new java.util.HashMap<>();

    /** Whether {@link #simulate()} lists every task in its result (default true; off saves time and memory). */
    public PipelineSimulator recordTasks(boolean on) {
        recordTasks = on;
        return this;
    }

    /**
     * Stops the simulation once simulated time passes {@code seconds}: the result then has an infinite
     * makespan (for searches that only need to know whether a plan beats a given time).
     */
    public PipelineSimulator horizon(double seconds) {
        if (!(seconds > 0)) {
            throw new IllegalArgumentException("horizon must be > 0 s, got " + seconds);
        }
        horizonS = seconds;
        return this;
    }

    /**
     * Stops the simulation once simulated time passes {@code seconds} while {@code participant} still has
     * compute tasks to run on its first stage's processor (an owner that cannot be done by then): the result
     * then has an infinite makespan.
     */
    public PipelineSimulator deadline(int participant, double seconds) {
        if (participant < 0 || participant >= participants.size()) {
            throw new IllegalArgumentException("no participant " + participant + " among " + participants.size());
        }
        if (deadlineS.length < participants.size()) {
            int old = deadlineS.length;
            deadlineS = Arrays.copyOf(deadlineS, participants.size());
            Arrays.fill(deadlineS, old, deadlineS.length, Double.POSITIVE_INFINITY);
        }
        deadlineS[participant] = seconds;
        return this;
    }

    /**
     * Simulates the iterations. Each event costs O(log tasks): a resource keeps its ready tasks in a heap
     * ordered as the runtime picks them; task ends wait in a heap of times; with shared cores, compute tasks
     * progress in virtual time v (dv/dt = rate) and end when v reaches their start's v plus their work.
     */
    public Result simulate() {
        return new Engine().run();
    }

    /** One simulation's state, in primitive arrays indexed by task id. */
    private final class Engine {
        final int np = participants.size();
        final int nr = resources.size();
        // tasks
        int count;
        int[] jp;
        int[] js;
        int[] jmb;
        int[] jkind;
        int[] jres;
        int[] jprio; // 0 runs before 1 whenever both are ready
        double[] jready;
        double[] jwork; // core-seconds of work (compute) or the fixed duration (link)
        double[] jslow;
        double[] jstart;
        double[] jend;
        double[] jvEnd; // virtual time at which the compute phase ends (shared cores)
        // resources
        final int[] running;
        final int[][] ready; // per resource: a heap of ready task ids
        final int[] readySize;
        final int[][] pending; // per resource: tasks whose input arrives later
        final int[] pendingSize;
        final boolean[] dirty;
        final int[] dirtyList;
        int dirtyCount;
        // events: task ends (id >= 0) and wake-ups of a resource r (id = -1 - r)
        double[] evTime = new double[64];
        int[] evId = new int[64];
        int evSize;
        // compute tasks in their compute phase under shared cores, a heap by jvEnd
        int[] active = new int[16];
        int activeSize;
        double virtualS;
        // participants
        final int[][] next = new int[np][];
        final boolean[][] queued = new boolean[np][];
        final double[][] stageFree = new double[np][];
        final double[][][] actArrive = new double[np][][];
        final double[][][] gradArrive = new double[np][][];
        final double[][] lastStep = new double[np][];
        final double[] busy;
        final double[] lastEnd;
        final List<Task> done = new ArrayList<>();
        final int[] firstLeft; // per participant: compute tasks left on its first stage's processor
        double stopS; // the horizon, or the earliest deadline of a participant not done on its first processor
        double now;
        double makespan;
        int[] finishing = new int[16];

        Engine() {
            int total = 0;
            for (int p = 0; p < np; p++) {
                Participant q = participants.get(p);
                int ns = q.stages.length;
                int mbs = q.microBatches * q.iterations;
                next[p] = new int[ns];
                queued[p] = new boolean[ns];
                stageFree[p] = new double[ns];
                lastStep[p] = new double[ns];
                actArrive[p] = new double[ns][mbs];
                gradArrive[p] = new double[ns][mbs];
                for (int s = 0; s < ns; s++) {
                    Arrays.fill(actArrive[p][s], Double.NaN);
                    Arrays.fill(gradArrive[p][s], Double.NaN);
                    total += q.order[s].length;
                }
                total += 2 * (ns - 1) * mbs;
            }
            firstLeft = new int[np];
            for (int p = 0; p < np; p++) {
                Participant q = participants.get(p);
                for (int s = 0; s < q.stages.length; s++) {
                    if (q.stages[s].resource == q.stages[0].resource) {
                        firstLeft[p] += q.order[s].length;
                    }
                }
            }
            stopS = earliestStop();
            int cap = Math.max(total, 1);
            jp = new int[cap];
            js = new int[cap];
            jmb = new int[cap];
            jkind = new int[cap];
            jres = new int[cap];
            jprio = new int[cap];
            jready = new double[cap];
            jwork = new double[cap];
            jslow = new double[cap];
            jstart = new double[cap];
            jend = new double[cap];
            jvEnd = new double[cap];
            running = new int[nr];
            Arrays.fill(running, -1);
            ready = new int[nr][8];
            readySize = new int[nr];
            pending = new int[nr][4];
            pendingSize = new int[nr];
            dirty = new boolean[nr];
            dirtyList = new int[nr];
            busy = new double[nr];
            lastEnd = new double[nr];
        }

        Result run() {
            for (int p = 0; p < np; p++) {
                for (int s = 0; s < participants.get(p).stages.length; s++) {
                    offerCompute(p, s);
                }
            }
            boolean stopped = false;
            while (true) {
                // start what can start now on the resources whose state changed
                for (int i = 0; i < dirtyCount; i++) {
                    int r = dirtyList[i];
                    dirty[r] = false;
                    if (running[r] < 0) {
                        startNext(r);
                    }
                }
                dirtyCount = 0;
                // the next event: a task's (phase) end, or a waiting task becoming ready on a free resource
                double rate = cores > 0 ? Math.min(1.0, cores / (background + activeSize)) : 1.0;
                double nextS = evSize > 0 ? evTime[0] : Double.POSITIVE_INFINITY;
                if (activeSize > 0) {
                    nextS = Math.min(nextS, now + (jvEnd[active[0]] - virtualS) / rate);
                }
                if (nextS == Double.POSITIVE_INFINITY) {
                    break;
                }
                if (nextS > stopS) {
                    stopped = true;
                    break;
                }
                double dt = nextS - now;
                now = nextS;
                virtualS += dt * rate;
                double tol = EPS * Math.max(1, now);
                int nf = 0;
                while (activeSize > 0 && jvEnd[active[0]] - virtualS <= tol) {
                    int j = popActive();
                    double end = jstart[j] + (now - jstart[j]) * jslow[j];
                    jend[j] = end;
                    if (end <= now + tol) {
                        nf = addFinishing(nf, j);
                    } else {
                        pushEvent(end, j);
                    }
                }
                while (evSize > 0 && evTime[0] <= now + tol) {
                    int id = evId[0];
                    popEvent();
                    if (id >= 0) {
                        nf = addFinishing(nf, id);
                    } else {
                        markDirty(-1 - id);
                    }
                }
                // finish in resource order, as the tasks list shows them
                for (int i = 1; i < nf; i++) {
                    int j = finishing[i];
                    int k = i - 1;
                    while (k >= 0 && jres[finishing[k]] > jres[j]) {
                        finishing[k + 1] = finishing[k];
                        k--;
                    }
                    finishing[k + 1] = j;
                }
                for (int i = 0; i < nf; i++) {
                    finish(finishing[i]);
                }
            }
            if (!stopped) {
                for (int p = 0; p < np; p++) {
                    for (int s = 0; s < next[p].length; s++) {
                        if (next[p][s] != participants.get(p).order[s].length) {
                            throw new IllegalStateException("schedule deadlocked at participant " + p + " stage " + s);
                        }
                    }
                }
            }
            return new Result(stopped ? Double.POSITIVE_INFINITY : makespan, busy, lastEnd, lastStep,
                    recordTasks ? List.copyOf(done) : List.of());
        }

        private double earliestStop() {
            double t = horizonS;
            for (int p = 0; p < deadlineS.length; p++) {
                if (firstLeft[p] > 0) {
                    t = Math.min(t, deadlineS[p]);
                }
            }
            return t;
        }

        private int addFinishing(int nf, int j) {
            if (nf == finishing.length) {
                finishing = Arrays.copyOf(finishing, 2 * nf);
            }
            finishing[nf] = j;
            return nf + 1;
        }

        private void markDirty(int r) {
            if (!dirty[r]) {
                dirty[r] = true;
                dirtyList[dirtyCount++] = r;
            }
        }

        /** Starts, on free resource r, the first of its ready tasks; or asks to be woken when one gets ready. */
        private void startNext(int r) {
            int[] pend = pending[r];
            double wake = Double.POSITIVE_INFINITY;
            for (int i = 0; i < pendingSize[r]; ) {
                int j = pend[i];
                if (jready[j] <= now + EPS) {
                    pend[i] = pend[--pendingSize[r]];
                    pushReady(r, j);
                } else {
                    wake = Math.min(wake, jready[j]);
                    i++;
                }
            }
            if (readySize[r] == 0) {
                if (wake < Double.POSITIVE_INFINITY) {
                    pushEvent(wake, -1 - r);
                }
                return;
            }
            int j = popReady(r);
            running[r] = j;
            jstart[j] = now;
            if (jkind[j] >= ACT) {
                jend[j] = now + jwork[j];
                pushEvent(jend[j], j);
            } else if (jwork[j] <= 0) {
                jend[j] = now;
                pushEvent(now, j);
            } else if (cores == 0) {
                double cpuEnd = now + jwork[j];
                jend[j] = now + (cpuEnd - now) * jslow[j];
                pushEvent(jend[j], j);
            } else {
                jvEnd[j] = virtualS + jwork[j];
                pushActive(j);
            }
        }

        private void finish(int j) {
            double end = jend[j];
            int r = jres[j];
            running[r] = -1;
            markDirty(r);
            busy[r] += end - jstart[j];
            lastEnd[r] = Math.max(lastEnd[r], end);
            makespan = Math.max(makespan, end);
            int p = jp[j];
            int s = js[j];
            int mb = jmb[j];
            if (recordTasks) {
                done.add(new Task(p, s, mb, KIND_CHAR[jkind[j]], r, jstart[j], end));
            }
            Participant q = participants.get(p);
            switch (jkind[j]) {
                case ACT -> {
                    actArrive[p][s + 1][mb] = end + q.links[s].delayS;
                    offerCompute(p, s + 1);
                }
                case GRAD -> {
                    gradArrive[p][s - 1][mb] = end + q.links[s - 1].delayS;
                    offerCompute(p, s - 1);
                }
                default -> {
                    if (q.stages[s].resource == q.stages[0].resource && --firstLeft[p] == 0 && p < deadlineS.length) {
                        stopS = earliestStop();
                    }
                    queued[p][s] = false;
                    next[p][s]++;
                    stageFree[p][s] = end;
                    if (jkind[j] == S) {
                        lastStep[p][s] = Math.max(lastStep[p][s], end);
                    } else if (jkind[j] == F && s + 1 < q.stages.length) {
                        LinkCost l = q.links[s];
                        add(p, s, mb, ACT, l.upResource, end, 1, l.forwardS, 1);
                    } else if (jkind[j] == B && s > 0) {
                        LinkCost l = q.links[s - 1];
                        add(p, s, mb, GRAD, l.downResource, end, 1, l.backwardS, 1);
                    }
                    offerCompute(p, s);
                }
            }
        }

        /** Queues the next compute step of (p, s) if its input has arrived and it is not already queued. */
        private void offerCompute(int p, int s) {
            Participant q = participants.get(p);
            int[] order = q.order[s];
            int i = next[p][s];
            if (i >= order.length || queued[p][s]) {
                return;
            }
            StageCost cost = q.stages[s];
            boolean last = s == q.stages.length - 1;
            // an owner's tail (a last stage sharing the first stage's processor) goes first, as a loss stage's
            // backward and every optimizer step do on a hop
            boolean tail = last && s > 0 && q.stages[0].resource == cost.resource;
            int code = order[i];
            int kind = code & 3;
            int mb = (code >> 2) - 1;
            double readyS = stageFree[p][s];
            if (kind == F) {
                if (s > 0) {
                    double a = actArrive[p][s][mb];
                    if (Double.isNaN(a)) {
                        return;
                    }
                    readyS = Math.max(readyS, a);
                }
                add(p, s, mb, F, cost.resource, readyS, tail ? 0 : 1, cost.forwardS, cost.slowdown);
            } else if (kind == B) {
                if (!last) {
                    double g = gradArrive[p][s][mb];
                    if (Double.isNaN(g)) {
                        return;
                    }
                    readyS = Math.max(readyS, g);
                }
                add(p, s, mb, B, cost.resource, readyS, last ? 0 : 1, cost.backwardS, cost.slowdown);
            } else {
                add(p, s, -1, S, cost.resource, readyS, 0, cost.stepS, cost.slowdown);
            }
            queued[p][s] = true;
        }

        private void add(int p, int s, int mb, int kind, int r, double readyS, int prio, double work, double slow) {
            int j = count++;
            jp[j] = p;
            js[j] = s;
            jmb[j] = mb;
            jkind[j] = kind;
            jres[j] = r;
            jready[j] = readyS;
            jprio[j] = prio;
            jwork[j] = work;
            jslow[j] = slow;
            if (readyS <= now + EPS) {
                pushReady(r, j);
            } else {
                if (pendingSize[r] == pending[r].length) {
                    pending[r] = Arrays.copyOf(pending[r], 2 * pendingSize[r]);
                }
                pending[r][pendingSize[r]++] = j;
            }
            if (running[r] < 0) {
                markDirty(r);
            }
        }

        /** Whether task a runs before task b when both are ready on one resource. */
        private boolean before(int a, int b) {
            if (jprio[a] != jprio[b]) {
                return jprio[a] < jprio[b];
            }
            if (jready[a] != jready[b]) {
                return jready[a] < jready[b];
            }
            if (jp[a] != jp[b]) {
                return jp[a] < jp[b];
            }
            if (jmb[a] != jmb[b]) {
                return jmb[a] < jmb[b];
            }
            return js[a] > js[b];
        }

        private void pushReady(int r, int j) {
            int n = readySize[r]++;
            if (n == ready[r].length) {
                ready[r] = Arrays.copyOf(ready[r], 2 * n);
            }
            int[] h = ready[r];
            while (n > 0) {
                int parent = (n - 1) >> 1;
                if (!before(j, h[parent])) {
                    break;
                }
                h[n] = h[parent];
                n = parent;
            }
            h[n] = j;
        }

        private int popReady(int r) {
            int[] h = ready[r];
            int top = h[0];
            int n = --readySize[r];
            int x = h[n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) {
                    break;
                }
                if (c + 1 < n && before(h[c + 1], h[c])) {
                    c++;
                }
                if (!before(h[c], x)) {
                    break;
                }
                h[i] = h[c];
                i = c;
            }
            h[i] = x;
            return top;
        }

        private void pushEvent(double t, int id) {
            int n = evSize++;
            if (n == evTime.length) {
                evTime = Arrays.copyOf(evTime, 2 * n);
                evId = Arrays.copyOf(evId, 2 * n);
            }
            while (n > 0) {
                int parent = (n - 1) >> 1;
                if (evTime[parent] <= t) {
                    break;
                }
                evTime[n] = evTime[parent];
                evId[n] = evId[parent];
                n = parent;
            }
            evTime[n] = t;
            evId[n] = id;
        }

        private void popEvent() {
            int n = --evSize;
            double t = evTime[n];
            int id = evId[n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) {
                    break;
                }
                if (c + 1 < n && evTime[c + 1] < evTime[c]) {
                    c++;
                }
                if (evTime[c] >= t) {
                    break;
                }
                evTime[i] = evTime[c];
                evId[i] = evId[c];
                i = c;
            }
            evTime[i] = t;
            evId[i] = id;
        }

        private void pushActive(int j) {
            int n = activeSize++;
            if (n == active.length) {
                active = Arrays.copyOf(active, 2 * n);
            }
            double v = jvEnd[j];
            while (n > 0) {
                int parent = (n - 1) >> 1;
                if (jvEnd[active[parent]] <= v) {
                    break;
                }
                active[n] = active[parent];
                n = parent;
            }
            active[n] = j;
        }

        private int popActive() {
            int top = active[0];
            int n = --activeSize;
            int x = active[n];
            double v = jvEnd[x];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) {
                    break;
                }
                if (c + 1 < n && jvEnd[active[c + 1]] < jvEnd[active[c]]) {
                    c++;
                }
                if (jvEnd[active[c]] >= v) {
                    break;
                }
                active[i] = active[c];
                i = c;
            }
            active[i] = x;
            return top;
        }
    }
}
