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
    CONTROL
}
