package io.mpsl.scheduler.runtime;

import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import io.mpsl.tensor.TensorPool;
import io.mpsl.transport.FrameType;
import io.mpsl.transport.LinkShaper;
import io.mpsl.transport.TensorHandler;
import io.mpsl.transport.TensorMessage;
import io.mpsl.transport.TensorReceiver;
import io.mpsl.transport.TensorSender;
import io.mpsl.transport.Transport;
import io.mpsl.transport.TransportContext;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.DelayQueue;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * The message fabric over Aeron: each node of this process has one subscription (its own endpoint: a UDP
 * host:port, or an IPC stream), and a {@link TensorSender} per peer it sends to. One communication thread per
 * process drives every sender and receiver, so the nodes' compute overlaps their transfers: a node's
 * {@link #send} copies the tensors into a send buffer and queues them; the thread offers them, writes their
 * chunks, gives the buffers back once written, and puts complete received messages into the nodes' inboxes.
 *
 * <p>Links: a link's rate is paced on the sender by the transport's {@link LinkShaper} (one per link, shared
 * by the link's senders in this process); its delay is added when a message arrives (the receiving node's
 * subscription hears several links, each with its own delay). Busy time per link is measured on the sender:
 * from when a message could start (queued, and the previous one on the link written) to when its last chunk
 * was written.
 *
 * <p>Frames: a message is one ACTIVATION, GRADIENT, WEIGHTS or CONTROL frame (FLOW messages are CONTROL frames
 * with micro-batch {@link #FLOW_MICRO_BATCH} and up); with labels (vanilla mode) a
 * LABELS frame goes first on the same publication and the message is handed over only when both arrived.
 * What the transport's header has no field for is packed by {@link #wireMicroBatch}. Fabric frames (round
 * {@link #SYSTEM_ROUND}) carry the start-up handshake (HELLO: "node i is sending to you"), the shutdown
 * (BYE: "node i has sent you everything") and failures (ABORT: "node i failed or was lost").
 *
 * <p>Failures: a peer that stops answering before its BYE (sender or receiver side, after the transport's
 * peer timeout) fails the run naming it, and every process tells its peers (ABORT), so all of them stop with
 * the name of the first node lost, never hang.
 */
final class AeronFabric extends Fabric {
    private static final System.Logger LOG = System.getLogger(AeronFabric.class.getName());
    /** Round field of fabric frames. */
    static final int SYSTEM_ROUND = -1;
    static final int HELLO = 1;
    static final int BYE = 2;
    static final int ABORT = 3;
    /** UDP stream of every node's subscription; IPC streams are this plus the node's index. */
    static final int STREAM_ID = 1101;
    static final int MICRO_BATCH_BITS = 12;
    static final int NO_PAYLOAD_FLAG = 1 << 12;
    static final int LABELS_FLAG = 1 << 13;
    static final int SAMPLES_SHIFT = 14;
    /** Most samples an activation's mini-batch may have: what fits the micro-batch field's upper bits. */
    static final int MAX_WIRE_SAMPLES = (1 << (31 - SAMPLES_SHIFT)) - 1;
    /**
     * FLOW messages travel as CONTROL frames whose micro-batch field is this plus their kind (request or
     * grant); the runtime's own control messages use small micro-batch numbers.
     */
    static final int FLOW_MICRO_BATCH = 4094;
    private static final int FRAGMENT_LIMIT = 64;
    /** Longest park of the idle communication thread: the most a received message waits to be noticed. */
    static final long COMM_MAX_PARK_NS = 500_000;

    /** One link: its shaper, shared by its senders in this process, and its counters. */
    static final class AeronLink implements Link {
        final String name;
        final LinkSpec spec;
        final LinkShaper shaper;
        volatile long bytes;
        volatile long messages;
        volatile long labelBytes;
        long lastEndNs; // comm thread: when the last message on this link was written

        AeronLink(String name, LinkSpec spec) {
            this.name = name;
            this.spec = spec;
            this.shaper = spec.rateBitsPerS() == 0 ? null : LinkShaper.of(spec.rateBitsPerS(), spec.delayNs());
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long bytes() {
            return bytes;
        }

        @Override
        public long messages() {
            return messages;
        }

        @Override
        public long labelBytes() {
            return labelBytes;
        }
    }

    /** A message on its way out: staged copies of the tensors, waiting for or being written by a sender. */
    static final class Outgoing {
        final Peer peer;
        final FrameType type;
        final int participant;
        final int round;
        final int step;
        final int microBatch; // wire-encoded
        final Tensor payload; // staged copy, or the shared one-float stand-in for "no payload"
        final Tensor labels; // staged copy or null
        final int[] shares; // messages still to write the staged payload (one counter for all of them), or null
        final long queuedNs;
        long sequence = -1;

        Outgoing(Peer peer, FrameType type, int participant, int round, int step, int microBatch, Tensor payload,
                Tensor labels, int[] shares) {
            this.peer = peer;
            this.type = type;
            this.participant = participant;
            this.round = round;
            this.step = step;
            this.microBatch = microBatch;
            this.payload = payload;
            this.labels = labels;
            this.shares = shares;
            this.queuedNs = System.nanoTime();
        }
    }

    /** A node of this process sending to one peer: the sender and its queues (comm thread only). */
    final class Peer {
        final Local from;
        final String to;
        final AeronLink link;
        TensorSender sender;
        final ArrayDeque<Outgoing> waiting = new ArrayDeque<>();
        final ArrayDeque<Outgoing> written = new ArrayDeque<>();
        volatile boolean helloSent; // read by the thread awaiting the handshake

        Peer(Local from, String to, AeronLink link) {
            this.from = from;
            this.to = to;
            this.link = link;
        }

        /** Offers what waits, writes chunks, gives back the buffers of written messages. */
        int pump(long nowNs) {
            int work = 0;
            if (!helloSent) {
                if (!sender.isConnected()) {
                    return 0;
                }
                waiting.addFirst(new Outgoing(this, FrameType.CONTROL, nodes.indexOf(from.name), SYSTEM_ROUND, 0, HELLO,
                        empty, null, null));
                helloSent = true;
            }
            while (!waiting.isEmpty() && sender.queuedMessages() <= sendQueueCapacity - 2) {
                Outgoing o = waiting.peekFirst();
                if (o.labels != null) {
                    long s = sender.offer(FrameType.LABELS, o.participant, o.round, o.step, o.microBatch, o.labels);
                    if (s < 0) {
                        onOfferFailed(s);
                        break;
                    }
                }
                long s = sender.offer(o.type, o.participant, o.round, o.step, o.microBatch, o.payload);
                if (s < 0) {
                    // labels went out alone: cannot happen, the queue had room for both
                    onOfferFailed(s);
                    break;
                }
                o.sequence = s;
                waiting.pollFirst();
                written.addLast(o);
                work++;
            }
            work += sender.doWork();
            long done = sender.completedMessages();
            while (!written.isEmpty() && written.peekFirst().sequence < done) {
                Outgoing o = written.pollFirst();
                onWritten(o, nowNs);
                work++;
            }
            if (!stopping && !from.byeFrom.contains(to) && sender.isPeerLost()) {
                fail(to, to + " was lost: " + from.name + " could not send to it at " + endpointOf(to) + " (peer timeout "
                        + seconds(peerTimeoutNs) + "): its process died, or the network failed");
            }
            return work;
        }

        private void onOfferFailed(long result) {
            if (result == TensorSender.PEER_LOST || result == TensorSender.CLOSED) {
                if (!stopping && !from.byeFrom.contains(to)) {
                    fail(to, to + " was lost: " + from.name + " could not send to it at " + endpointOf(to));
                }
            }
        }

        private void onWritten(Outgoing o, long nowNs) {
            if (o.round != SYSTEM_ROUND) {
                long start = Math.max(o.queuedNs, link.lastEndNs);
                link.lastEndNs = nowNs;
                long payloadBytes = o.payload.byteSize();
                long labelBytes = o.labels == null ? 0 : o.labels.byteSize();
                link.bytes += wireBytes(payloadBytes) + (o.labels == null ? 0 : wireBytes(labelBytes));
                link.messages++;
                link.labelBytes += labelBytes;
                if (nowNs > start) {
                    timeline.record(link.name, o.type.name().toLowerCase(Locale.ROOT), start, nowNs - start);
                }
            }
            if (o.shares != null && --o.shares[0] == 0) { // the comm thread is the only one counting down
                from.stage.release(o.payload);
            }
            if (o.labels != null) {
                from.stage.release(o.labels);
            }
        }

        private long wireBytes(long tensorBytes) {
            int chunk = sender.chunkBytes();
            long frames = Math.max(1, (tensorBytes + chunk - 1) / chunk);
            return tensorBytes + frames * io.mpsl.transport.FrameHeaderFlyweight.HEADER_LENGTH;
        }
    }

    /** A node of this process: its subscription, inbox, send buffers and what it heard from whom. */
    final class Local implements TensorHandler {
        final String name;
        final int index;
        final MemoryAccount account;
        final DelayQueue<Message> inbox = new DelayQueue<>();
        final TensorPool stage;
        final Map<String, Peer> peers = new LinkedHashMap<>();
        final Set<String> sources = new HashSet<>(); // nodes that send to this one
        final Int2ObjectHashMap<String> sourceBySession = new Int2ObjectHashMap<>();
        final Int2ObjectHashMap<TensorMessageCopy> labelsBySession = new Int2ObjectHashMap<>();
        final Set<String> helloFrom = ConcurrentHashMap.newKeySet(); // read by the thread awaiting the handshake
        final Set<String> byeFrom = ConcurrentHashMap.newKeySet();
        TensorReceiver receiver;
        Message.Recycler recycler;

        Local(String name, int index, MemoryAccount account) {
            this.name = name;
            this.index = index;
            this.account = account;
            this.stage = new TensorPool(account.parent() != null ? account.parent().child("sending") : account);
        }

        @Override
        public void onTensor(TensorMessage m) {
            long nowNs = System.nanoTime();
            Tensor t = m.tensor();
            if (m.round() == SYSTEM_ROUND) {
                receiver.release(t);
                onSystem(m);
                return;
            }
            String source = sourceBySession.get(m.sessionId());
            if (source == null) {
                receiver.release(t);
                LOG.log(System.Logger.Level.WARNING, "mpsl: " + name + " dropped a " + m.type()
                        + " frame from a sender that did not say hello (session " + m.sessionId() + ")");
                return;
            }
            if (m.type() == FrameType.LABELS) {
                TensorMessageCopy old = labelsBySession.put(m.sessionId(), new TensorMessageCopy(m));
                if (old != null) {
                    receiver.release(old.tensor);
                    fail(source, "protocol error: " + source + " sent labels to " + name + " twice without activations");
                }
                return;
            }
            int wire = m.microBatch();
            int microBatch = wire & ((1 << MICRO_BATCH_BITS) - 1);
            Tensor labels = null;
            if ((wire & LABELS_FLAG) != 0) {
                TensorMessageCopy l = labelsBySession.remove(m.sessionId());
                if (l == null || l.participant != m.participant() || l.round != m.round() || l.step != m.step()
                        || l.microBatch != wire) {
                    receiver.release(t);
                    fail(source, "protocol error: " + m + " from " + source + " to " + name
                            + " arrived without its labels");
                    return;
                }
                labels = l.tensor;
            }
            Tensor payload = t;
            if ((wire & NO_PAYLOAD_FLAG) != 0) {
                receiver.release(t);
                payload = null;
            }
            MessageType type = messageType(m.type());
            if (type == MessageType.CONTROL && microBatch >= FLOW_MICRO_BATCH) {
                type = MessageType.FLOW;
                microBatch -= FLOW_MICRO_BATCH;
            }
            boolean stepIsSamples = type == MessageType.WEIGHTS || type == MessageType.CONTROL
                    || type == MessageType.FLOW;
            int samples = stepIsSamples ? m.step() : wire >>> SAMPLES_SHIFT;
            int iteration = stepIsSamples ? 0 : m.step();
            Message msg = new Message(type, m.participant(), m.round(), iteration, microBatch, -1, payload, labels,
                    samples, recycler);
            AeronLink link = routeLink(source, name);
            msg.sentAtNs = nowNs;
            msg.deliverAtNs = nowNs + (link == null ? 0 : link.spec.delayNs());
            inbox.put(msg);
        }

        private void onSystem(TensorMessage m) {
            int what = m.microBatch();
            int node = m.participant();
            if (node < 0 || node >= nodes.size()) {
                LOG.log(System.Logger.Level.WARNING, "mpsl: " + name + " got a fabric frame naming node " + node
                        + ", not one of " + nodes);
                return;
            }
            String peer = nodes.get(node);
            if (what == HELLO) {
                sourceBySession.put(m.sessionId(), peer);
                helloFrom.add(peer);
            } else if (what == BYE) {
                byeFrom.add(peer);
            } else if (what == ABORT) {
                String by = sourceBySession.get(m.sessionId());
                fail(peer, peer + " failed or was lost (reported by " + (by == null ? "a peer" : by) + ")");
            }
        }

        @Override
        public void onPeerLost(int sessionId, String sourceIdentity) {
            String source = sourceBySession.get(sessionId);
            TensorMessageCopy l = labelsBySession.remove(sessionId);
            if (l != null) {
                receiver.release(l.tensor);
            }
            if (source != null && !stopping && !byeFrom.contains(source)) {
                fail(source, source + " was lost: " + name + " stopped hearing from it (" + sourceIdentity
                        + ", peer timeout " + seconds(peerTimeoutNs) + "): its process died, or the network failed");
            }
        }
    }

    /** What a LABELS frame said, kept until its activation arrives. */
    static final class TensorMessageCopy {
        final Tensor tensor;
        final int participant;
        final int round;
        final int step;
        final int microBatch;

        TensorMessageCopy(TensorMessage m) {
            this.tensor = m.tensor();
            this.participant = m.participant();
            this.round = m.round();
            this.step = m.step();
            this.microBatch = m.microBatch();
        }
    }

    private record Route(String from, String to, AeronLink link) {
    }

    private final Deployment deployment;
    private final Deployment.Kind kind;
    private final long runId;
    private final long maxMessageBytes;
    private final long peerTimeoutNs;
    private final List<String> nodes = new ArrayList<>();
    private final Map<String, MemoryAccount> accounts = new LinkedHashMap<>();
    private final Map<String, AeronLink> links = new LinkedHashMap<>();
    private final List<Route> routes = new ArrayList<>();
    private final Map<String, Local> locals = new LinkedHashMap<>();
    private final List<Peer> peers = new ArrayList<>();
    private final ConcurrentLinkedQueue<Outgoing> commands = new ConcurrentLinkedQueue<>();
    private final TensorArena emptyArena = new TensorArena(MemoryAccount.root("fabric"));
    private final Tensor empty = emptyArena.allocate(Shape.of(1), DType.F32);
    private Map<String, String> endpoints = Map.of();
    private Transport transport;
    private int sendQueueCapacity;
    private volatile Thread comm;
    private RunState state;
    private volatile boolean running;
    private volatile boolean stopping;
    private volatile boolean aborted;
    private volatile Throwable commFailure;
    private volatile int outstanding; // messages queued or being written, as the comm thread last counted

    /**
     * @param runId frames of other runs (another plan) are ignored
     * @param maxMessageBytes the largest tensor a message of this run carries
     */
    AeronFabric(Timeline timeline, LinkTap tap, Deployment deployment, long runId, long maxMessageBytes) {
        super(timeline, tap);
        if (deployment.kind() == Deployment.Kind.EMULATED) {
            throw new IllegalArgumentException("an Aeron fabric needs transport ipc or udp, not " + deployment.kind());
        }
        if (deployment.kind() == Deployment.Kind.IPC && deployment.localRoles() != null) {
            throw new IllegalArgumentException("Aeron IPC links roles of one process: process mode needs transport udp");
        }
        this.deployment = deployment;
        this.kind = deployment.kind();
        this.runId = runId;
        this.maxMessageBytes = maxMessageBytes;
        this.peerTimeoutNs = deployment.peerTimeoutNs();
    }

    @Override
    synchronized void node(String id, MemoryAccount receiveAccount) {
        nodes.add(id);
        accounts.put(id, receiveAccount);
        if (deployment.isLocal(id)) {
            locals.put(id, new Local(id, nodes.size() - 1, receiveAccount));
        }
    }

    @Override
    synchronized Link link(String name, LinkSpec spec) {
        AeronLink l = new AeronLink(name, spec);
        links.put(name, l);
        return l;
    }

    @Override
    synchronized void route(String from, String to, Link link) {
        if (!accounts.containsKey(from) || !accounts.containsKey(to)) {
            throw new IllegalArgumentException("route " + from + " -> " + to + " between unknown nodes; nodes: " + nodes);
        }
        for (Route r : routes) {
            if (r.from.equals(from) && r.to.equals(to)) {
                if (r.link != link) {
                    throw new IllegalArgumentException("route " + from + " -> " + to + " declared over two links: "
                            + r.link.name + " and " + link.name());
                }
                return;
            }
        }
        routes.add(new Route(from, to, (AeronLink) link));
        Local l = locals.get(to);
        if (l != null) {
            l.sources.add(from);
        }
        if (locals.containsKey(from)) {
            timeline.declare(link.name());
        }
    }

    @Override
    synchronized DelayQueue<Message> inbox(String id) {
        Local l = locals.get(id);
        if (l == null) {
            throw new IllegalArgumentException(id + " is not a node of this process; local: " + locals.keySet());
        }
        return l.inbox;
    }

    /** The links this process sends on. */
    @Override
    synchronized Map<String, Link> links() {
        Map<String, Link> m = new LinkedHashMap<>();
        for (Route r : routes) {
            if (locals.containsKey(r.from)) {
                m.put(r.link.name, r.link);
            }
        }
        return m;
    }

    private AeronLink routeLink(String from, String to) {
        for (Route r : routes) {
            if (r.from.equals(from) && r.to.equals(to)) {
                return r.link;
            }
        }
        return null;
    }

    String endpointOf(String node) {
        return kind == Deployment.Kind.UDP ? endpoints.get(node) : "ipc stream " + (STREAM_ID + nodes.indexOf(node));
    }

    /**
     * The transport's micro-batch field of a message: bits 0-11 the micro-batch, bit 12 "no payload" (a
     * one-float stand-in travels), bit 13 "labels went first", bits 14-30 the mini-batch's samples (activations
     * and gradients; weights and control messages carry theirs in the step field, their iteration being 0).
     */
    static int wireMicroBatch(int microBatch, boolean noPayload, boolean labels, int samples) {
        if (microBatch < 0 || microBatch >= 1 << MICRO_BATCH_BITS) {
            throw new IllegalArgumentException("micro-batch " + microBatch + " is outside [0, 4096)");
        }
        if (samples < 0 || samples > MAX_WIRE_SAMPLES) {
            throw new IllegalArgumentException("a mini-batch of " + samples + " samples is more than the "
                    + MAX_WIRE_SAMPLES + " an activation frame can describe; use smaller batches");
        }
        return microBatch | (noPayload ? NO_PAYLOAD_FLAG : 0) | (labels ? LABELS_FLAG : 0) | samples << SAMPLES_SHIFT;
    }

    static FrameType frameType(MessageType t) {
        return switch (t) {
            case ACTIVATION -> FrameType.ACTIVATION;
            case GRADIENT -> FrameType.GRADIENT;
            case WEIGHTS -> FrameType.WEIGHTS;
            case CONTROL, FLOW -> FrameType.CONTROL;
        };
    }

    static MessageType messageType(FrameType t) {
        return switch (t) {
            case ACTIVATION -> MessageType.ACTIVATION;
            case GRADIENT -> MessageType.GRADIENT;
            case WEIGHTS -> MessageType.WEIGHTS;
            case CONTROL, LABELS -> MessageType.CONTROL;
        };
    }

    @Override
    void send(String from, Link link, String to, MessageType type, int participant, int round, int iteration,
            int microBatch, int stage, Tensor payload, Tensor labels, int samples) {
        Local l = local(from);
        Tensor p = payload == null ? null : l.stage.acquire(payload.shape(), payload.dtype()).copyFrom(payload);
        enqueue(l, link, to, type, participant, round, iteration, microBatch, p, p == null ? null : new int[] {1},
                labels, samples);
    }

    /** Sends the borrowed buffer itself (no staged copy); it goes back to the pool once written. */
    @Override
    void sendBorrowed(String from, Link link, String to, MessageType type, int participant, int round, int iteration,
            int microBatch, int stage, Tensor borrowed, int samples) {
        enqueue(local(from), link, to, type, participant, round, iteration, microBatch, borrowed, new int[] {1}, null,
                samples);
    }

    /** Stages one copy for every receiver: it goes back to the pool once written to the last of them. */
    @Override
    void sendToEach(String from, Link[] links, String[] to, MessageType type, int round, Tensor payload) {
        Local l = local(from);
        Tensor p = l.stage.acquire(payload.shape(), payload.dtype()).copyFrom(payload);
        int[] shares = {to.length};
        for (int i = 0; i < to.length; i++) {
            enqueue(l, links[i], to[i], type, i, round, 0, 0, p, shares, null, 0);
        }
    }

    private Local local(String from) {
        Local l = locals.get(from);
        if (l == null) {
            throw new IllegalStateException(from + " is not a node of this process; local nodes: " + locals.keySet());
        }
        return l;
    }

    /** Queues a message for the comm thread; {@code staged} (may be null) is already the sender's to hand over. */
    private void enqueue(Local l, Link link, String to, MessageType type, int participant, int round, int iteration,
            int microBatch, Tensor staged, int[] shares, Tensor labels, int samples) {
        Peer peer = l.peers.get(to);
        if (peer == null || peer.link != link) {
            throw new IllegalStateException("no route " + l.name + " -> " + to + " over " + link.name()
                    + " was declared; routes: " + routes);
        }
        if (tap != null) {
            tap.onSend(link.name(), type, staged, labels);
        }
        boolean stepIsSamples = type == MessageType.WEIGHTS || type == MessageType.CONTROL
                || type == MessageType.FLOW;
        if (type == MessageType.FLOW) {
            microBatch += FLOW_MICRO_BATCH; // a CONTROL frame with a micro-batch no control message uses
        }
        if (stepIsSamples && iteration != 0) {
            throw new IllegalArgumentException(type + " messages carry samples in the step field; iteration must be 0, got "
                    + iteration);
        }
        int wire = wireMicroBatch(microBatch, staged == null, labels != null, stepIsSamples ? 0 : samples);
        Tensor y = labels == null ? null : l.stage.acquire(labels.shape(), DType.I32).copyFrom(labels);
        commands.add(new Outgoing(peer, frameType(type), participant, round, stepIsSamples ? samples : iteration, wire,
                staged == null ? empty : staged, y, staged == null ? null : shares));
        java.util.concurrent.locks.LockSupport.unpark(comm); // the comm thread may be parked by its idle strategy
    }

    @Override
    Tensor borrow(String id, io.mpsl.tensor.Shape shape) {
        return locals.get(id).stage.acquire(shape, DType.F32);
    }

    @Override
    void giveBack(String id, Tensor buffer) {
        locals.get(id).stage.release(buffer);
    }

    @Override
    void start(RunState runState) {
        this.state = runState;
        if (locals.isEmpty()) {
            throw new IllegalArgumentException("none of the roles " + deployment.localRoles() + " is a node of this run: "
                    + nodes);
        }
        endpoints = kind == Deployment.Kind.UDP ? deployment.resolveEndpoints(nodes, countOwners()) : Map.of();
        TransportContext ctx = new TransportContext().runId(runId).sessionToken(deployment.resolveToken())
                .maxMessageBytes(maxMessageBytes)
                .receiverMemoryBytes(Math.max(8L << 30, 4 * maxMessageBytes))
                .peerTimeoutNs(peerTimeoutNs)
                // the transport gives up on a peer that never came a little after the handshake does, which names it
                .connectTimeoutNs(deployment.connectTimeoutNs() + peerTimeoutNs);
        transport = Transport.launch(ctx);
        sendQueueCapacity = ctx.sendQueueCapacity();
        for (Local l : locals.values()) {
            try {
                l.receiver = kind == Deployment.Kind.UDP
                        ? transport.newUdpReceiver(Deployment.host(endpoints.get(l.name)),
                                Deployment.port(endpoints.get(l.name)), STREAM_ID, null, l.account)
                        : transport.newIpcReceiver(STREAM_ID + l.index, null, l.account);
            } catch (RuntimeException e) {
                throw new IllegalStateException(l.name + " cannot listen at " + endpointOf(l.name) + ": " + e.getMessage()
                        + " (is another process using it? set base_port, or the role's address under nodes:)", e);
            }
            TensorReceiver r = l.receiver;
            l.recycler = r::release;
        }
        for (Route r : routes) {
            Local l = locals.get(r.from);
            if (l == null) {
                continue;
            }
            Peer p = new Peer(l, r.to, r.link);
            p.sender = kind == Deployment.Kind.UDP
                    ? transport.newUdpSender(Deployment.host(endpoints.get(r.to)), Deployment.port(endpoints.get(r.to)),
                            STREAM_ID, r.link.shaper)
                    : transport.newIpcSender(STREAM_ID + nodes.indexOf(r.to), r.link.shaper);
            l.peers.put(r.to, p);
            peers.add(p);
        }
        running = true;
        comm = Thread.ofPlatform().name("fabric").daemon().start(this::communicate);
        awaitHandshake();
    }

    private int countOwners() {
        int n = 0;
        for (String s : nodes) {
            n += s.startsWith("owner") ? 1 : 0;
        }
        return n;
    }

    /** Waits until every local node reached each peer it sends to and heard from each that sends to it. */
    private void awaitHandshake() {
        long deadline = System.nanoTime() + deployment.connectTimeoutNs();
        while (true) {
            List<String> missing = new ArrayList<>();
            for (Local l : locals.values()) {
                for (Peer p : l.peers.values()) {
                    if (!p.helloSent) {
                        missing.add(p.to + " (" + l.name + " cannot reach it at " + endpointOf(p.to) + ")");
                    }
                }
                for (String s : l.sources) {
                    if (!l.helloFrom.contains(s)) {
                        missing.add(s + " (" + l.name + " has not heard from it)");
                    }
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            checkComm();
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("peers missing after " + seconds(deployment.connectTimeoutNs())
                        + ": " + String.join(", ", new java.util.LinkedHashSet<>(missing))
                        + "; start every role (mpsl node CONFIG --role NAME) with the same config, or raise connect_timeout_s");
            }
            sleepMs(5);
        }
    }

    /** The communication thread's duty cycle: commands in, senders pumped, receivers polled. */
    private void communicate() {
        // parks up to COMM_MAX_PARK_NS when idle (a send unparks it at once): several processes share small machines
        IdleStrategy idle = new BackoffIdleStrategy(10, 5, 10_000, COMM_MAX_PARK_NS);
        try {
            while (running) {
                int work = 0;
                Outgoing o;
                while ((o = commands.poll()) != null) {
                    o.peer.waiting.addLast(o);
                    work++;
                }
                long nowNs = System.nanoTime();
                for (int i = 0; i < peers.size(); i++) {
                    work += peers.get(i).pump(nowNs);
                }
                for (Local l : locals.values()) {
                    work += l.receiver.poll(l, FRAGMENT_LIMIT);
                }
                work += transport.doDriverWork();
                int out = 0;
                for (int i = 0; i < peers.size(); i++) {
                    out += peers.get(i).waiting.size() + peers.get(i).written.size();
                }
                outstanding = out;
                if (state != null && state.failed() && !aborted) {
                    broadcastAbort(state.failedNode());
                }
                idle.idle(work);
            }
        } catch (Throwable t) {
            commFailure = t;
            if (state != null) {
                state.fail("fabric", t);
            }
        }
    }

    private void checkComm() {
        Throwable t = commFailure;
        if (t != null) {
            throw new IllegalStateException("the communication thread failed: " + t, t);
        }
        if (state != null) {
            state.check();
        }
    }

    /** Fails the run naming {@code node}; the comm thread then tells every peer. */
    private void fail(String node, String message) {
        if (state != null && !state.failed()) {
            state.fail(node, new IllegalStateException(message));
        }
    }

    /** Tells every peer (once) which node failed, so they stop naming it rather than the next one to vanish. */
    private void broadcastAbort(String node) {
        aborted = true;
        int index = nodes.indexOf(node);
        if (index < 0) {
            index = locals.values().iterator().next().index; // a local failure outside any node: name this process
        }
        for (Peer p : peers) {
            if (p.helloSent) {
                p.waiting.addFirst(new Outgoing(p, FrameType.CONTROL, index, SYSTEM_ROUND, 0, ABORT, empty, null, null));
            }
        }
    }

    /**
     * Tells every peer this process has sent it everything (BYE, after all data on the same publication) and
     * waits until every peer has said the same, so no process leaves while others still need what it sent.
     */
    @Override
    void finish() {
        for (Local l : locals.values()) {
            for (Peer p : l.peers.values()) {
                commands.add(new Outgoing(p, FrameType.CONTROL, l.index, SYSTEM_ROUND, 0, BYE, empty, null, null));
            }
        }
        long deadline = System.nanoTime() + Math.max(deployment.connectTimeoutNs(), 4 * peerTimeoutNs);
        while (System.nanoTime() - deadline < 0) {
            checkComm();
            boolean done = true;
            for (Local l : locals.values()) {
                for (String s : l.sources) {
                    done &= l.byeFrom.contains(s);
                }
            }
            if (done) {
                break;
            }
            sleepMs(2);
        }
        stopping = true; // from here a vanishing peer is one that has finished
        long flush = System.nanoTime() + 1_000_000_000L;
        while (!flushed() && System.nanoTime() - flush < 0) {
            sleepMs(2);
        }
        sleepMs(50); // lets the media driver put the last frames on the wire before it closes
    }

    private boolean flushed() {
        return commands.isEmpty() && outstanding == 0;
    }

    private static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunAbortedException("interrupted", e);
        }
    }

    private static String seconds(long ns) {
        return String.format(Locale.ROOT, "%.1f s", ns / 1e9);
    }

    @Override
    public synchronized void close() {
        stopping = true;
        if (running && state != null && state.failed()) {
            // give the ABORT frames a moment to leave, so peers name the node that failed, not this process
            long until = System.nanoTime() + 500_000_000L;
            while (!(aborted && flushed()) && System.nanoTime() - until < 0) {
                sleepMs(2);
            }
            sleepMs(50);
        }
        running = false;
        if (comm != null) {
            try {
                comm.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (transport != null) {
            transport.close();
        }
        for (Local l : locals.values()) {
            l.stage.close();
        }
        emptyArena.close();
    }
}
