package io.mpsl.scheduler.tune;

import io.mpsl.scheduler.cost.PipelineSimulator;
import io.mpsl.scheduler.cost.PipelineSimulator.LinkCost;
import io.mpsl.scheduler.cost.PipelineSimulator.StageCost;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses hops, cut points and the micro-batch count for a {@link TuningProblem}. Every contiguous
 * partition and micro-batch count is a candidate; those that break a compute node's memory cap are dropped;
 * the rest are ordered by a cheap lower bound (the busiest resource's work, which no schedule beats) and
 * simulated in that order with {@link PipelineSimulator}, stopping as soon as the next lower bound is no
 * better than the best simulated plan: the result is the same as simulating all of them.
 */
public final class PlanSearch {

    /** The chosen plan, the next best ones, and how much work the search did. */
    public record Result(Candidate best, List<Candidate> alternatives, int candidates, int simulated,
            int overMemory) {
    }

    private final TuningProblem problem;
    private final int n;
    private final double[] fwd; // prefix sums over blocks
    private final double[] bwd;
    private final long[] params;
    private final long[] acts;

    public PlanSearch(TuningProblem problem) {
        this.problem = problem;
        this.n = problem.blocks().size();
        fwd = new double[n + 1];
        bwd = new double[n + 1];
        params = new long[n + 1];
        acts = new long[n + 1];
        for (int i = 0; i < n; i++) {
            BlockCost b = problem.blocks().get(i);
            fwd[i + 1] = fwd[i] + b.forwardS();
            bwd[i + 1] = bwd[i] + b.backwardS();
            params[i + 1] = params[i] + b.parameterBytes();
            acts[i + 1] = acts[i] + b.activationBytes();
        }
    }

    /** Searches every candidate; keeps {@code alternatives} runners-up. */
    public Result search(int alternatives) {
        List<Candidate> feasible = new ArrayList<>();
        int[] counts = new int[2];
        for (int hops = problem.minHops(); hops <= problem.maxHops(); hops++) {
            int cutCount = problem.mode() == Mode.U_SHAPED ? hops + 1 : hops;
            if (cutCount > n - 1) {
                break;
            }
            int[] cuts = new int[cutCount];
            enumerate(cuts, 0, 1, hops, feasible, counts);
        }
        if (feasible.isEmpty()) {
            throw new IllegalStateException("no plan fits the memory cap of " + problem.memoryCapBytes()
                    + " bytes per compute node with " + problem.minHops() + ".." + problem.maxHops()
                    + " hops; allow more hops, fewer owners or a larger cap");
        }
        feasible.sort(Comparator.comparingDouble(Candidate::lowerBoundS));
        List<Candidate> simulated = new ArrayList<>();
        double best = Double.POSITIVE_INFINITY;
        for (Candidate c : feasible) {
            if (c.lowerBoundS() >= best && simulated.size() > alternatives) {
                break;
            }
            Candidate s = simulate(c);
            simulated.add(s);
            best = Math.min(best, s.predictedIterationS());
        }
        simulated.sort(Comparator.comparingDouble(Candidate::predictedIterationS));
        List<Candidate> alt = simulated.subList(1, Math.min(simulated.size(), alternatives + 1));
        return new Result(simulated.get(0), List.copyOf(alt), counts[0], simulated.size(), counts[1]);
    }

    /** Simulates every candidate (for tests of the pruning against brute force). */
    public List<Candidate> simulateAll() {
        List<Candidate> all = new ArrayList<>();
        int[] counts = new int[2];
        for (int hops = problem.minHops(); hops <= problem.maxHops(); hops++) {
            int cutCount = problem.mode() == Mode.U_SHAPED ? hops + 1 : hops;
            if (cutCount > n - 1) {
                break;
            }
            enumerate(new int[cutCount], 0, 1, hops, all, counts);
        }
        List<Candidate> out = new ArrayList<>();
        for (Candidate c : all) {
            out.add(simulate(c));
        }
        out.sort(Comparator.comparingDouble(Candidate::predictedIterationS));
        return out;
    }

    private void enumerate(int[] cuts, int i, int from, int hops, List<Candidate> out, int[] counts) {
        if (i == cuts.length) {
            for (int m : problem.microBatchChoices()) {
                counts[0]++;
                Candidate c = bound(hops, cuts.clone(), m);
                if (problem.memoryCapBytes() > 0 && c.maxNodeMemoryBytes() > problem.memoryCapBytes()) {
                    counts[1]++;
                } else {
                    out.add(c);
                }
            }
            return;
        }
        int remaining = cuts.length - i - 1;
        for (int c = from; c <= n - 1 - remaining; c++) {
            cuts[i] = c;
            enumerate(cuts, i + 1, c + 1, hops, out, counts);
        }
    }

    private int stages(int hops) {
        return hops + 1 + (problem.mode() == Mode.U_SHAPED ? 1 : 0);
    }

    private int[] blocks(int[] cuts, int stages, int s) {
        return new int[] {s == 0 ? 0 : cuts[s - 1], s == stages - 1 ? n : cuts[s]};
    }

    private boolean ownerStage(int stages, int s) {
        return s == 0 || (problem.mode() == Mode.U_SHAPED && s == stages - 1);
    }

    private static int micro(OwnerSpec o, int m) {
        return Math.min(m, o.batch());
    }

    private static double transferS(LinkSpec l, double bytes) {
        return l.rateBitsPerS() == 0 ? 0 : bytes * 8.0 / l.rateBitsPerS();
    }

    /** Lower bound and memory of a candidate, without simulating it. */
    private Candidate bound(int hops, int[] cuts, int m) {
        int stages = stages(hops);
        double[] hopBusy = new double[hops];
        double[] hopLinkBusy = new double[Math.max(hops - 1, 0) * 2];
        long[] memory = new long[hops];
        double lb = 0;
        int maxMicro = 1;
        for (OwnerSpec o : problem.owners()) {
            int mm = micro(o, m);
            double size = o.batch() / (double) mm;
            maxMicro = Math.max(maxMicro, (int) Math.ceil(size));
            double owner = 0;
            double up = 0;
            double down = 0;
            for (int s = 0; s < stages; s++) {
                int[] b = blocks(cuts, stages, s);
                double work = o.batch() * (fwd[b[1]] - fwd[b[0]] + bwd[b[1]] - bwd[b[0]]);
                if (ownerStage(stages, s)) {
                    owner += work * o.slowdown();
                } else {
                    hopBusy[s - 1] += work;
                }
                if (s < stages - 1) {
                    double bytes = o.batch() * problem.blocks().get(b[1] - 1).outputBytes() + 64.0 * mm;
                    if (s == 0) {
                        up += transferS(o.uplink(), bytes);
                        down += transferS(o.downlink(), bytes);
                    } else if (s == stages - 2 && problem.mode() == Mode.U_SHAPED) {
                        down += transferS(o.downlink(), bytes);
                        up += transferS(o.uplink(), bytes);
                    } else {
                        hopLinkBusy[2 * (s - 1)] += transferS(problem.hopLink(), bytes);
                        hopLinkBusy[2 * (s - 1) + 1] += transferS(problem.hopLink(), bytes);
                    }
                }
            }
            lb = Math.max(lb, Math.max(owner, Math.max(up, down)));
        }
        for (double b : hopBusy) {
            lb = Math.max(lb, b);
        }
        for (double b : hopLinkBusy) {
            lb = Math.max(lb, b);
        }
        int participants = problem.owners().size();
        for (int h = 1; h <= hops; h++) {
            int[] b = blocks(cuts, stages, h);
            long state = (params[b[1]] - params[b[0]]) * (2L + problem.optimizerTensors());
            int window = window(m, stages, h);
            int slots = Math.max(problem.maxInFlight(), window);
            long inBytes = problem.blocks().get(b[0] - 1).outputBytes();
            memory[h - 1] = state * participants + (long) slots * maxMicro * (acts[b[1]] - acts[b[0]] + inBytes);
        }
        return new Candidate(hops, cuts, m, Double.NaN, lb, memory);
    }

    private int window(int m, int stages, int stage) {
        int w = 1;
        for (OwnerSpec o : problem.owners()) {
            w = Math.max(w, problem.schedule().maxInFlight(micro(o, m), stages, stage));
        }
        return w;
    }

    /** The candidate with its iteration time predicted by simulating its pipeline. */
    public Candidate simulate(Candidate c) {
        int stages = stages(c.hops());
        PipelineSimulator sim = new PipelineSimulator();
        int[] hop = new int[c.hops() + 1];
        for (int h = 1; h <= c.hops(); h++) {
            hop[h] = sim.resource("hop" + h);
        }
        int[] fwdLink = new int[c.hops() + 1];
        int[] bwdLink = new int[c.hops() + 1];
        for (int h = 1; h < c.hops(); h++) {
            fwdLink[h] = sim.resource("hop" + h + "->hop" + (h + 1));
            bwdLink[h] = sim.resource("hop" + (h + 1) + "->hop" + h);
        }
        int p = 0;
        for (OwnerSpec o : problem.owners()) {
            int owner = sim.resource("owner" + p);
            int up = sim.resource("owner" + p + ".up");
            int down = sim.resource("owner" + p + ".down");
            int mm = micro(o, c.microBatches());
            double size = o.batch() / (double) mm;
            StageCost[] sc = new StageCost[stages];
            LinkCost[] lc = new LinkCost[stages - 1];
            for (int s = 0; s < stages; s++) {
                int[] b = blocks(c.cuts(), stages, s);
                double f = size * (fwd[b[1]] - fwd[b[0]]);
                double bw = size * (bwd[b[1]] - bwd[b[0]]);
                if (ownerStage(stages, s)) {
                    sc[s] = new StageCost(owner, f * o.slowdown(), bw * o.slowdown(), 0);
                } else {
                    sc[s] = new StageCost(hop[s], f, bw, 0);
                }
                if (s < stages - 1) {
                    double bytes = size * problem.blocks().get(b[1] - 1).outputBytes() + 64.0;
                    if (s == 0) {
                        lc[s] = new LinkCost(up, down, transferS(o.uplink(), bytes), transferS(o.downlink(), bytes),
                                o.uplink().delayNs() / 1e9);
                    } else if (s == stages - 2 && problem.mode() == Mode.U_SHAPED) {
                        lc[s] = new LinkCost(down, up, transferS(o.downlink(), bytes), transferS(o.uplink(), bytes),
                                o.downlink().delayNs() / 1e9);
                    } else {
                        lc[s] = new LinkCost(fwdLink[s], bwdLink[s], transferS(problem.hopLink(), bytes),
                                transferS(problem.hopLink(), bytes), problem.hopLink().delayNs() / 1e9);
                    }
                }
            }
            sim.participant(mm, problem.schedule(), sc, lc);
            p++;
        }
        PipelineSimulator.Result r = sim.simulate();
        return new Candidate(c.hops(), c.cuts(), c.microBatches(), r.makespanS(), r.lowerBoundS(),
                c.nodeMemoryBytes());
    }
}
