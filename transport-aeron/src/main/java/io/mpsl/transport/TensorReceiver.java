package io.mpsl.transport;

import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import io.mpsl.tensor.DType;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorPool;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Receives tensors from any number of peers on one Aeron subscription. Every frame is validated before it
 * touches memory (see {@link RejectReason} for the checks, in order); chunks are written straight from the
 * term buffer into a tensor taken from this receiver's {@link TensorPool}, sized from the validated header;
 * a tensor is handed over only when all its chunks arrived, in order, from one message of one peer.
 *
 * <p>Bounded memory: the pool holds at most {@link TransportContext#receiverMemoryBytes()}; when a new
 * message would exceed it while the application still holds tensors, the receiver stops reading (Aeron's
 * flow control then back-pressures the sender) until some are released. Complete messages wait for the
 * link delay in a bounded queue; when it is full the receiver stops reading too.
 *
 * <p>{@link #poll} is the duty cycle, run by one thread; {@link #release} may be called from any thread.
 * Steady-state receiving allocates nothing.
 */
public final class TensorReceiver implements AutoCloseable, ControlledFragmentHandler {
    private static final System.Logger LOG = System.getLogger(TensorReceiver.class.getName());
    private static final int SHAPE_CACHE_CAPACITY = 64;
    private static final int LOST_IMAGE_QUEUE_CAPACITY = 1024;
    private static final int H = FrameHeaderFlyweight.HEADER_LENGTH;

    /** Assembly state of the message in progress from one peer (one Aeron image). */
    private static final class Assembly {
        boolean active;
        Tensor tensor;
        long totalBytes;
        long receivedBytes;
        int nextChunk;
        int chunkCount;
        int sequence;
        int typeCode;
        int dtypeCode;
        int participant;
        int round;
        int step;
        int microBatch;
        long sentNs;
    }

    /** A shape seen on the wire, kept so receiving a known shape allocates no {@link Shape}. */
    private static final class ShapeEntry {
        Shape shape;
        DType dtype;
        int freeCount; // tensors of this shape and dtype known to be free in the pool (guarded by poolLock)
    }

    private final Subscription subscription;
    private final DriverDuty duty;
    private final LinkMetrics metrics;
    private final TensorPool pool;
    private final Object poolLock = new Object();
    private final long memoryBytes;
    private final long delayNs;
    private final long logIntervalNs;
    private final FrameValidator validator;

    private final FrameHeaderFlyweight frame = new FrameHeaderFlyweight();
    private final UnsafeBuffer destination = new UnsafeBuffer(0, 0);
    private final Int2ObjectHashMap<Assembly> assemblies = new Int2ObjectHashMap<>();
    private final ShapeEntry[] shapes = new ShapeEntry[SHAPE_CACHE_CAPACITY];
    private int shapeCount;
    private int shapeEvictCursor;
    private final ManyToOneConcurrentArrayQueue<Image> lostImages = new ManyToOneConcurrentArrayQueue<>(LOST_IMAGE_QUEUE_CAPACITY);

    private final TensorMessage[] delivery;
    private long deliveryHead;
    private long deliveryTail;
    private final TensorMessage immediate = new TensorMessage();

    private final long[] lastLogNs = new long[RejectReason.all().length];
    private final long[] unloggedCount = new long[RejectReason.all().length];

    private TensorHandler handler;
    private long frameTotalBytes;
    private long pollNowNs;
    private boolean closed;

    TensorReceiver(TransportContext ctx, Aeron aeron, String channel, int streamId, LinkShaper shaper, DriverDuty duty,
            MemoryAccount account, String name) {
        this.duty = duty;
        this.metrics = new LinkMetrics(name);
        this.validator = new FrameValidator(ctx.runId(), ctx.sessionToken(), ctx.maxMessageBytes());
        this.memoryBytes = ctx.receiverMemoryBytes();
        this.delayNs = shaper == null ? 0 : shaper.delayNs();
        this.logIntervalNs = ctx.rejectLogIntervalNs();
        this.pool = new TensorPool(account != null ? account : MemoryAccount.root(name), memoryBytes);
        this.delivery = new TensorMessage[ctx.deliveryQueueCapacity()];
        for (int i = 0; i < delivery.length; i++) {
            delivery[i] = new TensorMessage();
        }
        for (int i = 0; i < lastLogNs.length; i++) {
            lastLogNs[i] = Long.MIN_VALUE;
        }
        this.subscription = aeron.addSubscription(channel, streamId, this::onImageAvailable, this::onImageUnavailable);
    }

    /**
     * Only tensors of this shape are accepted for this frame type (others: {@link RejectReason#WRONG_SHAPE});
     * a dimension of -1 matches any size (e.g. the batch of the last, smaller micro-batch). Call before polling.
     */
    public TensorReceiver expectShape(FrameType type, int... dims) {
        validator.expectShape(type, dims);
        return this;
    }

    /**
     * The duty cycle: reports lost peers, delivers messages whose delay passed, then reads up to
     * {@code fragmentLimit} frames.
     *
     * @return work done (frames read, messages delivered, peers reported)
     */
    public int poll(TensorHandler handler, int fragmentLimit) {
        if (closed) {
            return 0;
        }
        this.handler = handler;
        int work = 0;
        Image lost;
        while ((lost = lostImages.poll()) != null) {
            onPeerLost(lost);
            work++;
        }
        pollNowNs = System.nanoTime();
        while (deliveryHead != deliveryTail) {
            TensorMessage m = delivery[(int) (deliveryHead % delivery.length)];
            if (m.deliverAtNs - pollNowNs > 0) {
                break;
            }
            deliveryHead++;
            deliver(m);
            m.tensor = null;
            work++;
        }
        int fragments = subscription.controlledPoll(this, fragmentLimit);
        if (fragments == 0 && duty != null) {
            // Nothing to read: instead of idling, run the driver (it may receive, send or move a limit).
            work += duty.invokeForReceiver();
        }
        work += fragments;
        this.handler = null;
        return work;
    }

    /** Gives a tensor from {@link TensorHandler#onTensor} back to the pool. Any thread. */
    public void release(Tensor tensor) {
        synchronized (poolLock) {
            pool.release(tensor);
            for (int i = 0; i < shapeCount; i++) {
                ShapeEntry e = shapes[i];
                if (e.dtype == tensor.dtype() && e.shape.equals(tensor.shape())) {
                    e.freeCount++;
                    break;
                }
            }
        }
    }

    @Override
    public Action onFragment(DirectBuffer buffer, int offset, int length, Header aeronHeader) {
        byte aeronFlags = aeronHeader.flags();
        int sessionId = aeronHeader.sessionId();
        if ((aeronFlags & FrameDescriptor.UNFRAGMENTED) != FrameDescriptor.UNFRAGMENTED) {
            if ((aeronFlags & FrameDescriptor.BEGIN_FRAG_FLAG) != 0) {
                reject(RejectReason.OVERSIZED_FRAME, aeronHeader, length);
            }
            return Action.CONTINUE;
        }
        RejectReason reason = validator.validate(buffer, offset, length);
        if (reason != null) {
            reject(reason, aeronHeader, length);
            return Action.CONTINUE;
        }
        frame.wrap(buffer, offset);
        frameTotalBytes = validator.totalBytes();
        return assemble(buffer, offset, length, sessionId, aeronHeader);
    }

    private Action assemble(DirectBuffer buffer, int offset, int length, int sessionId, Header aeronHeader) {
        FrameHeaderFlyweight f = frame;
        Assembly a = assemblies.get(sessionId);
        if (a == null) {
            a = new Assembly();
            assemblies.put(sessionId, a);
        }
        int index = f.chunkIndex();
        boolean last = index == f.chunkCount() - 1;
        if (last && delayNs > 0 && deliveryTail - deliveryHead == delivery.length) {
            metrics.onBackPressure();
            return Action.ABORT;
        }
        if (index == 0) {
            if (a.active) {
                abandon(a, aeronHeader);
            }
            Tensor tensor = acquire(f);
            if (tensor == null) {
                if (pool.outstanding() > 0) {
                    metrics.onBackPressure();
                    return Action.ABORT;
                }
                reject(RejectReason.MEMORY_LIMIT, aeronHeader, length);
                return Action.CONTINUE;
            }
            a.active = true;
            a.tensor = tensor;
            a.totalBytes = frameTotalBytes;
            a.receivedBytes = 0;
            a.nextChunk = 0;
            a.chunkCount = f.chunkCount();
            a.sequence = f.sequence();
            a.typeCode = f.frameTypeCode();
            a.dtypeCode = f.dtypeCode();
            a.participant = f.participant();
            a.round = f.round();
            a.step = f.step();
            a.microBatch = f.microBatch();
            a.sentNs = f.timestampNs();
        } else {
            if (!a.active) {
                reject(RejectReason.UNEXPECTED_CHUNK, aeronHeader, length);
                return Action.CONTINUE;
            }
            if (f.sequence() != a.sequence) {
                reject(RejectReason.MIXED_CHUNK, aeronHeader, length);
                abandon(a, aeronHeader);
                return Action.CONTINUE;
            }
            if (index != a.nextChunk || f.byteOffset() != a.receivedBytes || f.chunkCount() != a.chunkCount
                    || frameTotalBytes != a.totalBytes || !sameHeader(a, f)) {
                reject(RejectReason.INCONSISTENT_CHUNK, aeronHeader, length);
                abandon(a, aeronHeader);
                return Action.CONTINUE;
            }
        }
        int payload = f.payloadLength();
        if (payload > 0) {
            destination.wrap(a.tensor.segment().address() + a.receivedBytes, payload);
            buffer.getBytes(offset + H, destination, 0, payload);
        }
        a.receivedBytes += payload;
        a.nextChunk++;
        metrics.onFrame(length);
        if (a.nextChunk == a.chunkCount) {
            a.active = false;
            complete(a, sessionId);
        }
        return Action.CONTINUE;
    }

    private boolean sameHeader(Assembly a, FrameHeaderFlyweight f) {
        if (f.frameTypeCode() != a.typeCode || f.dtypeCode() != a.dtypeCode || f.participant() != a.participant
                || f.round() != a.round || f.step() != a.step || f.microBatch() != a.microBatch) {
            return false;
        }
        Shape s = a.tensor.shape();
        if (f.rank() != s.rank()) {
            return false;
        }
        for (int i = 0; i < s.rank(); i++) {
            if (f.dim(i) != s.dim(i)) {
                return false;
            }
        }
        return true;
    }

    private void complete(Assembly a, int sessionId) {
        TensorMessage m = delayNs > 0 ? delivery[(int) (deliveryTail % delivery.length)] : immediate;
        m.type = FrameType.fromCode(a.typeCode);
        m.participant = a.participant;
        m.round = a.round;
        m.step = a.step;
        m.microBatch = a.microBatch;
        m.sequence = a.sequence;
        m.sessionId = sessionId;
        m.sentNs = a.sentNs;
        m.tensor = a.tensor;
        a.tensor = null;
        if (delayNs > 0) {
            m.deliverAtNs = System.nanoTime() + delayNs;
            deliveryTail++;
        } else {
            deliver(m);
            m.tensor = null;
        }
    }

    private void deliver(TensorMessage m) {
        metrics.onMessage();
        metrics.onLatency(System.nanoTime() - m.sentNs);
        handler.onTensor(m);
    }

    /** A pooled tensor for the validated header in {@link #frame}, or null when the memory limit forbids it. */
    private Tensor acquire(FrameHeaderFlyweight f) {
        ShapeEntry e = shapeEntry(f);
        synchronized (poolLock) {
            if (e.freeCount > 0) {
                e.freeCount--;
            } else if (pool.pooledBytes() + frameTotalBytes > memoryBytes) {
                return null;
            }
            return pool.acquire(e.shape, e.dtype);
        }
    }

    private ShapeEntry shapeEntry(FrameHeaderFlyweight f) {
        int rank = f.rank();
        DType dtype = FrameHeaderFlyweight.dtype(f.dtypeCode());
        search:
        for (int i = 0; i < shapeCount; i++) {
            ShapeEntry e = shapes[i];
            if (e.dtype != dtype || e.shape.rank() != rank) {
                continue;
            }
            for (int d = 0; d < rank; d++) {
                if (e.shape.dim(d) != f.dim(d)) {
                    continue search;
                }
            }
            return e;
        }
        int[] dims = new int[rank];
        for (int d = 0; d < rank; d++) {
            dims[d] = f.dim(d);
        }
        ShapeEntry e = new ShapeEntry();
        e.shape = Shape.of(dims);
        e.dtype = dtype;
        synchronized (poolLock) {
            if (shapeCount < shapes.length) {
                shapes[shapeCount++] = e;
            } else {
                shapes[shapeEvictCursor] = e;
                shapeEvictCursor = (shapeEvictCursor + 1) % shapes.length;
            }
        }
        return e;
    }

    private void abandon(Assembly a, Header aeronHeader) {
        if (a.tensor != null) {
            release(a.tensor);
            a.tensor = null;
        }
        a.active = false;
        reject(RejectReason.INCOMPLETE, aeronHeader, 0);
    }

    private void reject(RejectReason reason, Header aeronHeader, int length) {
        metrics.onRejected(reason);
        int r = reason.ordinal();
        long nowNs = System.nanoTime();
        if (lastLogNs[r] == Long.MIN_VALUE || nowNs - lastLogNs[r] >= logIntervalNs) {
            Object context = aeronHeader == null ? null : aeronHeader.context();
            String source = context instanceof Image image ? image.sourceIdentity() : "?";
            LOG.log(System.Logger.Level.WARNING, "mpsl transport: "
                    + (reason == RejectReason.INCOMPLETE ? "dropped an incomplete message" : "rejected a frame of " + length + " bytes")
                    + " from session "
                    + (aeronHeader == null ? 0 : aeronHeader.sessionId()) + " (" + source + ") on " + metrics.name() + ": "
                    + reason + (unloggedCount[r] > 0 ? " (and " + unloggedCount[r] + " more since the last line)" : ""));
            lastLogNs[r] = nowNs;
            unloggedCount[r] = 0;
        } else {
            unloggedCount[r]++;
        }
    }

    private void onImageAvailable(Image image) {
        LOG.log(System.Logger.Level.DEBUG, "mpsl transport: peer session " + image.sessionId() + " (" + image.sourceIdentity()
                + ") connected to " + metrics.name());
    }

    private void onImageUnavailable(Image image) {
        if (!lostImages.offer(image)) {
            LOG.log(System.Logger.Level.WARNING, "mpsl transport: too many lost peers at once on " + metrics.name()
                    + "; session " + image.sessionId() + " not reported");
        }
    }

    private void onPeerLost(Image image) {
        Assembly a = assemblies.remove(image.sessionId());
        if (a != null && a.active) {
            abandon(a, null);
        }
        LOG.log(System.Logger.Level.WARNING, "mpsl transport: lost peer session " + image.sessionId() + " ("
                + image.sourceIdentity() + ") on " + metrics.name());
        handler.onPeerLost(image.sessionId(), image.sourceIdentity());
    }

    /** Peers (Aeron images) connected now. */
    public int connectedPeers() {
        return subscription.imageCount();
    }

    public boolean isConnected() {
        return subscription.isConnected();
    }

    public LinkMetrics metrics() {
        return metrics;
    }

    /** Bytes of tensor memory this receiver's pool holds (free and in use). */
    public long pooledBytes() {
        synchronized (poolLock) {
            return pool.pooledBytes();
        }
    }

    /** Tensors taken from the pool and not yet released (being filled, waiting for delay, or with the application). */
    public int outstandingTensors() {
        synchronized (poolLock) {
            return pool.outstanding();
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            subscription.close();
            synchronized (poolLock) {
                pool.close();
            }
        }
    }
}
