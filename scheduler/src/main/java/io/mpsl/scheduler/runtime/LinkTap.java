package io.mpsl.scheduler.runtime;

import io.mpsl.tensor.Tensor;

/** Sees every message put on an emulated link (tests use it to prove what never leaves an owner). */
@FunctionalInterface
public interface LinkTap {
    /** Called on the sending thread before the message travels; the tensors must not be kept. */
    void onSend(String link, MessageType type, Tensor payload, Tensor labels);
}
