package io.mpsl.scheduler.runtime;

/** What a message between roles carries. */
public enum MessageType {
    /** A micro-batch's activations, forward (owner to hop, hop to hop, last hop to the owner's tail). */
    ACTIVATION,
    /** The gradient of a micro-batch's activations, backward. */
    GRADIENT,
    /** Model weights: an owner's parts to the coordinator, the average back. */
    WEIGHTS,
    /** Control: start of a turn (sequential SL), end of the run. */
    CONTROL,
    /**
     * Flow control of activations into a compute node, no payload: a sender's request to be admitted for one
     * mini-batch (micro-batch field {@link #REQUEST}, samples = its micro-batches) and the node's grant back
     * (micro-batch field {@link #GRANT}, samples = how many of that participant's activations it may have sent
     * in all, counted from the start of the run).
     */
    FLOW;

    /** Micro-batch field of a {@link #FLOW} message asking for admission. */
    public static final int REQUEST = 0;
    /** Micro-batch field of a {@link #FLOW} message granting activations. */
    public static final int GRANT = 1;
}
