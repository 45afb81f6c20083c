/**
 * Tensor frames over Aeron: how activations, gradients, labels, weights and control messages move between
 * data owners, compute nodes and the coordinator. Knows tensors ({@code io.mpsl.tensor}), never layers.
 *
 * <h2>Using it</h2>
 * <pre>{@code
 * try (Transport t = Transport.launch(new TransportContext().runId(run).sessionToken(token).maxMessageBytes(64 << 20))) {
 *     TensorSender up = t.newUdpSender("10.0.0.2", 40100, STREAM, LinkShaper.of(10_000_000, 5_000_000)); // 10 Mbit/s, 5 ms
 *     TensorReceiver down = t.newUdpReceiver("10.0.0.1", 40101, STREAM, null, nodeAccount);
 *     long seq = up.offer(FrameType.ACTIVATION, participant, round, step, microBatch, activations); // < 0: back-pressure
 *     // duty cycle, on the communication thread:
 *     int work = up.doWork() + down.poll(handler, 64);  // handler.onTensor(m): use m.tensor(), then down.release(it)
 * }
 * }</pre>
 *
 * <h2>Wire format</h2>
 * One frame is one Aeron message of at most one MTU: a 112-byte {@link io.mpsl.transport.FrameHeaderFlyweight}
 * (magic, version, type, dtype, rank, flags, participant, run id, session token, round, step, micro-batch,
 * message sequence, chunk index and count, byte offset, payload length, optional CRC32C, send time, up to 8
 * dims) and one chunk of the tensor's bytes. A tensor of {@code b} bytes travels as {@code ceil(b / chunk)}
 * frames, chunk = MTU - 32 - 112 rounded down to 64 (65 344 bytes with the default 65 504-byte MTU), so
 * Aeron never fragments a frame and the receiver never reassembles through a heap buffer.
 *
 * <h2>No copies on the heap</h2>
 * The sender wraps the tensor's off-heap segment in an {@code UnsafeBuffer} (address, length; re-pointed per
 * chunk, never allocated) and hands header and payload to a vectored {@code ExclusivePublication.offer}, or
 * writes both through {@code tryClaim} for chunks up to 4 KiB: the only copy is into the term buffer. The
 * receiver validates each frame, then copies its payload from the term buffer straight into a tensor taken
 * from its {@link io.mpsl.tensor.TensorPool}, sized from the validated header. Known shapes are cached, so
 * the steady state allocates nothing on either side (tested with the thread allocation counter and by the
 * JMH suite with {@code -prof gc}).
 *
 * <h2>Safety</h2>
 * {@link io.mpsl.transport.FrameValidator} checks every frame before it touches memory, in the order of
 * {@link io.mpsl.transport.RejectReason}: whole MTU, length, magic, version, type, run and token, dtype,
 * shape, size limit, expected shape, payload length, chunk geometry, CRC. The receiver then checks that a
 * chunk continues the message in progress from that peer (same sequence, header and next offset), else it
 * drops the message; a tensor is handed over only when every byte of it came from one message, in order.
 * Every rejection is counted by reason and logged at most once per reason per second.
 *
 * <h2>Bounded memory and back-pressure</h2>
 * Senders hold at most {@link io.mpsl.transport.TransportContext#sendQueueCapacity()} messages and answer
 * {@link io.mpsl.transport.TensorSender#QUEUE_FULL} beyond; publication back-pressure stops the chunk loop
 * and is counted. A receiver's pool is capped at {@link io.mpsl.transport.TransportContext#receiverMemoryBytes()};
 * when the next message does not fit while the application holds tensors, the receiver stops reading, so
 * Aeron's flow control pushes back to the sender; nothing is buffered without bound.
 *
 * <h2>Lost peers</h2>
 * The driver's timeouts follow the configured peer timeout: a sender whose receiver stops answering
 * (status messages) reports {@link io.mpsl.transport.TensorSender#PEER_LOST} within the peer timeout
 * (measured: 1.0 s for a 1 s timeout); a receiver whose sender goes silent gets
 * {@link io.mpsl.transport.TensorHandler#onPeerLost} and drops the half-received message after about 1.5x the
 * peer timeout (Aeron declares an image dead after half the timeout without data or heartbeats, then
 * lingers it as long again; measured 1.5-1.7 s for 1 s). Tested by killing a real peer process.
 *
 * <h2>Media driver</h2>
 * Embedded by default, in a fresh folder per instance ({@link io.mpsl.transport.DriverDirectories}: folders
 * of dead processes are removed at start, the own one at close), or external. Settings follow the machine
 * and the largest tensor (see {@link io.mpsl.transport.TransportContext}). On one or two cores the driver
 * is cooperative ({@code INVOKER} in the context): no driver thread competes for the two cores; its three
 * agents, each under its own guard, are run by the links' threads where the kernel would run a TCP
 * connection's work in their system calls (the sender agent by a sender after each write, the receiver agent
 * by a receiver with nothing to read, the conductor by both when they would wait), and by one driver thread,
 * parking when idle, only for an agent no link ran for 50 us. Logs are short and stay in cache (UDP terms of
 * 1 MiB, IPC terms of 256 KiB with a 32 KiB MTU). On more cores: SHARED_NETWORK or
 * DEDICATED threads with backing-off idle strategies and terms of twice the largest tensor (4-16 MiB). UDP
 * frames use a 64 KiB MTU either way.
 *
 * <h2>Link shaper</h2>
 * {@link io.mpsl.transport.LinkShaper} paces chunks at a rate on the sender (virtual-time token bucket) and
 * delays complete messages on the receiver, so one machine can emulate a 10 Mbit/s device uplink.
 */
package io.mpsl.transport;
