/**
 * Layers, models and model parts for split learning.
 *
 * <h2>Design</h2>
 * <ul>
 * <li>A model is a {@link io.mpsl.nn.ModelSpec}: a list of {@link io.mpsl.nn.BlockSpec blocks}, each a few
 * {@link io.mpsl.nn.LayerSpec layer specs} treated as one unit for cutting. Specs hold no weights, so any node can
 * build any contiguous segment {@code [from, to)} with {@link io.mpsl.nn.ModelSpec#build(int, int,
 * io.mpsl.kernels.Backend)}; the zoo is {@link io.mpsl.nn.zoo.ModelZoo}.
 * <li>A {@link io.mpsl.nn.Segment} is code only: its {@link io.mpsl.nn.Layer layers} hold the backend and the
 * indices of what they declared, never tensors. State is split in two:
 * <ul>
 * <li>{@link io.mpsl.nn.ParameterState} — per participant: parameters, gradients, optimizer state and
 * batch-norm running statistics, carved from one allocation (llm.c's malloc_and_point_parameters). Gradients
 * accumulate over micro-batches until {@code step()} and {@code zeroGrad()}.
 * <li>{@link io.mpsl.nn.ActivationContext} — per micro-batch in flight: every layer's output, what it keeps for
 * backward, and gradient scratch, carved from one allocation for a maximum batch; forward works for any smaller
 * batch through views. Any state runs with any context, so a hop can run forward mb0, forward mb1, backward mb0
 * for one participant, or share contexts among participants' copies.
 * </ul>
 * <li>A layer's output goes to a kept buffer only if backward needs it: when the next layer does not keep its
 * input (ReLU, batch norm, average pools), the output lives in a transient scratch buffer, so conv-bn-relu keeps
 * batch norm's normalised input and the ReLU output, not four tensors. {@link io.mpsl.nn.ContextPool} hands out
 * contexts to micro-batches in flight and bounds how many exist.
 * <li>Forward keeps a reference to its input: the caller leaves the input tensor alone until that micro-batch's
 * backward (the runtime's received-activation buffer lives that long anyway). Outputs and input gradients are
 * views into the context, valid until its next forward or backward.
 * <li>Backward overwrites input gradients and adds parameter gradients (the Backend's convention). The loss
 * ({@link io.mpsl.nn.SoftmaxCrossEntropy}) takes a scale, 1 / mini-batch, so micro-batch gradients sum to the
 * mini-batch mean. Batch norm uses the statistics of each micro-batch, as pipelined training does. Weight
 * decay applies to every parameter, biases and batch-norm scales included (PyTorch's default).
 * <li>Initial weights depend on (seed, block index) only, so building [0, n) whole or in pieces gives the same
 * weights; names are stable ("block3.conv.weight", "block5.residual.main.bn2.running_mean") for checkpoints and
 * weight transfer. Same seed and thread count: the same result bit for bit.
 * <li>Memory is planned from the layout ({@link io.mpsl.nn.Segment#memory}) and equals what the arenas charge to
 * their {@link io.mpsl.tensor.MemoryAccount}; {@link io.mpsl.nn.Segment#profile} measures per-block times for the
 * autotuner. Ops the Backend lacks (batch norm, adaptive pooling, squeeze-excite gating, dropout masks) are plain
 * loops over the memory segments.
 * </ul>
 */
package io.mpsl.nn;
