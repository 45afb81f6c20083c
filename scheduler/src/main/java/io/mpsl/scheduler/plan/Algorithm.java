package io.mpsl.scheduler.plan;

/** The training algorithm a plan runs: mpsl's, or one of the baselines it is measured against. */
public enum Algorithm {
    /** Parallel split learning over a chain of hops, pipelined with micro-batches (mpsl). */
    SPLIT,
    /** Federated averaging: the whole model on each owner, averaged each round. */
    FEDAVG,
    /** Vanilla sequential split learning: one owner at a time, whole mini-batches, one hop. */
    SEQUENTIAL_SL
}
