package io.mpsl.scheduler.runtime;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.BackendProvider;
import io.mpsl.kernels.Backends;
import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Segment;
import io.mpsl.nn.SoftmaxCrossEntropy;
import io.mpsl.nn.data.BatchLoader;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.Partitions;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.schedule.ScheduleKind;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Plan} with every role in this JVM, one thread each, over emulated links (rate and delay
 * per link). The driver thread waits at the end of each round, evaluates the averaged model on the test set
 * and reports; round times exclude that evaluation.
 *
 * <p>With a {@link Deployment} the messages travel over Aeron instead (IPC or UDP, see {@link AeronFabric}),
 * and the cluster may run only some roles (process mode: the others run in other processes). In process mode
 * with evaluation on, each hop sends its averaged copy to the coordinator at the end of every round (over a
 * link of the hops' rate), and the coordinator's process evaluates the whole model. Every process builds the same plan, data partitions and initial
 * weights, so the run computes the same weights wherever its roles are.
 */
public final class LocalCluster implements AutoCloseable {

    /** Called by the driver after each round. */
    @FunctionalInterface
    public interface RoundListener {
        void onRound(int round, double testAccuracy, double trainLoss, double roundS);
    }

    /** Knobs that are not part of the plan: threads, evaluation, observation hooks. */
    public static final class Options {
        int ownerThreads = 1;
        int hopThreads = 1;
        int warmupRounds;
        boolean evaluate = true;
        boolean keepTimeline;
        LinkTap tap;
        RoundListener listener;
        BackendProvider provider;
        Deployment deployment = new Deployment();

        public Options ownerThreads(int n) {
            ownerThreads = n;
            return this;
        }

        public Options hopThreads(int n) {
            hopThreads = n;
            return this;
        }

        /** Rounds that train but are left out of the timing figures (JIT warm-up). */
        public Options warmupRounds(int n) {
            warmupRounds = n;
            return this;
        }

        public Options evaluate(boolean e) {
            evaluate = e;
            return this;
        }

        public Options keepTimeline(boolean k) {
            keepTimeline = k;
            return this;
        }

        public Options tap(LinkTap t) {
            tap = t;
            return this;
        }

        public Options listener(RoundListener l) {
            listener = l;
            return this;
        }

        public Options provider(BackendProvider p) {
            provider = p;
            return this;
        }

        /** Where the roles run and how messages travel; default: every role here, emulated links. */
        public Options deployment(Deployment d) {
            deployment = d;
            return this;
        }
    }

    private final Plan plan;
    private final Options options;
    private final ModelSpec spec;
    private final Dataset test;
    private final Timeline timeline;
    private final RunState state = new RunState();
    private final RoundBarrier barrier;
    private final Fabric fabric;
    private final List<Backend> backends = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final DataOwner[] owners;
    private final ComputeNode[] hops;
    private final Coordinator coordinator;
    private final MemoryAccount[] ownerAccounts;
    private final MemoryAccount[] hopAccounts;
    private final MemoryAccount coordinatorAccount = MemoryAccount.root("coordinator");
    private final Backend evalBackend;
    private final int[] ownerIterations; // mini-batches per round of each owner
    private final boolean allLocal;

    public LocalCluster(Plan plan, Dataset train, Dataset test, Options options) {
        this.plan = plan;
        this.options = options;
        this.test = test;
        BackendProvider provider = options.provider != null ? options.provider : Backends.chosen();
        this.spec = ModelZoo.create(plan.model(), train.sampleShape(), train.classes());
        int blocks = spec.blockCount();
        int nOwners = plan.owners().size();
        int stages = plan.stageCount();
        int nHops = plan.algorithm() == Algorithm.FEDAVG ? 0 : plan.hops();
        ScheduleKind kind = plan.algorithm() == Algorithm.SEQUENTIAL_SL ? ScheduleKind.SEQUENTIAL : plan.schedule();
        for (int s = 0; s < stages; s++) {
            plan.stageBlocks(s, blocks); // validates the cuts against this model
        }
        this.timeline = new Timeline(options.keepTimeline);
        Deployment deployment = options.deployment;
        this.evalBackend = provider.create(1);
        backends.add(evalBackend);

        // data: each owner's partition of the training set
        Dataset trainSet = plan.trainLimit() > 0 ? train.head(plan.trainLimit()) : train;
        int[][] parts = plan.partitioning() == Plan.Partitioning.IID
                ? Partitions.iid(trainSet.size(), nOwners, plan.seed())
                : Partitions.dirichlet(labelsOf(trainSet), trainSet.classes(), nOwners, plan.dirichletAlpha(),
                        plan.seed());
        ownerIterations = new int[nOwners];
        for (int p = 0; p < nOwners; p++) {
            if (parts[p].length == 0) {
                throw new IllegalArgumentException("owner " + p + " received no training samples (Dirichlet alpha "
                        + plan.dirichletAlpha() + " too small for " + nOwners + " owners?); raise alpha or use iid");
            }
            // as DataOwner: local_iterations, or one pass over the partition (the last batch may be short)
            int batch = plan.owners().get(p).batch();
            ownerIterations[p] = plan.localIterations() > 0 ? plan.localIterations() : (parts[p].length + batch - 1) / batch;
        }
        long weightFloats = ownerWeightFloats(blocks, stages);
        long largestWeights = weightFloats;
        for (int h = 1; h <= nHops; h++) {
            largestWeights = Math.max(largestWeights, hopWeightFloats(h, blocks));
        }
        this.fabric = deployment.kind() == Deployment.Kind.EMULATED ? new EmulatedFabric(timeline, options.tap)
                : new AeronFabric(timeline, options.tap, deployment, plan.toString().hashCode(),
                        maxMessageBytes(largestWeights));
        int localNodes = 0;
        for (String role : roles(plan)) {
            localNodes += deployment.isLocal(role) ? 1 : 0;
        }
        this.allLocal = localNodes == nOwners + nHops + 1;
        boolean remoteEval = options.evaluate && !allLocal;
        this.barrier = new RoundBarrier(localNodes, state);

        ownerAccounts = new MemoryAccount[nOwners];
        hopAccounts = new MemoryAccount[nHops];
        fabric.node("coordinator", coordinatorAccount.child("received"));
        for (int p = 0; p < nOwners; p++) {
            ownerAccounts[p] = MemoryAccount.root("owner" + p);
            fabric.node("owner" + p, ownerAccounts[p].child("received"));
        }
        for (int h = 1; h <= nHops; h++) {
            hopAccounts[h - 1] = MemoryAccount.root("hop" + h);
            fabric.node("hop" + h, hopAccounts[h - 1].child("received"));
        }
        OptimizerSpec opt = plan.optimizer();
        boolean shared = plan.serverCopies() == Plan.ServerCopies.SHARED;

        // links, and who sends to whom over which (every node's, so each process knows its peers)
        Link[] up = new Link[nOwners];
        Link[] down = new Link[nOwners];
        for (int p = 0; p < nOwners; p++) {
            OwnerSpec o = plan.owners().get(p);
            up[p] = fabric.link("owner" + p + ".up", o.uplink());
            down[p] = fabric.link("owner" + p + ".down", o.downlink());
            fabric.route("owner" + p, "coordinator", up[p]);
            fabric.route("coordinator", "owner" + p, down[p]);
        }
        Link[] forward = new Link[nHops + 1]; // forward[h]: hop h -> hop h+1
        Link[] backward = new Link[nHops + 1]; // backward[h]: hop h+1 -> hop h
        for (int h = 1; h < nHops; h++) {
            forward[h] = fabric.link("hop" + h + "->hop" + (h + 1), plan.hopLink());
            backward[h] = fabric.link("hop" + (h + 1) + "->hop" + h, plan.hopLink());
        }
        Link[] evalLinks = new Link[nHops + 1]; // process mode: hop h's averaged copy to the coordinator
        for (int h = 1; remoteEval && h <= nHops; h++) {
            evalLinks[h] = fabric.link("hop" + h + "->coordinator", plan.hopLink());
            fabric.route("hop" + h, "coordinator", evalLinks[h]);
        }
        Link[][] upLinks = new Link[nHops + 1][nOwners];
        String[][] upTargets = new String[nHops + 1][nOwners];
        Link[][] downLinks = new Link[nHops + 1][nOwners];
        String[][] downTargets = new String[nHops + 1][nOwners];
        for (int h = 1; h <= nHops; h++) {
            for (int p = 0; p < nOwners; p++) {
                upLinks[h][p] = h == 1 ? down[p] : backward[h - 1];
                upTargets[h][p] = h == 1 ? "owner" + p : "hop" + (h - 1);
                if (h < nHops) {
                    downLinks[h][p] = forward[h];
                    downTargets[h][p] = "hop" + (h + 1);
                } else if (plan.mode() == Mode.U_SHAPED) {
                    downLinks[h][p] = down[p];
                    downTargets[h][p] = "owner" + p;
                }
                fabric.route("hop" + h, upTargets[h][p], upLinks[h][p]);
                if (downLinks[h][p] != null) {
                    fabric.route("hop" + h, downTargets[h][p], downLinks[h][p]);
                }
            }
        }
        if (nHops > 0) {
            for (int p = 0; p < nOwners; p++) {
                fabric.route("owner" + p, "hop1", up[p]);
                if (plan.mode() == Mode.U_SHAPED) {
                    fabric.route("owner" + p, "hop" + nHops, up[p]);
                }
            }
        }

        // owners
        owners = new DataOwner[nOwners];
        for (int p = 0; p < nOwners; p++) {
            if (!deployment.isLocal("owner" + p)) {
                continue;
            }
            OwnerSpec o = plan.owners().get(p);
            Backend b = provider.create(options.ownerThreads);
            backends.add(b);
            MemoryAccount acc = ownerAccounts[p];
            TensorArena arena = new TensorArena(acc.child("buffers"));
            closeables.add(arena);
            int m = o.microBatches();
            int capacity = (o.batch() + m - 1) / m;
            int[] hb = plan.stageBlocks(0, blocks);
            Segment headSeg = spec.build(hb[0], hb[1], b, false);
            StageExecutor head = new StageExecutor(0, headSeg, stages == 1, nOwners, p, false, plan.seed(), opt,
                    capacity, m, kind.maxInFlight(m, stages, 0), 0, acc.child("parameters"), acc.child("activations"));
            closeables.add(head);
            StageExecutor tail = null;
            if (stages > 1 && plan.mode() == Mode.U_SHAPED) {
                int[] tb = plan.stageBlocks(stages - 1, blocks);
                Segment tailSeg = spec.build(tb[0], tb[1], b, true);
                tail = new StageExecutor(stages - 1, tailSeg, true, nOwners, p, false, plan.seed(), opt, capacity, m,
                        kind.maxInFlight(m, stages, stages - 1), 0, acc.child("parameters"), acc.child("activations"));
                closeables.add(tail);
            }
            BatchLoader loader = new BatchLoader(trainSet, parts[p], o.batch(), plan.seed() + p, true, arena);
            owners[p] = new DataOwner(p, plan, loader, head, tail, fabric, up[p], Math.max(nHops, 1), state, barrier,
                    arena);
        }

        // hops
        hops = new ComputeNode[nHops];
        for (int h = 1; h <= nHops; h++) {
            if (!deployment.isLocal("hop" + h)) {
                continue;
            }
            Backend b = provider.create(options.hopThreads);
            backends.add(b);
            MemoryAccount acc = hopAccounts[h - 1];
            int[] sb = plan.stageBlocks(h, blocks);
            Segment seg = spec.build(sb[0], sb[1], b, true);
            int capacity = 1;
            int window = 1;
            int maxMb = 1;
            for (OwnerSpec o : plan.owners()) {
                capacity = Math.max(capacity, (o.batch() + o.microBatches() - 1) / o.microBatches());
                window = Math.max(window, kind.maxInFlight(o.microBatches(), stages, h));
                maxMb = Math.max(maxMb, o.microBatches());
            }
            boolean lossHere = plan.mode() == Mode.VANILLA && h == nHops;
            StageExecutor exec = new StageExecutor(h, seg, lossHere, nOwners, -1, shared, plan.seed(), opt, capacity,
                    maxMb, window, plan.maxInFlight(), acc.child("parameters"), acc.child("activations"));
            closeables.add(exec);
            hops[h - 1] = new ComputeNode(h, plan, exec, fabric, upLinks[h], upTargets[h], downLinks[h], downTargets[h],
                    evalLinks[h], ownerIterations, state, barrier);
        }
        if (deployment.isLocal("coordinator")) {
            TensorArena coordArena = new TensorArena(coordinatorAccount.child("buffers"));
            closeables.add(coordArena);
            long[] hopFloats = new long[remoteEval ? nHops : 0];
            for (int h = 1; h <= hopFloats.length; h++) {
                hopFloats[h - 1] = hopWeightFloats(h, blocks);
            }
            coordinator = new Coordinator(plan, fabric, down, weightFloats, hopFloats, state, barrier, coordArena);
        } else {
            coordinator = null;
        }
    }

    private static int[] labelsOf(Dataset d) {
        int[] l = new int[d.size()];
        for (int i = 0; i < l.length; i++) {
            l[i] = d.label(i);
        }
        return l;
    }

    /**
     * Runs every round; returns what was measured. Throws {@link RunAbortedException} if a node failed (in
     * this process or, over Aeron, in another: then the message names it).
     */
    public RunResult run() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (NodeBase n : localNodes()) {
            threads.add(Thread.ofPlatform().name(n.name).daemon().unstarted(n));
        }
        List<Double> acc = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        List<Double> roundS = new ArrayList<>();
        long measuredNs = 0;
        boolean evaluating = options.evaluate && (allLocal || coordinator != null);
        try {
            fabric.start(state);
        } catch (RunAbortedException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RunAbortedException(e.getMessage(), e);
        }
        Competition competition = Competition.start();
        long nodesRunNs = 0; // wall time with the nodes at work (rounds), the coordinator's evaluation left out
        long startNs = System.nanoTime();
        for (Thread t : threads) {
            t.start();
        }
        try {
            for (int r = 0; r < plan.rounds(); r++) {
                barrier.awaitNodes();
                long roundNs = System.nanoTime() - startNs;
                competition.pause(); // (it reads /proc: outside the round's timed span, as is resume() below)
                nodesRunNs += roundNs;
                if (r >= Math.min(options.warmupRounds, plan.rounds() - 1)) {
                    measuredNs += roundNs;
                } else {
                    timeline.reset(); // warm-up rounds count for training, not for the timing figures
                }
                roundS.add(roundNs / 1e9);
                double loss = trainLoss();
                double a = evaluating ? (allLocal ? evaluate() : evaluateAtCoordinator()) : Double.NaN;
                if (evaluating) {
                    acc.add(a);
                }
                losses.add(loss);
                if (options.listener != null) {
                    options.listener.onRound(r, a, loss, roundNs / 1e9);
                }
                competition.resume();
                startNs = System.nanoTime();
                barrier.release();
            }
            for (Thread t : threads) {
                t.join();
            }
            runtimeBackgroundThreads = competition.threads(nodesRunNs, nodesCpuNs());
            competitionComplete = competition.complete();
            state.check();
            fabric.finish();
        } catch (RunAbortedException e) {
            for (Thread t : threads) {
                t.join(5000);
            }
            throw e;
        }
        state.check();
        return result(measuredNs, acc, losses, roundS);
    }

    private double runtimeBackgroundThreads = Double.NaN;

    /**
     * How many threads' worth of the processors everything but the nodes' threads took while the nodes worked:
     * the transport's threads, the collector, other programs, the host's steal; not the compiler (see
     * {@link Competition}); NaN before a run.
     */
    public double runtimeBackgroundThreads() {
        return runtimeBackgroundThreads;
    }

    private boolean competitionComplete;

    /**
     * Whether {@link #runtimeBackgroundThreads()} came from the machine's own accounting, so that it holds other
     * programs' competition too (else: the process's visible threads and the steal; a probe must add the rest).
     */
    public boolean competitionComplete() {
        return competitionComplete;
    }

    /**
     * CPU nanoseconds the nodes' threads took, once they ended; -1 where any cannot be read, or a stage's backend
     * computes on threads of its own (whose time no node's thread holds).
     */
    private long nodesCpuNs() {
        for (List<BlockClock> cs : blockClocks().values()) {
            for (BlockClock c : cs) {
                if (!c.cpuTime()) {
                    return -1;
                }
            }
        }
        long sum = 0;
        for (NodeBase n : localNodes()) {
            long ns = n.threadCpuNs();
            if (ns < 0) {
                return -1;
            }
            sum += ns;
        }
        return sum;
    }

    /**
     * Per node of this process (owners, hops, coordinator), once the run ended: the time its thread waited runnable
     * for a core over the time it ran (NaN where the kernel does not say). A diagnostic: the cost model does not
     * use it yet.
     */
    public Map<String, Double> runQueueWaitShare() {
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        for (NodeBase n : localNodes()) {
            m.put(n.name, n.runQueueWaitShare());
        }
        return m;
    }

    /** The nodes this process runs. */
    private List<NodeBase> localNodes() {
        List<NodeBase> l = new ArrayList<>();
        for (DataOwner o : owners) {
            if (o != null) {
                l.add(o);
            }
        }
        for (ComputeNode h : hops) {
            if (h != null) {
                l.add(h);
            }
        }
        if (coordinator != null) {
            l.add(coordinator);
        }
        return l;
    }

    /** Every role of a plan: coordinator, owner0 .. owner(N-1), hop1 .. hopK (none for federated averaging). */
    public static List<String> roles(Plan plan) {
        List<String> r = new ArrayList<>();
        r.add("coordinator");
        for (int p = 0; p < plan.owners().size(); p++) {
            r.add("owner" + p);
        }
        int nHops = plan.algorithm() == Algorithm.FEDAVG ? 0 : plan.hops();
        for (int h = 1; h <= nHops; h++) {
            r.add("hop" + h);
        }
        return r;
    }

    /** Floats of an owner's parts (head, and tail when U-shaped), as its weights messages carry them. */
    private long ownerWeightFloats(int blocks, int stages) {
        MemoryAccount acc = MemoryAccount.root("sizing");
        List<ParameterState> states = new ArrayList<>();
        try {
            int[] hb = plan.stageBlocks(0, blocks);
            states.add(spec.build(hb[0], hb[1], evalBackend, false).newState(plan.seed(), plan.optimizer(), acc));
            if (stages > 1 && plan.mode() == Mode.U_SHAPED) {
                int[] tb = plan.stageBlocks(stages - 1, blocks);
                states.add(spec.build(tb[0], tb[1], evalBackend, true).newState(plan.seed(), plan.optimizer(), acc));
            }
            return WeightPacker.floats(states);
        } finally {
            for (ParameterState s : states) {
                s.close();
            }
        }
    }

    /** The largest tensor a message of this plan carries: an owner's weights, or a mini-batch's activations. */
    private long maxMessageBytes(long weightFloats) {
        int batch = 1;
        for (OwnerSpec o : plan.owners()) {
            batch = Math.max(batch, o.batch());
        }
        long largest = weightFloats * Float.BYTES;
        for (int b = 0; b < spec.blockCount(); b++) {
            largest = Math.max(largest, spec.inputShape(b).size() * batch * Float.BYTES);
        }
        return Math.max(4L << 20, largest);
    }

    /** Mean training loss of the round, from every loss stage (reset after reading). */
    private double trainLoss() {
        double sum = 0;
        double n = 0;
        List<StageExecutor> lossStages = new ArrayList<>();
        for (DataOwner o : owners) {
            if (o != null) {
                lossStages.add(o.tail != null ? o.tail : o.head);
            }
        }
        for (ComputeNode h : hops) {
            if (h != null) {
                lossStages.add(h.exec);
            }
        }
        for (StageExecutor e : lossStages) {
            if (e.lossStage) {
                double[] s = e.takeLossStats();
                sum += s[0];
                n += s[1];
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** Test accuracy of participant 0's model (after averaging, every participant's model is the same). */
    private double evaluate() {
        List<ParameterState> parts = new ArrayList<>(owners[0].parts());
        for (ComputeNode h : hops) {
            parts.add(h.exec.state(0));
        }
        return evaluate(parts);
    }

    /** Test accuracy of the whole model made of these parts' parameters (loaded by name). */
    private double evaluate(List<ParameterState> parts) {
        Segment whole = spec.build(0, spec.blockCount(), evalBackend, false);
        MemoryAccount acc = MemoryAccount.root("eval");
        int batch = 256;
        try (ParameterState st = whole.newState(plan.seed(), plan.optimizer(), acc);
                ActivationContext ctx = whole.newContext(batch, acc);
                TensorArena arena = new TensorArena(acc)) {
            for (ParameterState part : parts) {
                st.load(part.namedTensors());
            }
            int n = plan.testLimit() > 0 ? Math.min(plan.testLimit(), test.size()) : test.size();
            BatchLoader loader = new BatchLoader(test, firstN(n), batch, 0, false, arena);
            loader.startEpoch(0);
            long correct = 0;
            while (loader.hasNext()) {
                loader.next();
                Tensor logits = whole.forward(st, ctx, loader.images(), false);
                correct += SoftmaxCrossEntropy.correct(logits, loader.labels());
            }
            return correct / (double) n;
        }
    }

    /**
     * Test accuracy of the model the coordinator of a process-mode run has received this round: the owners'
     * average and each hop's averaged copy.
     */
    private double evaluateAtCoordinator() {
        int blocks = spec.blockCount();
        int stages = plan.stageCount();
        MemoryAccount acc = MemoryAccount.root("eval-parts");
        List<ParameterState> ownerParts = new ArrayList<>();
        List<ParameterState> hopParts = new ArrayList<>();
        try {
            int[] hb = plan.stageBlocks(0, blocks);
            ownerParts.add(spec.build(hb[0], hb[1], evalBackend, false).newState(plan.seed(), plan.optimizer(), acc));
            if (stages > 1 && plan.mode() == Mode.U_SHAPED) {
                int[] tb = plan.stageBlocks(stages - 1, blocks);
                ownerParts.add(spec.build(tb[0], tb[1], evalBackend, true).newState(plan.seed(), plan.optimizer(), acc));
            }
            WeightPacker.unpack(ownerParts, coordinator.average());
            for (int h = 1; h <= coordinator.hopWeights().length; h++) {
                int[] sb = plan.stageBlocks(h, blocks);
                ParameterState st = spec.build(sb[0], sb[1], evalBackend, false).newState(plan.seed(), plan.optimizer(),
                        acc);
                hopParts.add(st);
                WeightPacker.unpack(List.of(st), coordinator.hopWeights()[h - 1]);
            }
            List<ParameterState> all = new ArrayList<>(ownerParts);
            all.addAll(hopParts);
            return evaluate(all);
        } finally {
            for (ParameterState st : ownerParts) {
                st.close();
            }
            for (ParameterState st : hopParts) {
                st.close();
            }
        }
    }

    /** Floats of hop h's parameters, as its weights message to the coordinator carries them. */
    private long hopWeightFloats(int h, int blocks) {
        MemoryAccount acc = MemoryAccount.root("sizing");
        int[] sb = plan.stageBlocks(h, blocks);
        try (ParameterState st = spec.build(sb[0], sb[1], evalBackend, false).newState(plan.seed(), plan.optimizer(),
                acc)) {
            return WeightPacker.floats(List.of(st));
        }
    }

    private static int[] firstN(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    private RunResult result(long measuredNs, List<Double> acc, List<Double> losses, List<Double> roundS) {
        double wall = measuredNs / 1e9;
        int iterationsPerRound = ownerIterations[0];
        int measuredRounds = plan.rounds() - Math.min(options.warmupRounds, plan.rounds() - 1);
        int iterations = iterationsPerRound * measuredRounds;
        List<RunResult.Resource> res = new ArrayList<>();
        double busiest = 0;
        for (Map.Entry<String, Long> e : timeline.busyNs().entrySet()) {
            double busy = e.getValue() / 1e9;
            busiest = Math.max(busiest, busy);
            res.add(new RunResult.Resource(e.getKey(), busy, Math.max(0, wall - busy)));
        }
        long samples = 0;
        for (int p = 0; p < owners.length; p++) {
            samples += (long) ownerIterations[p] * plan.owners().get(p).batch() * measuredRounds;
        }
        List<RunResult.Node> nodes = new ArrayList<>();
        for (int p = 0; p < owners.length; p++) {
            if (owners[p] != null) {
                nodes.add(node(ownerAccounts[p], owners[p].parts()));
            }
        }
        for (int h = 0; h < hops.length; h++) {
            if (hops[h] == null) {
                continue;
            }
            List<ParameterState> states = new ArrayList<>();
            for (int p = 0; p < owners.length; p++) {
                ParameterState s = hops[h].exec.state(p);
                if (!states.contains(s)) {
                    states.add(s);
                }
            }
            nodes.add(node(hopAccounts[h], states));
        }
        if (coordinator != null) {
            nodes.add(node(coordinatorAccount, List.of()));
        }
        List<RunResult.Link> links = new ArrayList<>();
        for (Link l : fabric.links().values()) {
            links.add(new RunResult.Link(l.name(), l.bytes(), l.messages(), l.labelBytes()));
        }
        links.sort((a, b) -> a.name().compareTo(b.name()));
        String mode = plan.algorithm() == Algorithm.FEDAVG ? "fedavg"
                : plan.algorithm() == Algorithm.SEQUENTIAL_SL ? "sequential-sl"
                        : (plan.mode() == Mode.U_SHAPED ? "u-shaped" : "vanilla");
        return new RunResult(mode, plan.algorithm().name().toLowerCase(java.util.Locale.ROOT), plan.rounds(),
                iterationsPerRound * plan.rounds(), wall / iterations, busiest / iterations, samples / wall, wall, acc, losses, roundS, res,
                nodes, links);
    }

    private static RunResult.Node node(MemoryAccount root, List<ParameterState> states) {
        long params = 0;
        long grads = 0;
        long opt = 0;
        for (ParameterState s : states) {
            params += s.parameterBytes() + s.bufferBytes();
            grads += s.gradientBytes();
            opt += s.optimizerBytes();
        }
        long act = 0;
        long recv = 0;
        for (MemoryAccount c : root.children()) {
            if (c.name().equals("activations")) {
                act += c.peakBytes();
            } else if (c.name().equals("received")) {
                recv += c.peakBytes();
            }
        }
        return new RunResult.Node(root.name(), root.peakBytes(), params, grads, opt, act, recv);
    }

    /** Writes the timeline (if kept) in Chrome trace format. */
    public void writeTimeline(java.nio.file.Path file) throws java.io.IOException {
        timeline.writeChromeTrace(file);
    }

    /** The model's parts as participant {@code p} holds them, for tests: owner parts then each hop's copy. */
    public List<ParameterState> partsOf(int p) {
        if (owners[p] == null) {
            throw new IllegalStateException("owner" + p + " does not run in this process");
        }
        List<ParameterState> l = new ArrayList<>(owners[p].parts());
        for (ComputeNode h : hops) {
            if (h == null) {
                throw new IllegalStateException("not every hop runs in this process");
            }
            l.add(h.exec.state(p));
        }
        return l;
    }

    /**
     * Writes the final parameters of every role of this process as {@code DIR/<role>.safetensors}, by
     * parameter name: an owner's parts (head, and tail when U-shaped), a hop's segment (participant 0's copy:
     * after each round's averaging all copies are equal), the coordinator's average of the owners' parts.
     *
     * @return the files written
     */
    public List<java.nio.file.Path> writeParameters(java.nio.file.Path dir) throws java.io.IOException {
        java.nio.file.Files.createDirectories(dir);
        List<java.nio.file.Path> files = new ArrayList<>();
        for (DataOwner o : owners) {
            if (o != null) {
                files.add(writeStates(dir, o.name, o.parts()));
            }
        }
        for (ComputeNode h : hops) {
            if (h != null) {
                files.add(writeStates(dir, h.name, List.of(h.exec.state(0))));
            }
        }
        if (coordinator != null) {
            MemoryAccount acc = MemoryAccount.root("export");
            int blocks = spec.blockCount();
            int stages = plan.stageCount();
            List<ParameterState> states = new ArrayList<>();
            try {
                int[] hb = plan.stageBlocks(0, blocks);
                states.add(spec.build(hb[0], hb[1], evalBackend, false).newState(plan.seed(), plan.optimizer(), acc));
                if (stages > 1 && plan.mode() == Mode.U_SHAPED) {
                    int[] tb = plan.stageBlocks(stages - 1, blocks);
                    states.add(spec.build(tb[0], tb[1], evalBackend, true).newState(plan.seed(), plan.optimizer(), acc));
                }
                WeightPacker.unpack(states, coordinator.average());
                files.add(writeStates(dir, coordinator.name, states));
            } finally {
                for (ParameterState s : states) {
                    s.close();
                }
            }
        }
        return files;
    }

    private static java.nio.file.Path writeStates(java.nio.file.Path dir, String role, List<ParameterState> states)
            throws java.io.IOException {
        Map<String, Tensor> named = new java.util.LinkedHashMap<>();
        for (ParameterState s : states) {
            named.putAll(s.namedTensors());
        }
        java.nio.file.Path file = dir.resolve(role + ".safetensors");
        io.mpsl.tensor.io.Safetensors.write(file, named, Map.of("role", role));
        return file;
    }

    public ModelSpec spec() {
        return spec;
    }

    /**
     * The live profiler's block clocks of every stage this process ran, by node ("owner0", "hop1"): each
     * block's forward and backward time per micro-batch size and the optimizer step's, from the real steps.
     */
    public Map<String, List<BlockClock>> blockClocks() {
        Map<String, List<BlockClock>> m = new java.util.LinkedHashMap<>();
        for (DataOwner o : owners) {
            if (o != null) {
                m.put(o.name, o.tail == null ? List.of(o.head.clock) : List.of(o.head.clock, o.tail.clock));
            }
        }
        for (ComputeNode h : hops) {
            if (h != null) {
                m.put(h.name, List.of(h.exec.clock));
            }
        }
        return m;
    }

    /**
     * Per node (owners and hops), the CPU seconds a forward or backward step takes beside its blocks' own calls
     * (input slicing, the loss, sends, bookkeeping): the node's CPU time in those steps less its block clocks'
     * calls, over the steps, over the whole run. Nodes whose clocks are not CPU-timed, or that made no step, are
     * left out.
     */
    public Map<String, Double> passOverheadS() {
        Map<String, List<BlockClock>> clocks = blockClocks();
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        for (NodeBase n : localNodes()) {
            List<BlockClock> cs = clocks.get(n.name); // none for the coordinator
            if (n.passes() == 0 || cs == null) {
                continue;
            }
            long timed = 0;
            boolean cpu = true;
            for (BlockClock c : cs) {
                timed += c.callNs();
                cpu &= c.cpuTime();
            }
            if (cpu) {
                m.put(n.name, Math.max(0, n.passCpuNs() - timed) / 1e9 / n.passes());
            }
        }
        return m;
    }

    /**
     * Bytes per second of the compute nodes' round-end averaging of their per-participant copies (all copies'
     * bytes over the averaging thread's CPU time), as this process's hops did it; NaN when none averaged.
     */
    public double averageBytesPerS() {
        long ns = 0;
        long bytes = 0;
        for (ComputeNode h : hops) {
            if (h != null) {
                ns += h.averageNs;
                bytes += h.averageBytes;
            }
        }
        return ns <= 0 || bytes <= 0 ? Double.NaN : bytes / (ns / 1e9);
    }

    /**
     * The machine's processor ticks so far, {all, busy, stolen by the hypervisor} ({@code /proc/stat}), to set
     * two readings beside each other with {@link #stealPct}; null where the machine does not say.
     */
    public static long[] hostTicks() {
        return Competition.procStat();
    }

    /**
     * Of the machine's processor time between two {@link #hostTicks()} readings, the percentage the hypervisor
     * gave to other guests (steal): time a local run's threads were runnable and got no processor, which no
     * thread of this process sees; NaN where either reading is missing or no time passed.
     */
    public static double stealPct(long[] from, long[] to) {
        if (from == null || to == null || to[0] <= from[0]) {
            return Double.NaN;
        }
        return 100.0 * (to[2] - from[2]) / (to[0] - from[0]);
    }

    /** What every link carried so far, as its transfers were timed. */
    public List<LinkStats> linkStats() {
        List<LinkStats> out = new ArrayList<>();
        Map<String, Long> busy = fabric.timeline.busyNs();
        for (Link l : fabric.links().values()) {
            if (l instanceof EmulatedLink e) {
                out.add(new LinkStats(e.name(), e.bytes(), e.messages(), e.busyNs(), e.latencyNs()));
            } else { // over Aeron: busy time from the shaper's records; no per-message latency is kept
                out.add(new LinkStats(l.name(), l.bytes(), l.messages(), busy.getOrDefault(l.name(), 0L), 0));
            }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    /**
     * Every participant's training state between rounds (after {@link #run()}): parameter values, buffers and
     * optimizer state by tensor name, the optimizer's counters, and where each owner's data order stands.
     * Names do not depend on the cut points, so a cluster with another plan can {@link #importState} it.
     */
    public TrainingState exportState() {
        List<Map<String, float[]>> tensors = new ArrayList<>();
        int[] steps = new int[owners.length];
        long[] forwards = new long[owners.length];
        int[][] positions = new int[owners.length][];
        for (int p = 0; p < owners.length; p++) {
            Map<String, float[]> m = new java.util.LinkedHashMap<>();
            for (ParameterState s : partsOf(p)) {
                copyOut(s.namedTensors(), m);
                copyOut(s.namedOptimizerState(), m);
                steps[p] = Math.max(steps[p], s.steps());
                forwards[p] = Math.max(forwards[p], s.trainingForwards());
            }
            tensors.add(m);
            positions[p] = owners[p].loaderPosition();
        }
        return new TrainingState(tensors, steps, forwards, positions);
    }

    /** Takes over a state {@link #exportState() exported} by a cluster of the same model and owners. */
    public void importState(TrainingState s) {
        if (s.tensors().size() != owners.length) {
            throw new IllegalArgumentException("state of " + s.tensors().size() + " participants cannot go to "
                    + owners.length + " owners");
        }
        for (int p = 0; p < owners.length; p++) {
            Map<String, float[]> m = s.tensors().get(p);
            for (ParameterState st : partsOf(p)) {
                copyIn(m, st.namedTensors());
                copyIn(m, st.namedOptimizerState());
                st.restoreCounters(s.steps()[p], s.trainingForwards()[p]);
            }
            owners[p].resumeAt(s.loaderPositions()[p][0], s.loaderPositions()[p][1]);
        }
    }

    private static void copyOut(Map<String, Tensor> from, Map<String, float[]> to) {
        for (Map.Entry<String, Tensor> e : from.entrySet()) {
            Tensor t = e.getValue();
            float[] a = new float[Math.toIntExact(t.size())];
            java.lang.foreign.MemorySegment.copy(t.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, a, 0,
                    a.length);
            to.put(e.getKey(), a);
        }
    }

    private static void copyIn(Map<String, float[]> from, Map<String, Tensor> to) {
        for (Map.Entry<String, Tensor> e : to.entrySet()) {
            float[] a = from.get(e.getKey());
            Tensor t = e.getValue();
            if (a == null || a.length != t.size()) {
                throw new IllegalArgumentException("training state has no tensor " + e.getKey() + " of " + t.size()
                        + " floats (a state of another model?)");
            }
            java.lang.foreign.MemorySegment.copy(a, 0, t.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, 0,
                    a.length);
        }
    }

    @Override
    public void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + closeables.get(i), e);
            }
        }
        fabric.close();
        for (Backend b : backends) {
            b.close();
        }
    }
}
