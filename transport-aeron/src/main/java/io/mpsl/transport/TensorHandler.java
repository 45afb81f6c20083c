package io.mpsl.transport;

/** Callbacks of {@link TensorReceiver#poll}, on the polling thread. */
public interface TensorHandler {
    /**
     * A complete, validated tensor arrived. {@code message} is valid during the call only; its tensor is
     * the handler's until it calls {@link TensorReceiver#release}.
     */
    void onTensor(TensorMessage message);

    /**
     * A sending peer went away: its Aeron image closed because nothing came for the peer timeout, or it
     * closed its publication. A message of it in progress was dropped.
     */
    default void onPeerLost(int sessionId, String sourceIdentity) {
    }
}
