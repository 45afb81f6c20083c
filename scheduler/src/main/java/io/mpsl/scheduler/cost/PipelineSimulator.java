package io.mpsl.scheduler.cost;

import io.mpsl.scheduler.schedule.Instruction;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Predicts training iterations of a split-learning plan by simulating its task graph event by event: for every
 * participant, each stage's compute steps (in the schedule's order, for one or more consecutive mini-batches)
 * and each activation/gradient transfer between consecutive stages, on serial resources (an owner's processor,
 * a hop's processor, each link direction). A resource runs one task at a time; when it is free it takes, among
 * the tasks whose inputs have arrived, the one the runtime would take: a loss stage's backward, an optimizer
 * step and an owner's tail first, then, on a {@link #ranked} resource (a compute node), the most urgent
 * participant's (the owner with the slowest uplink), otherwise the one whose input arrived first. The makespan
 * is the time of the last task; it includes pipeline fill and drain, heterogeneous owners, shared hops and the
 * schedule's rules.
 *
 * <p>Processors may share a fixed number of CPU cores ({@link #cores(int)}; 0 = every processor has its
 * own): then all compute tasks running at once progress at rate min(1, cores / running), as the operating
 * system time-slices threads (with other programs' runnable threads counted in, see {@link #background}). A
 * stage with slowdown s (an emulated slower device) takes s times its work, or its wall time on the shared cores
 * where that is longer, as the runtime pads it (the device computes s times longer on a processor of its own;
 * the time its thread waits for a shared core comes out of the padding): the padding holds the processor but no
 * core.
 *
 * <p>A simulator can be {@link #reset()} and filled again: its buffers are kept, so that a search simulating
 * thousands of plans allocates next to nothing per plan. One simulator runs one simulation at a time.
 */
public final class PipelineSimulator {

    /**
     * Compute cost of one stage for one micro-batch (forward, backward) and of its optimizer step, in
     * seconds of one core, and the stage's slowdown factor (its wall time is padded to slowdown times its
     * work).
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
     * A simulation stopped at its {@link #horizon(double)} or a {@link #deadline(int, double)} has an infinite
     * makespan.
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
    /** A participant's remaining work counts for a deadline shrunk by this share, against rounding. */
    private static final double REMAINING_MARGIN = 1e-9;

    private static final int F = 0;
    private static final int B = 1;
    private static final int S = 2;
    private static final int ACT = 3;
    private static final int GRAD = 4;
    private static final char[] KIND_CHAR = {'F', 'B', 'S', 'a', 'g'};
    /**
     * Participants at most. Bits of a task's order key: priority (62), the participant's urgency rank on a ranked
     * resource (47..61), participant (32..46), micro-batch + 1 (12..31), stage.
     */
    private static final int MAX_PARTICIPANTS = 1 << 15;
    /** Where a task's key holds its participant's urgency rank (0 = most urgent) on a ranked resource. */
    private static final int RANK_SHIFT = 47;
    private static final int MAX_MICRO_BATCHES = (1 << 20) - 2;
    private static final int MAX_STAGES = 4095;

    // configuration
    private final List<String> resources = new ArrayList<>();
    private int cores;
    private double background;
    private boolean recordTasks = true;
    private double horizonS = Double.POSITIVE_INFINITY;

    // participants, flattened: participant p's stage s is slot pSlot[p] + s
    private int np;
    private int[] pSlot = new int[8];
    private int[] pStages = new int[8];
    private int[] pMbs = new int[8]; // micro-batches of all its iterations
    private int[] pArrive = new int[8]; // offset of its stages' arrival times: + s * mbs + mb
    private int[] pIts = new int[8];
    private double[] pDeadline = new double[8];
    private double[] pUrgency = new double[8];
    private int[] pRank = new int[0]; // per participant: distinct urgencies above its own (0 = most urgent)
    private double[] urgencySorted = new double[0];
    private long[] urgencyBits = new long[0];
    private boolean[] rankedResource = new boolean[8];
    private int slots;
    private int[] sRes = new int[8];
    private double[] sFwd = new double[8];
    private double[] sBwd = new double[8];
    private double[] sStep = new double[8];
    private double[] sSlow = new double[8];
    private int[][] sOrder = new int[8][];
    private boolean[] sTail = new boolean[8]; // an owner's tail: a last stage on the first stage's processor
    private boolean[] sOnFirst = new boolean[8]; // on the participant's first stage's processor
    private int[] sUp = new int[8]; // the link after the stage
    private int[] sDown = new int[8];
    private double[] sLinkF = new double[8];
    private double[] sLinkB = new double[8];
    private double[] sDelay = new double[8];
    private double[] sDeadline = new double[8]; // by when the stage's last backward must end
    private double[] rDeadline = new double[8]; // per resource: by when its last task must end
    private int arrivals;
    private int taskTotal;
    /** Stage orders by (schedule, micro-batches, iterations, stages): one array per stage, shared by participants. */
    private final Map<Long, int[][]> stepCache = new HashMap<>();

    // simulation state, kept between simulations
    private int nr;
    private int[] next = new int[0];
    private boolean[] queued = new boolean[0];
    private double[] stageFree = new double[0];
    private double[] lastStep = new double[0];
    private double[] act = new double[0];
    private double[] grad = new double[0];
    private int[] running = new int[0];
    private double[][] rqReady = new double[0][]; // per resource: a heap of ready tasks, keys inline
    private long[][] rqKey = new long[0][];
    private int[][] rqId = new int[0][];
    private int[] rqSize = new int[0];
    private int[][] pend = new int[0][]; // per resource: tasks whose input arrives later
    private int[] pendSize = new int[0];
    private boolean[] dirty = new boolean[0];
    private int[] dirtyList = new int[0];
    private int dirtyCount;
    private double[] busy = new double[0];
    private double[] lastEnd = new double[0];
    private int count;
    private long events;
    private int[] tSlot = new int[0];
    private int[] tMb = new int[0];
    private byte[] tKind = new byte[0];
    private int[] tRes = new int[0];
    private long[] tKey = new long[0]; // the order among ready tasks: priority, urgency rank, then (after the ready time) the rest
    private double[] tReady = new double[0];
    private double[] tWork = new double[0]; // core-seconds of work (compute) or the fixed duration (link)
    private double[] tStart = new double[0];
    private double[] tEnd = new double[0];
    private double[] tVEnd = new double[0]; // virtual time at which the compute phase ends (shared cores)
    private double[] evTime = new double[64]; // task ends (id >= 0) and wake-ups of resource r (id = -1 - r)
    private int[] evId = new int[64];
    private int evSize;
    private int[] active = new int[16]; // compute tasks in their compute phase under shared cores, by tVEnd
    private int activeSize;
    private double virtualS;
    private int[] finishing = new int[16];
    private int[] firstLeft = new int[0]; // per participant: compute tasks left on its first stage's processor
    private double[] firstWork = new double[0]; // per participant: least wall time of those not started
    private int[] stageLeft = new int[0]; // per slot: forwards and backwards not finished
    private double[] stageWork = new double[0]; // per slot: least wall time of those not started
    private int[] edfSlot = new int[0]; // slots with a stage deadline, by resource, then by deadline
    private long[] edfSort = new long[0];
    private int[] edfTmp = new int[0];
    private int[] edfGroupEnd = new int[0]; // per group of one resource: the end of its slots in edfSlot
    private int edfGroups;
    private double[] resLeft = new double[0]; // per resource: least time of its tasks not yet started
    private int[] resTasks = new int[0]; // per resource: its tasks not yet finished
    private int[] deadlineRes = new int[0]; // the resources with a deadline
    private int deadlineResCount;
    private int sinceCheck;
    /** Loop iterations between two tests of the stage deadlines. */
    private static final int CHECK_EVERY = 256;
    private double minWallPerWork; // a compute task's least wall seconds per core-second of work
    private double stopS;
    private double now;
    private double makespan;
    private final List<Task> done = new ArrayList<>();

    /** Declares a serial resource and returns its id. */
    public int resource(String name) {
        resources.add(name);
        if (rankedResource.length < resources.size()) {
            rankedResource = Arrays.copyOf(rankedResource, 2 * resources.size());
        }
        rankedResource[resources.size() - 1] = false;
        if (rDeadline.length < resources.size()) {
            rDeadline = Arrays.copyOf(rDeadline, 2 * resources.size());
        }
        rDeadline[resources.size() - 1] = Double.POSITIVE_INFINITY;
        return resources.size() - 1;
    }

    /**
     * Makes {@code resource} take, among its ready tasks of the same priority, the one of the most urgent
     * participant ({@link #urgency}) before the earlier ready one, as a compute node serves its participants.
     */
    public PipelineSimulator ranked(int resource) {
        if (resource < 0 || resource >= resources.size()) {
            throw new IllegalArgumentException("no resource " + resource + " among " + resources.size());
        }
        rankedResource[resource] = true;
        return this;
    }

    /** Sets {@code participant}'s urgency on {@link #ranked} resources (default 0; higher goes first). */
    public PipelineSimulator urgency(int participant, double value) {
        if (participant < 0 || participant >= np) {
            throw new IllegalArgumentException("no participant " + participant + " among " + np);
        }
        if (!(value >= 0) || value == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("urgency must be finite and >= 0, got " + value);
        }
        pUrgency[participant] = value;
        return this;
    }

    /**
     * Events the last {@link #simulate()} went through (each a moment at which tasks end or a waiting task gets
     * ready): its work, to compare searches by, whatever the machine's speed.
     */
    public long events() {
        return events;
    }

    public List<String> resourceNames() {
        return List.copyOf(resources);
    }

    /**
     * Forgets every resource, participant, horizon and deadline and the settings (cores, background, task
     * recording) as a new simulator has them; keeps the buffers, so that the next simulations allocate little.
     */
    public PipelineSimulator reset() {
        resources.clear();
        np = 0;
        slots = 0;
        arrivals = 0;
        taskTotal = 0;
        cores = 0;
        background = 0;
        recordTasks = true;
        horizonS = Double.POSITIVE_INFINITY;
        return this;
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
        if (stages.length < 1 || stages.length > MAX_STAGES) {
            throw new IllegalArgumentException("a participant needs 1.." + MAX_STAGES + " stages, got " + stages.length);
        }
        if ((long) microBatches * iterations > MAX_MICRO_BATCHES || microBatches < 1) {
            throw new IllegalArgumentException("micro-batches times iterations must be 1.." + MAX_MICRO_BATCHES + ", got "
                    + microBatches + " x " + iterations);
        }
        if (np == MAX_PARTICIPANTS) {
            throw new IllegalArgumentException("at most " + MAX_PARTICIPANTS + " participants");
        }
        int[][] order = steps(schedule, microBatches, iterations, stages.length);
        int p = np++;
        if (p == pSlot.length) {
            int n = 2 * p;
            pSlot = Arrays.copyOf(pSlot, n);
            pStages = Arrays.copyOf(pStages, n);
            pMbs = Arrays.copyOf(pMbs, n);
            pArrive = Arrays.copyOf(pArrive, n);
            pDeadline = Arrays.copyOf(pDeadline, n);
            pUrgency = Arrays.copyOf(pUrgency, n);
            pIts = Arrays.copyOf(pIts, n);
        }
        int mbs = microBatches * iterations;
        pSlot[p] = slots;
        pStages[p] = stages.length;
        pMbs[p] = mbs;
        pArrive[p] = arrivals;
        pDeadline[p] = Double.POSITIVE_INFINITY;
        pUrgency[p] = 0;
        pIts[p] = iterations;
        arrivals += stages.length * mbs;
        if (slots + stages.length > sRes.length) {
            int n = Math.max(2 * sRes.length, slots + stages.length);
            sRes = Arrays.copyOf(sRes, n);
            sFwd = Arrays.copyOf(sFwd, n);
            sBwd = Arrays.copyOf(sBwd, n);
            sStep = Arrays.copyOf(sStep, n);
            sSlow = Arrays.copyOf(sSlow, n);
            sOrder = Arrays.copyOf(sOrder, n);
            sTail = Arrays.copyOf(sTail, n);
            sOnFirst = Arrays.copyOf(sOnFirst, n);
            sUp = Arrays.copyOf(sUp, n);
            sDown = Arrays.copyOf(sDown, n);
            sLinkF = Arrays.copyOf(sLinkF, n);
            sLinkB = Arrays.copyOf(sLinkB, n);
            sDelay = Arrays.copyOf(sDelay, n);
            sDeadline = Arrays.copyOf(sDeadline, n);
        }
        int first = stages[0].resource();
        for (int s = 0; s < stages.length; s++) {
            int k = slots + s;
            StageCost c = stages[s];
            sRes[k] = c.resource();
            sFwd[k] = c.forwardS();
            sBwd[k] = c.backwardS();
            sStep[k] = c.stepS();
            sSlow[k] = c.slowdown();
            sOrder[k] = order[s];
            sOnFirst[k] = c.resource() == first;
            sTail[k] = s == stages.length - 1 && s > 0 && c.resource() == first;
            sDeadline[k] = Double.POSITIVE_INFINITY;
            taskTotal += order[s].length;
            if (s < stages.length - 1) {
                LinkCost l = links[s];
                sUp[k] = l.upResource();
                sDown[k] = l.downResource();
                sLinkF[k] = l.forwardS();
                sLinkB[k] = l.backwardS();
                sDelay[k] = l.delayS();
            }
        }
        slots += stages.length;
        taskTotal += 2 * (stages.length - 1) * mbs;
        return this;
    }

    /** Every stage's compute steps, coded as (microBatch + 1) * 4 + kind (F, B, S); participants alike share them. */
    private int[][] steps(ScheduleKind schedule, int microBatches, int iterations, int stages) {
        long key = ((((long) schedule.ordinal() * (MAX_MICRO_BATCHES + 2L) + microBatches) * (MAX_MICRO_BATCHES + 2L)
                + iterations) << 12) | stages;
        int[][] cached = stepCache.get(key);
        if (cached != null) {
            return cached;
        }
        int[][] orders = new int[stages][];
        for (int s = 0; s < stages; s++) {
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
            orders[s] = all;
        }
        stepCache.put(key, orders);
        return orders;
    }

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
     * Stops the simulation, with an infinite makespan, once {@code participant} cannot finish the compute it
     * still has to run on its first stage's processor by {@code seconds}: once simulated time plus the least
     * wall time of its tasks there that have not started (their work at the fastest rate a task can run, or
     * times the slowdown where that is longer) passes {@code seconds}, less a hair (1e-9 of that remaining time)
     * for rounding.
     */
    public PipelineSimulator deadline(int participant, double seconds) {
        if (participant < 0 || participant >= np) {
            throw new IllegalArgumentException("no participant " + participant + " among " + np);
        }
        pDeadline[participant] = seconds;
        return this;
    }

    /**
     * Stops the simulation, with an infinite makespan, once {@code resource} cannot end its last task by
     * {@code seconds}: once simulated time plus the least time of its tasks not yet started (a transfer's
     * duration; a compute task's work at the fastest rate a task can run, or times its slowdown where that is
     * longer), every task it will get counted, passes {@code seconds}, less a hair (1e-9 of that remaining
     * time) for rounding. For a link that one participant's transfers alone use, so that its idle time shows.
     */
    public PipelineSimulator resourceDeadline(int resource, double seconds) {
        if (resource < 0 || resource >= resources.size()) {
            throw new IllegalArgumentException("no resource " + resource + " among " + resources.size());
        }
        rDeadline[resource] = seconds;
        return this;
    }

    /**
     * Stops the simulation, with an infinite makespan, once the last backward of {@code participant} on
     * {@code stage} cannot end by {@code seconds}: every so many events, the participants with such deadlines
     * on one resource are tested earliest deadline first, and the simulation stops when, for the first k of
     * them, the time now plus the least wall time of their forwards and backwards there not yet started
     * passes the latest of their k deadlines (no order of the resource's work can then meet them all).
     */
    public PipelineSimulator stageDeadline(int participant, int stage, double seconds) {
        if (participant < 0 || participant >= np || stage < 0 || stage >= pStages[participant]) {
            throw new IllegalArgumentException("no stage " + stage + " of participant " + participant + " among " + np);
        }
        sDeadline[pSlot[participant] + stage] = seconds;
        return this;
    }

    /**
     * Simulates the iterations. Each event costs O(log tasks): a resource keeps its ready tasks in a heap
     * ordered as the runtime picks them; task ends wait in a heap of times; with shared cores, compute tasks
     * progress in virtual time v (dv/dt = rate) and end when v reaches their start's v plus their work.
     */
    public Result simulate() {
        prepare();
        for (int p = 0; p < np; p++) {
            for (int s = 0; s < pStages[p]; s++) {
                offerCompute(p, s);
            }
        }
        int state;
        long moments = 0;
        while ((state = advance()) == RUNNING) {
            moments++;
        }
        events = moments;
        boolean stopped = state == STOPPED;
        if (!stopped) {
            for (int p = 0; p < np; p++) {
                for (int s = 0; s < pStages[p]; s++) {
                    if (next[pSlot[p] + s] != sOrder[pSlot[p] + s].length) {
                        throw new IllegalStateException("schedule deadlocked at participant " + p + " stage " + s);
                    }
                }
            }
        }
        double[][] steps = new double[np][];
        for (int p = 0; p < np; p++) {
            steps[p] = Arrays.copyOfRange(lastStep, pSlot[p], pSlot[p] + pStages[p]);
        }
        List<Task> tasks = recordTasks ? List.copyOf(done) : List.of();
        done.clear();
        return new Result(stopped ? Double.POSITIVE_INFINITY : makespan, Arrays.copyOf(busy, nr),
                Arrays.copyOf(lastEnd, nr), steps, tasks);
    }

    /** {@link #advance()}'s answers: events remain; none remain; stopped at the horizon or a deadline. */
    private static final int RUNNING = 0;
    private static final int DONE = 1;
    private static final int STOPPED = 2;

    /**
     * Starts what can start, then moves time to the next event and ends what ends then: one event per call, so
     * that the simulation's loop is small and its body a method the just-in-time compiler compiles as one (rather
     * than the whole of {@link #simulate()} once per loop it enters compiled code at).
     */
    private int advance() {
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
            nextS = Math.min(nextS, now + (tVEnd[active[0]] - virtualS) / rate);
        }
        if (nextS == Double.POSITIVE_INFINITY) {
            return DONE;
        }
        if (nextS > stopS) {
            stopS = earliestStop();
            if (nextS > stopS) {
                return STOPPED;
            }
        }
        if (edfGroups > 0 && ++sinceCheck == CHECK_EVERY) {
            sinceCheck = 0;
            if (missesStageDeadline(nextS)) {
                return STOPPED;
            }
        }
        double dt = nextS - now;
        now = nextS;
        virtualS += dt * rate;
        double tol = EPS * Math.max(1, now);
        int nf = 0;
        while (activeSize > 0 && tVEnd[active[0]] - virtualS <= tol) {
            int j = popActive();
            double end = Math.max(now, tStart[j] + sSlow[tSlot[j]] * tWork[j]);
            tEnd[j] = end;
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
            while (k >= 0 && tRes[finishing[k]] > tRes[j]) {
                finishing[k + 1] = finishing[k];
                k--;
            }
            finishing[k + 1] = j;
        }
        for (int i = 0; i < nf; i++) {
            finish(finishing[i]);
        }
        return RUNNING;
    }

    /**
     * Every queue as long as the tasks its resource ever gets: they never grow while simulating (a compiled loop
     * would be thrown away where one grew). Uses {@code busy} as scratch.
     */
    private void sizeQueues() {
        Arrays.fill(busy, 0, nr, 0);
        for (int p = 0; p < np; p++) {
            for (int s = 0; s < pStages[p]; s++) {
                int k = pSlot[p] + s;
                busy[sRes[k]] += sOrder[k].length;
                if (s < pStages[p] - 1) {
                    busy[sUp[k]] += pMbs[p];
                    busy[sDown[k]] += pMbs[p];
                }
            }
        }
        for (int r = 0; r < nr; r++) {
            int need = (int) busy[r] + 1;
            if (rqId[r].length < need) {
                rqReady[r] = new double[need];
                rqKey[r] = new long[need];
                rqId[r] = new int[need];
            }
            if (pend[r].length < need) {
                pend[r] = new int[need];
            }
        }
    }

    /**
     * Sizes the buffers for the declared plan and clears them. Its loops are each a method of their own: a first
     * search runs this about a thousand times while it is still interpreted, and the quick compiler compiles a
     * loop that runs long in the interpreter on its own (on-stack replacement), the whole method each time; the
     * loops alone are small.
     */
    private void prepare() {
        nr = resources.size();
        if (next.length < slots) {
            int n = Math.max(slots, 2 * next.length);
            next = new int[n];
            queued = new boolean[n];
            stageFree = new double[n];
            lastStep = new double[n];
        }
        Arrays.fill(next, 0, slots, 0);
        Arrays.fill(queued, 0, slots, false);
        Arrays.fill(stageFree, 0, slots, 0);
        Arrays.fill(lastStep, 0, slots, 0);
        if (act.length < arrivals) {
            int n = Math.max(arrivals, 2 * act.length);
            act = new double[n];
            grad = new double[n];
        }
        Arrays.fill(act, 0, arrivals, Double.NaN);
        Arrays.fill(grad, 0, arrivals, Double.NaN);
        if (running.length < nr) {
            int n = Math.max(nr, 2 * running.length);
            int old = rqReady.length;
            running = new int[n];
            rqReady = Arrays.copyOf(rqReady, n);
            rqKey = Arrays.copyOf(rqKey, n);
            rqId = Arrays.copyOf(rqId, n);
            pend = Arrays.copyOf(pend, n);
            for (int r = old; r < n; r++) {
                rqReady[r] = new double[8];
                rqKey[r] = new long[8];
                rqId[r] = new int[8];
                pend[r] = new int[4];
            }
            rqSize = new int[n];
            pendSize = new int[n];
            dirty = new boolean[n];
            dirtyList = new int[n];
            busy = new double[n];
            lastEnd = new double[n];
        }
        sizeQueues();
        // the event heap and the finishing list as long as two per resource: they never grow while simulating either
        if (evTime.length < 2 * nr + 16) {
            evTime = new double[2 * nr + 16];
            evId = new int[2 * nr + 16];
        }
        if (finishing.length < 2 * nr + 16) {
            finishing = new int[2 * nr + 16];
        }
        if (active.length < nr + 16) {
            active = new int[nr + 16];
        }
        Arrays.fill(running, 0, nr, -1);
        Arrays.fill(rqSize, 0, nr, 0);
        Arrays.fill(pendSize, 0, nr, 0);
        Arrays.fill(dirty, 0, nr, false);
        Arrays.fill(busy, 0, nr, 0);
        Arrays.fill(lastEnd, 0, nr, 0);
        dirtyCount = 0;
        int cap = Math.max(taskTotal, 1);
        if (tSlot.length < cap) {
            int n = Math.max(cap, tSlot.length + tSlot.length / 2);
            tSlot = new int[n];
            tMb = new int[n];
            tKind = new byte[n];
            tRes = new int[n];
            tKey = new long[n];
            tReady = new double[n];
            tWork = new double[n];
            tStart = new double[n];
            tEnd = new double[n];
            tVEnd = new double[n];
        }
        count = 0;
        evSize = 0;
        activeSize = 0;
        virtualS = 0;
        now = 0;
        makespan = 0;
        done.clear();
        minWallPerWork = cores > 0 ? 1 / Math.min(1.0, cores / (background + 1)) : 1.0;
        if (firstLeft.length < np) {
            int n = Math.max(np, 2 * firstLeft.length);
            firstLeft = new int[n];
            firstWork = new double[n];
        }
        if (stageLeft.length < slots) {
            int n = Math.max(slots, 2 * stageLeft.length);
            stageLeft = new int[n];
            stageWork = new double[n];
            edfSlot = new int[n];
            edfSort = new long[n];
            edfTmp = new int[n];
            edfGroupEnd = new int[n];
        }
        groupByResourceAndDeadline(countWork());
        if (resLeft.length < nr) {
            int n = Math.max(nr, 2 * resLeft.length);
            resLeft = new double[n];
            resTasks = new int[n];
            deadlineRes = new int[n];
        }
        deadlineResCount = listResourceDeadlines();
        if (deadlineResCount > 0) {
            countResourceWork();
        }
        rankUrgencies();
        sinceCheck = 0;
        stopS = earliestStop();
    }

    /**
     * Each participant's and stage's tasks and their least wall time, before any has run; the slots with a stage
     * deadline listed in edfSlot. Returns how many there are.
     */
    private int countWork() {
        int withDeadline = 0;
        for (int p = 0; p < np; p++) {
            int left = 0;
            double work = 0;
            int mbs = pMbs[p];
            for (int s = 0; s < pStages[p]; s++) {
                int k = pSlot[p] + s;
                // every schedule runs each micro-batch's forward and backward once, and a step per iteration
                double fb = mbs * (sFwd[k] + sBwd[k]) * leastWallPerWork(k);
                stageLeft[k] = 2 * mbs;
                stageWork[k] = fb;
                if (sOnFirst[k]) {
                    left += sOrder[k].length;
                    work += fb + pIts[p] * sStep[k] * leastWallPerWork(k);
                }
                if (sDeadline[k] < Double.POSITIVE_INFINITY) {
                    edfSlot[withDeadline++] = k;
                }
            }
            firstLeft[p] = left;
            firstWork[p] = work;
        }
        return withDeadline;
    }

    /** Clears each resource's work left and lists those with a deadline in deadlineRes; returns how many. */
    private int listResourceDeadlines() {
        int n = 0;
        for (int r = 0; r < nr; r++) {
            resLeft[r] = 0;
            resTasks[r] = 0;
            if (rDeadline[r] < Double.POSITIVE_INFINITY) {
                deadlineRes[n++] = r;
            }
        }
        return n;
    }

    /** Each resource's tasks and their least time, before any has run. */
    private void countResourceWork() {
        for (int p = 0; p < np; p++) {
            int mbs = pMbs[p];
            for (int s = 0; s < pStages[p]; s++) {
                int k = pSlot[p] + s;
                resLeft[sRes[k]] += (mbs * (sFwd[k] + sBwd[k]) + pIts[p] * sStep[k]) * leastWallPerWork(k);
                resTasks[sRes[k]] += sOrder[k].length;
                if (s < pStages[p] - 1) {
                    resLeft[sUp[k]] += mbs * sLinkF[k];
                    resLeft[sDown[k]] += mbs * sLinkB[k];
                    resTasks[sUp[k]] += mbs;
                    resTasks[sDown[k]] += mbs;
                }
            }
        }
    }

    /** Each participant's urgency rank: how many distinct urgencies are higher than its own. */
    private void rankUrgencies() {
        if (pRank.length < np) {
            pRank = new int[Math.max(np, 2 * pRank.length)];
            urgencySorted = new double[pRank.length];
            urgencyBits = new long[pRank.length];
        }
        // urgencies are finite and >= 0: their bits sort as they do
        for (int p = 0; p < np; p++) {
            urgencyBits[p] = Double.doubleToLongBits(pUrgency[p]);
        }
        heapSort(urgencyBits, 0, np);
        for (int p = 0; p < np; p++) {
            urgencySorted[p] = Double.longBitsToDouble(urgencyBits[p]);
        }
        int distinct = 0; // distinct values, ascending, packed to the front
        for (int i = 0; i < np; i++) {
            if (distinct == 0 || urgencySorted[i] != urgencySorted[distinct - 1]) {
                urgencySorted[distinct++] = urgencySorted[i];
            }
        }
        for (int p = 0; p < np; p++) {
            pRank[p] = distinct - 1 - Arrays.binarySearch(urgencySorted, 0, distinct, pUrgency[p]);
        }
    }

    /**
     * Sorts a[from, to) ascending, in place (heapsort): a few hundred keys per plan. Not Arrays.sort, whose
     * dual-pivot quicksort the JIT compilers spent about 0.2 s of processor time compiling, on the processors the
     * first search in a process runs on, for these small arrays.
     */
    static void heapSort(long[] a, int from, int to) {
        int n = to - from;
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(a, from, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            long t = a[from];
            a[from] = a[from + end];
            a[from + end] = t;
            siftDown(a, from, 0, end);
        }
    }

    private static void siftDown(long[] a, int base, int i, int n) {
        long x = a[base + i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && a[base + c + 1] > a[base + c]) {
                c++;
            }
            if (a[base + c] <= x) {
                break;
            }
            a[base + i] = a[base + c];
            i = c;
        }
        a[base + i] = x;
    }

    /** Orders the first n slots of edfSlot by resource, then by deadline (its leading 32 bits), and marks the groups. */
    private void groupByResourceAndDeadline(int n) {
        // by resource (its id in the high bits, the position in the low ones), then by deadline within each run
        for (int i = 0; i < n; i++) {
            int k = edfSlot[i];
            edfSort[i] = ((long) sRes[k] << 32) | i;
        }
        heapSort(edfSort, 0, n);
        int[] bySlot = edfTmp;
        for (int i = 0; i < n; i++) {
            bySlot[i] = edfSlot[(int) edfSort[i]];
        }
        edfGroups = 0;
        int from = 0;
        while (from < n) {
            int r = sRes[bySlot[from]];
            int to = from;
            while (to < n && sRes[bySlot[to]] == r) {
                to++;
            }
            // within the group: by deadline (its sortable bits, low 32 dropped) and then position; the test
            // below takes the largest deadline of each prefix, so an order off by rounding stays a valid test
            for (int i = from; i < to; i++) {
                long bits = Double.doubleToLongBits(sDeadline[bySlot[i]]);
                bits ^= (bits >> 63) & Long.MAX_VALUE;
                edfSort[i] = ((bits >> 32) << 32) | (i - from);
            }
            heapSort(edfSort, from, to);
            for (int i = from; i < to; i++) {
                edfSlot[i] = bySlot[from + (int) (edfSort[i] & 0xFFFFFFFFL)];
            }
            edfGroupEnd[edfGroups++] = to;
            from = to;
        }
    }

    /**
     * Whether, on some resource, the participants with stage deadlines can no longer all meet them: for the
     * first k in deadline order, time {@code t} plus their forwards' and backwards' least wall time not yet
     * started passes the latest of their deadlines.
     */
    private boolean missesStageDeadline(double t) {
        int from = 0;
        for (int g = 0; g < edfGroups; g++) {
            int to = edfGroupEnd[g];
            double work = 0;
            double latest = Double.NEGATIVE_INFINITY;
            for (int i = from; i < to; i++) {
                int k = edfSlot[i];
                if (stageLeft[k] > 0) {
                    work += stageWork[k];
                    latest = Math.max(latest, sDeadline[k]);
                    if (t + work * (1 - REMAINING_MARGIN) > latest) {
                        return true;
                    }
                }
            }
            from = to;
        }
        return false;
    }

    /**
     * The earliest time at which some participant or resource with a deadline can no longer meet it (or the
     * horizon): its deadline less the least time its work not yet started takes (a participant's compute on its
     * first processor; a resource's tasks). Starting work only makes it later, so a value computed earlier is
     * never too late: the loop computes it again once simulated time passes it.
     */
    private double earliestStop() {
        double t = horizonS;
        for (int p = 0; p < np; p++) {
            if (firstLeft[p] > 0 && pDeadline[p] < Double.POSITIVE_INFINITY) {
                t = Math.min(t, pDeadline[p] - firstWork[p] * (1 - REMAINING_MARGIN));
            }
        }
        for (int i = 0; i < deadlineResCount; i++) {
            int r = deadlineRes[i];
            if (resTasks[r] > 0) { // once its last task has ended, the resource has met its deadline or not
                t = Math.min(t, rDeadline[r] - resLeft[r] * (1 - REMAINING_MARGIN));
            }
        }
        return t;
    }

    /** A compute task's least wall seconds per core-second of work on slot k: at the fastest rate, or padded, the longer. */
    private double leastWallPerWork(int k) {
        return Math.max(minWallPerWork, sSlow[k]);
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
        int[] pd = pend[r];
        double wake = Double.POSITIVE_INFINITY;
        double readyBy = now + EPS;
        for (int i = 0; i < pendSize[r]; ) {
            int j = pd[i];
            if (tReady[j] <= readyBy) {
                pd[i] = pd[--pendSize[r]];
                pushReady(r, j);
            } else {
                wake = Math.min(wake, tReady[j]);
                i++;
            }
        }
        if (rqSize[r] == 0) {
            if (wake < Double.POSITIVE_INFINITY) {
                pushEvent(wake, -1 - r);
            }
            return;
        }
        int j = popReady(r);
        running[r] = j;
        tStart[j] = now;
        double work = tWork[j];
        int kind = tKind[j];
        if (kind >= ACT) {
            resLeft[r] -= work;
            tEnd[j] = now + work;
            pushEvent(tEnd[j], j);
            return;
        }
        int k = tSlot[j];
        resLeft[r] -= work * leastWallPerWork(k);
        if (kind != S) {
            stageWork[k] -= work * leastWallPerWork(k);
        }
        if (sOnFirst[k]) {
            firstWork[(int) ((tKey[j] >>> 32) & (MAX_PARTICIPANTS - 1))] -= work * leastWallPerWork(k);
        }
        if (work <= 0) {
            tEnd[j] = now;
            pushEvent(now, j);
        } else if (cores == 0) {
            tEnd[j] = now + work * sSlow[k];
            pushEvent(tEnd[j], j);
        } else {
            tVEnd[j] = virtualS + work;
            pushActive(j);
        }
    }

    private void finish(int j) {
        double end = tEnd[j];
        int r = tRes[j];
        running[r] = -1;
        markDirty(r);
        resTasks[r]--;
        busy[r] += end - tStart[j];
        if (end > lastEnd[r]) {
            lastEnd[r] = end;
        }
        if (end > makespan) {
            makespan = end;
        }
        int k = tSlot[j];
        int mb = tMb[j];
        int kind = tKind[j];
        long key = tKey[j];
        int p = (int) ((key >>> 32) & (MAX_PARTICIPANTS - 1));
        int s = k - pSlot[p];
        if (recordTasks) {
            done.add(new Task(p, s, mb, KIND_CHAR[kind], r, tStart[j], end));
        }
        switch (kind) {
            case ACT -> {
                act[pArrive[p] + (s + 1) * pMbs[p] + mb] = end + sDelay[k];
                offerCompute(p, s + 1);
            }
            case GRAD -> {
                grad[pArrive[p] + (s - 1) * pMbs[p] + mb] = end + sDelay[k - 1];
                offerCompute(p, s - 1);
            }
            default -> {
                if (sOnFirst[k] && --firstLeft[p] == 0 && pDeadline[p] < Double.POSITIVE_INFINITY) {
                    stopS = earliestStop();
                }
                if (kind != S) {
                    stageLeft[k]--;
                }
                queued[k] = false;
                next[k]++;
                stageFree[k] = end;
                if (kind == S) {
                    if (end > lastStep[k]) {
                        lastStep[k] = end;
                    }
                } else if (kind == F && s + 1 < pStages[p]) {
                    add(p, k, s, mb, ACT, sUp[k], end, 1, sLinkF[k]);
                } else if (kind == B && s > 0) {
                    add(p, k, s, mb, GRAD, sDown[k - 1], end, 1, sLinkB[k - 1]);
                }
                offerCompute(p, s);
            }
        }
    }

    /** Queues the next compute step of (p, s) if its input has arrived and it is not already queued. */
    private void offerCompute(int p, int s) {
        int k = pSlot[p] + s;
        int[] order = sOrder[k];
        int i = next[k];
        if (i >= order.length || queued[k]) {
            return;
        }
        boolean last = s == pStages[p] - 1;
        int code = order[i];
        int kind = code & 3;
        int mb = (code >> 2) - 1;
        double readyS = stageFree[k];
        if (kind == F) {
            if (s > 0) {
                double a = act[pArrive[p] + s * pMbs[p] + mb];
                if (Double.isNaN(a)) {
                    return;
                }
                readyS = Math.max(readyS, a);
            }
            // an owner's tail (a last stage sharing the first stage's processor) goes first, as a loss stage's
            // backward and every optimizer step do on a hop
            add(p, k, s, mb, F, sRes[k], readyS, sTail[k] ? 0 : 1, sFwd[k]);
        } else if (kind == B) {
            if (!last) {
                double g = grad[pArrive[p] + s * pMbs[p] + mb];
                if (Double.isNaN(g)) {
                    return;
                }
                readyS = Math.max(readyS, g);
            }
            add(p, k, s, mb, B, sRes[k], readyS, last ? 0 : 1, sBwd[k]);
        } else {
            add(p, k, s, -1, S, sRes[k], readyS, 0, sStep[k]);
        }
        queued[k] = true;
    }

    private void add(int p, int k, int s, int mb, int kind, int r, double readyS, int prio, double work) {
        int j = count++;
        tSlot[j] = k;
        tMb[j] = mb;
        tKind[j] = (byte) kind;
        tRes[j] = r;
        tReady[j] = readyS;
        long rank = rankedResource[r] ? pRank[p] : 0;
        tKey[j] = ((long) prio << 62) | (rank << RANK_SHIFT) | ((long) p << 32) | ((long) (mb + 1) << 12)
                | (MAX_STAGES - s);
        tWork[j] = work;
        if (readyS <= now + EPS) {
            pushReady(r, j);
        } else {
            if (pendSize[r] == pend[r].length) {
                pend[r] = Arrays.copyOf(pend[r], 2 * pendSize[r]);
            }
            pend[r][pendSize[r]++] = j;
        }
        if (running[r] < 0) {
            markDirty(r);
        }
    }

    /**
     * Whether a ready task (ready time ra, key ka) runs before another (rb, kb): the lower priority first, then
     * the more urgent participant (its rank in the key; 0 on resources that are not ranked), then the earlier
     * ready, then the lower participant, the lower micro-batch, the later stage (the rest of the key).
     */
    private static boolean before(double ra, long ka, double rb, long kb) {
        if ((ka >>> RANK_SHIFT) != (kb >>> RANK_SHIFT)) {
            return ka < kb;
        }
        if (ra != rb) {
            return ra < rb;
        }
        return ka < kb;
    }

    private void pushReady(int r, int j) {
        int n = rqSize[r]++;
        if (n == rqId[r].length) {
            rqReady[r] = Arrays.copyOf(rqReady[r], 2 * n);
            rqKey[r] = Arrays.copyOf(rqKey[r], 2 * n);
            rqId[r] = Arrays.copyOf(rqId[r], 2 * n);
        }
        double[] hr = rqReady[r];
        long[] hk = rqKey[r];
        int[] hi = rqId[r];
        double ready = tReady[j];
        long key = tKey[j];
        while (n > 0) {
            int parent = (n - 1) >> 1;
            if (!before(ready, key, hr[parent], hk[parent])) {
                break;
            }
            hr[n] = hr[parent];
            hk[n] = hk[parent];
            hi[n] = hi[parent];
            n = parent;
        }
        hr[n] = ready;
        hk[n] = key;
        hi[n] = j;
    }

    private int popReady(int r) {
        double[] hr = rqReady[r];
        long[] hk = rqKey[r];
        int[] hi = rqId[r];
        int top = hi[0];
        int n = --rqSize[r];
        double xr = hr[n];
        long xk = hk[n];
        int xi = hi[n];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && before(hr[c + 1], hk[c + 1], hr[c], hk[c])) {
                c++;
            }
            if (!before(hr[c], hk[c], xr, xk)) {
                break;
            }
            hr[i] = hr[c];
            hk[i] = hk[c];
            hi[i] = hi[c];
            i = c;
        }
        hr[i] = xr;
        hk[i] = xk;
        hi[i] = xi;
        return top;
    }

    // the events are a 4-ary heap: half the levels of a binary one, its children side by side

    private void pushEvent(double t, int id) {
        int n = evSize++;
        if (n == evTime.length) {
            evTime = Arrays.copyOf(evTime, 2 * n);
            evId = Arrays.copyOf(evId, 2 * n);
        }
        double[] et = evTime;
        int[] ei = evId;
        while (n > 0) {
            int parent = (n - 1) >> 2;
            if (et[parent] <= t) {
                break;
            }
            et[n] = et[parent];
            ei[n] = ei[parent];
            n = parent;
        }
        et[n] = t;
        ei[n] = id;
    }

    private void popEvent() {
        int n = --evSize;
        double[] et = evTime;
        int[] ei = evId;
        double t = et[n];
        int id = ei[n];
        int i = 0;
        while (true) {
            int c = 4 * i + 1;
            if (c >= n) {
                break;
            }
            // the least of up to four children
            int last = Math.min(c + 4, n);
            int m = c;
            double mt = et[c];
            for (int k = c + 1; k < last; k++) {
                if (et[k] < mt) {
                    mt = et[k];
                    m = k;
                }
            }
            if (mt >= t) {
                break;
            }
            et[i] = mt;
            ei[i] = ei[m];
            i = m;
        }
        et[i] = t;
        ei[i] = id;
    }

    private void pushActive(int j) {
        int n = activeSize++;
        if (n == active.length) {
            active = Arrays.copyOf(active, 2 * n);
        }
        double v = tVEnd[j];
        while (n > 0) {
            int parent = (n - 1) >> 1;
            if (tVEnd[active[parent]] <= v) {
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
        double v = tVEnd[x];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && tVEnd[active[c + 1]] < tVEnd[active[c]]) {
                c++;
            }
            if (tVEnd[active[c]] >= v) {
                break;
            }
            active[i] = active[c];
            i = c;
        }
        active[i] = x;
        return top;
    }
}
