package io.mpsl.scheduler.plan;

import io.mpsl.nn.OptimizerSpec;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.Arrays;
import java.util.List;

/**
 * Everything a run fixes: the model and data, the algorithm and mode, the cut points, which hop runs which
 * segment, each owner's batch, micro-batches and links, the schedule, rounds and local iterations.
 *
 * <p>Cut points are block indices. With {@code hops} = K: the owner runs [0, c0); hop h (1..K) runs
 * [c(h-1), c(h)); in vanilla mode there are K cuts and hop K ends at the last block; in U-shaped mode there
 * are K + 1 cuts and the owner also runs the tail [cK, blocks). FedAvg ignores cuts and hops.
 *
 * @param localIterations mini-batches per owner per round; 0 means one pass over the owner's partition
 * @param serverCopies one server-side copy of each hop's segment per participant (parallel split learning),
 *     or one copy shared by all (SplitFed-V2 style)
 * @param maxInFlight activation buffers per hop: micro-batches in flight at once, whatever the owner count
 * @param dpClip with dpSigma > 0: each activation row leaving an owner is clipped to this L2 norm
 * @param dpSigma Gaussian noise of standard deviation dpSigma * dpClip added to activations leaving an owner
 * @param lrDecay every part's learning rate in round r is the optimizer's rate times lrDecay^r
 * @param lrWarmupIterations the learning rate rises linearly over each participant's first this-many
 *     mini-batches of the run (0: no warm-up): lr * min(1, (step + 1) / lrWarmupIterations)
 * @param lrCosine instead of the per-round decay, the rate follows a cosine from lr down to 0 over each
 *     participant's mini-batches of the whole run: lr * (1 + cos(pi * step / steps)) / 2
 */
public record Plan(String model, String dataset, Algorithm algorithm, Mode mode, ServerCopies serverCopies,
        int hops, int[] cuts, ScheduleKind schedule, List<OwnerSpec> owners, LinkSpec hopLink, int rounds,
        int localIterations, OptimizerSpec optimizer, long seed, int maxInFlight, double dpClip, double dpSigma,
        Partitioning partitioning, double dirichletAlpha, int trainLimit, int testLimit, double lrDecay,
        int lrWarmupIterations, boolean lrCosine) {

    /** How many server-side copies a hop keeps. */
    public enum ServerCopies {
        PER_PARTICIPANT, SHARED
    }

    /** How training samples are spread over owners. */
    public enum Partitioning {
        IID, DIRICHLET
    }

    /** A plan without learning-rate warm-up. */
    public Plan(String model, String dataset, Algorithm algorithm, Mode mode, ServerCopies serverCopies, int hops,
            int[] cuts, ScheduleKind schedule, List<OwnerSpec> owners, LinkSpec hopLink, int rounds,
            int localIterations, OptimizerSpec optimizer, long seed, int maxInFlight, double dpClip, double dpSigma,
            Partitioning partitioning, double dirichletAlpha, int trainLimit, int testLimit, double lrDecay) {
        this(model, dataset, algorithm, mode, serverCopies, hops, cuts, schedule, owners, hopLink, rounds,
                localIterations, optimizer, seed, maxInFlight, dpClip, dpSigma, partitioning, dirichletAlpha,
                trainLimit, testLimit, lrDecay, 0, false);
    }

    public Plan {
        cuts = cuts.clone();
        owners = List.copyOf(owners);
        if (owners.isEmpty()) {
            throw new IllegalArgumentException("a plan needs at least one owner");
        }
        if (rounds < 1 || localIterations < 0) {
            throw new IllegalArgumentException("rounds must be >= 1 and local_iterations >= 0, got " + rounds + " and "
                    + localIterations);
        }
        if (algorithm != Algorithm.FEDAVG) {
            if (hops < 1) {
                throw new IllegalArgumentException("split learning needs at least one hop, got hops: " + hops);
            }
            int want = mode == Mode.U_SHAPED ? hops + 1 : hops;
            if (cuts.length != want) {
                throw new IllegalArgumentException(mode + " with " + hops + " hop(s) needs " + want + " cut points, got "
                        + Arrays.toString(cuts));
            }
            for (int i = 0; i < cuts.length; i++) {
                if (cuts[i] < 1 || (i > 0 && cuts[i] <= cuts[i - 1])) {
                    throw new IllegalArgumentException("cut points must be increasing block indices >= 1, got "
                            + Arrays.toString(cuts));
                }
            }
        }
        if (!(lrDecay > 0 && lrDecay <= 1)) {
            throw new IllegalArgumentException("lr_decay must be in (0, 1], got " + lrDecay);
        }
        if (lrWarmupIterations < 0) {
            throw new IllegalArgumentException("lr_warmup_iterations must be >= 0, got " + lrWarmupIterations);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max_in_flight must be >= 1, got " + maxInFlight);
        }
        if (dpSigma < 0 || (dpSigma > 0 && !(dpClip > 0))) {
            throw new IllegalArgumentException("differential privacy needs dp_clip > 0 and dp_sigma >= 0, got clip "
                    + dpClip + " sigma " + dpSigma);
        }
    }

    /** The learning rate of every part in round {@code round} (0-based), warm-up aside. */
    public float learningRate(int round) {
        return (float) (optimizer.learningRate() * Math.pow(lrDecay, round));
    }

    /**
     * The learning rate for a participant's mini-batch {@code step} (0-based, counted over the whole run) in
     * round {@code round}, of {@code stepsPerRound} mini-batches per round: the per-round decay
     * lr * lrDecay^round or, with lrCosine, lr * (1 + cos(pi * step / (rounds * stepsPerRound))) / 2; times the
     * warm-up factor min(1, (step + 1) / lrWarmupIterations).
     */
    public float learningRate(int round, long step, int stepsPerRound) {
        double warm = lrWarmupIterations == 0 ? 1.0 : Math.min(1.0, (step + 1.0) / lrWarmupIterations);
        double base;
        if (lrCosine) {
            double total = Math.max(1.0, (double) rounds * stepsPerRound);
            base = 0.5 * (1 + Math.cos(Math.PI * Math.min(1.0, step / total)));
        } else {
            base = Math.pow(lrDecay, round);
        }
        return (float) (optimizer.learningRate() * base * warm);
    }

    /** Pipeline stages of one participant: the owner's head, each hop, and in U-shaped mode the owner's tail. */
    public int stageCount() {
        return algorithm == Algorithm.FEDAVG ? 1 : hops + 1 + (mode == Mode.U_SHAPED ? 1 : 0);
    }

    /** Blocks [from, to) of stage {@code s} for a model of {@code blocks} blocks. */
    public int[] stageBlocks(int s, int blocks) {
        if (algorithm == Algorithm.FEDAVG) {
            return new int[] {0, blocks};
        }
        int last = stageCount() - 1;
        int from = s == 0 ? 0 : cuts[s - 1];
        int to = s == last ? blocks : cuts[s];
        if (to > blocks || from >= to) {
            throw new IllegalArgumentException("cut points " + Arrays.toString(cuts) + " do not fit a model of "
                    + blocks + " blocks (stage " + s + " would be [" + from + ", " + to + "))");
        }
        return new int[] {from, to};
    }

    /** Whether stage {@code s} runs on the owner (head, and tail in U-shaped mode). */
    public boolean ownerStage(int s) {
        return s == 0 || (mode == Mode.U_SHAPED && s == stageCount() - 1);
    }

    /** The hop (1..K) that runs stage {@code s}, or 0 for an owner stage. */
    public int hopOf(int s) {
        return ownerStage(s) ? 0 : s;
    }

    @Override
    public int[] cuts() {
        return cuts.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Plan p && toString().equals(p.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "Plan[" + algorithm + " " + mode + " " + model + " on " + dataset + ", hops=" + hops + ", cuts="
                + Arrays.toString(cuts) + ", schedule=" + schedule + ", owners=" + owners + ", hopLink=" + hopLink
                + ", rounds=" + rounds + ", localIterations=" + localIterations + ", optimizer=" + optimizer
                + ", seed=" + seed + ", serverCopies=" + serverCopies + ", maxInFlight=" + maxInFlight + ", dp=("
                + dpClip + ", " + dpSigma + "), partitioning=" + partitioning + "(" + dirichletAlpha + ")"
                + ", trainLimit=" + trainLimit + ", testLimit=" + testLimit + ", lrDecay=" + lrDecay + ", lrWarmupIterations=" + lrWarmupIterations
                + ", lrCosine=" + lrCosine + "]";
    }
}
