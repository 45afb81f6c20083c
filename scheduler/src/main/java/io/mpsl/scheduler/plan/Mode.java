package io.mpsl.scheduler.plan;

/** Where the loss is computed. */
public enum Mode {
    /** Labels travel with the activations to the last hop, which computes the loss. */
    VANILLA,
    /** The owner keeps the first and the last segment and the loss: labels never leave it. */
    U_SHAPED
}
