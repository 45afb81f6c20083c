package io.mpsl.transport;

import io.aeron.driver.ThreadingMode;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * Configuration of a {@link Transport}, in the style of Aeron's contexts: chainable setters, defaults as
 * named constants, {@link #conclude()} to validate and derive settings once, {@link #close()} to remove what
 * it made (the embedded driver's folder).
 *
 * <p>Derived settings, chosen for the machine and the largest tensor (see {@link #conclude()}):
 * <ul>
 * <li>threading mode: on 1-2 cores INVOKER with a cooperative driver (the driver's agents run by the links' own
 * threads, each agent under its own guard, and by one driver thread that parks when idle: see
 * {@link DriverDuty}), SHARED_NETWORK on
 * 3-4, DEDICATED above; all driver threads back off to parking when idle, so they never starve the
 * application on a small machine;</li>
 * <li>MTU 65504 bytes, the largest UDP payload Aeron allows: one frame carries a 64 KiB chunk, which is
 * what lifts loopback UDP from ~0.26 GB/s (1408-byte MTU) to GB/s;</li>
 * <li>term length: with a cooperative driver, short logs that stay in a small machine's caches
 * ({@link #DEFAULT_COOPERATIVE_TERM_BYTES} for UDP, {@link #DEFAULT_COOPERATIVE_IPC_TERM_BYTES} with a
 * {@link #DEFAULT_COOPERATIVE_IPC_MTU_BYTES} MTU for IPC); otherwise twice the largest message rounded up to
 * a power of two, between 4 and 16 MiB, and IPC terms of at least {@link #DEFAULT_IPC_TERM_BYTES} (an IPC
 * sender's window is half a term, and without a cooperative driver its limit moves only when the driver's
 * conductor thread runs); receiver window: half a term, at most the socket buffer; socket buffers:
 * {@link #DEFAULT_SOCKET_BUFFER_BYTES}.</li>
 * </ul>
 */
public final class TransportContext implements AutoCloseable {
    /** Largest MTU Aeron accepts (a UDP payload of 65504 bytes): one frame per 64 KiB chunk. */
    public static final int DEFAULT_MTU_BYTES = 65_504;
    public static final int MIN_MTU_BYTES = 4_096;
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L << 20;
    public static final long DEFAULT_RECEIVER_MEMORY_BYTES = 256L << 20;
    public static final int DEFAULT_SOCKET_BUFFER_BYTES = 4 << 20;
    public static final int MIN_TERM_BYTES = 4 << 20;
    public static final int MAX_TERM_BYTES = 16 << 20;
    public static final int DEFAULT_IPC_TERM_BYTES = 16 << 20;
    /**
     * IPC term length with a cooperative driver: a log of 3 x 256 KiB stays in the L2 cache of a small
     * machine's core beside a 1 MiB tensor, and a back-pressured sender moves its own limit, so the short
     * window (half a term) costs no waiting for a driver thread. Measured on 2 cores with 1 MiB tensors, terms
     * of 128 KiB to 16 MiB all moved 3.7-4.6 GB/s; the short log holds the least memory.
     */
    public static final int DEFAULT_COOPERATIVE_IPC_TERM_BYTES = 256 << 10;
    /** IPC MTU with a cooperative driver: the largest frame a 256 KiB term carries (an eighth of it). */
    public static final int DEFAULT_COOPERATIVE_IPC_MTU_BYTES = 32 << 10;
    /**
     * UDP term length with a cooperative driver: the receiver window is half of it (512 KiB), and on a small
     * machine short logs stay in cache: 1 MiB tensors over loopback UDP moved 20-40% faster than with 4-16 MiB
     * terms. Links with a large bandwidth-delay product want {@link #termBytes(int)} raised.
     */
    public static final int DEFAULT_COOPERATIVE_TERM_BYTES = 1 << 20;
    public static final long DEFAULT_PEER_TIMEOUT_NS = 5_000_000_000L;
    public static final long MIN_PEER_TIMEOUT_NS = 500_000_000L;
    public static final long DEFAULT_CONNECT_TIMEOUT_NS = 30_000_000_000L;
    public static final int DEFAULT_SEND_QUEUE_CAPACITY = 16;
    public static final int DEFAULT_DELIVERY_QUEUE_CAPACITY = 64;
    /** Longest park of an idle embedded-driver thread. */
    public static final long DEFAULT_DRIVER_MAX_PARK_NS = 100_000;
    public static final long DEFAULT_REJECT_LOG_INTERVAL_NS = 1_000_000_000L;
    /** Chunks a sender writes per duty cycle at most, so one large tensor cannot monopolise a thread. */
    public static final int DEFAULT_CHUNKS_PER_DUTY_CYCLE = 64;

    private long runId;
    private long sessionToken;
    private boolean embeddedDriver = true;
    private String aeronDirectoryName;
    private boolean generatedDirectory;
    private ThreadingMode threadingMode;
    private int mtuBytes = DEFAULT_MTU_BYTES;
    private int ipcMtuBytes;
    private long maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private long receiverMemoryBytes = DEFAULT_RECEIVER_MEMORY_BYTES;
    private int socketBufferBytes = DEFAULT_SOCKET_BUFFER_BYTES;
    private int termBytes;
    private int ipcTermBytes;
    private int receiverWindowBytes;
    private long peerTimeoutNs = DEFAULT_PEER_TIMEOUT_NS;
    private long connectTimeoutNs = DEFAULT_CONNECT_TIMEOUT_NS;
    private int sendQueueCapacity = DEFAULT_SEND_QUEUE_CAPACITY;
    private int deliveryQueueCapacity = DEFAULT_DELIVERY_QUEUE_CAPACITY;
    private int chunksPerDutyCycle = DEFAULT_CHUNKS_PER_DUTY_CYCLE;
    private boolean crcEnabled;
    private long rejectLogIntervalNs = DEFAULT_REJECT_LOG_INTERVAL_NS;
    private Supplier<IdleStrategy> driverIdleStrategies;
    private int chunkBytes;
    private boolean concluded;
    private Boolean cooperativeDriver;

    /**
     * Whether the embedded driver, in {@code ThreadingMode.INVOKER}, is run cooperatively (see
     * {@link DriverDuty}): its conductor, sender and receiver agents each under their own guard, run by the
     * links' threads (a sender after writing and when back-pressured, a receiver with nothing to read) and by a
     * thread of the transport's own that parks when idle. Unset
     * (default): true when the threading mode is chosen for a machine of 1-2 cores, false otherwise; false
     * with INVOKER means the application runs the driver through {@link Transport#doDriverWork()}.
     */
    public TransportContext cooperativeDriver(boolean cooperative) {
        this.cooperativeDriver = cooperative;
        return this;
    }

    /** Whether the driver is run cooperatively; valid after {@link #conclude()}. */
    public boolean cooperativeDriver() {
        return cooperativeDriver != null && cooperativeDriver;
    }

    /** The run all frames belong to; frames of other runs are ignored. */
    public TransportContext runId(long runId) {
        this.runId = runId;
        return this;
    }

    public long runId() {
        return runId;
    }

    /** The per-run secret the coordinator hands out; frames with another token are ignored. Must not be 0. */
    public TransportContext sessionToken(long sessionToken) {
        this.sessionToken = sessionToken;
        return this;
    }

    public long sessionToken() {
        return sessionToken;
    }

    /** Whether to start a media driver in this process (default) or connect to an external one. */
    public TransportContext embeddedDriver(boolean embeddedDriver) {
        this.embeddedDriver = embeddedDriver;
        return this;
    }

    public boolean embeddedDriver() {
        return embeddedDriver;
    }

    /** The driver folder: required for an external driver; for an embedded one, a fresh unique one by default. */
    public TransportContext aeronDirectoryName(String dir) {
        this.aeronDirectoryName = dir;
        return this;
    }

    public String aeronDirectoryName() {
        return aeronDirectoryName;
    }

    /** Driver threading; null (default) chooses by core count. */
    public TransportContext threadingMode(ThreadingMode mode) {
        this.threadingMode = mode;
        return this;
    }

    public ThreadingMode threadingMode() {
        return threadingMode;
    }

    public TransportContext mtuBytes(int mtuBytes) {
        this.mtuBytes = mtuBytes;
        return this;
    }

    public int mtuBytes() {
        return mtuBytes;
    }

    /** MTU of IPC publications; 0 (default) derives it (see {@link #conclude()}). */
    public TransportContext ipcMtuBytes(int ipcMtuBytes) {
        this.ipcMtuBytes = ipcMtuBytes;
        return this;
    }

    public int ipcMtuBytes() {
        return ipcMtuBytes;
    }

    /** The largest tensor, in bytes, a receiver accepts and the settings are sized for. */
    public TransportContext maxMessageBytes(long maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
        return this;
    }

    public long maxMessageBytes() {
        return maxMessageBytes;
    }

    /** The most tensor memory one receiver's pool may hold (delivered, queued and being filled). */
    public TransportContext receiverMemoryBytes(long receiverMemoryBytes) {
        this.receiverMemoryBytes = receiverMemoryBytes;
        return this;
    }

    public long receiverMemoryBytes() {
        return receiverMemoryBytes;
    }

    public TransportContext socketBufferBytes(int socketBufferBytes) {
        this.socketBufferBytes = socketBufferBytes;
        return this;
    }

    public int socketBufferBytes() {
        return socketBufferBytes;
    }

    /** Aeron term length of publications; 0 (default) derives it from the largest message. */
    public TransportContext termBytes(int termBytes) {
        this.termBytes = termBytes;
        return this;
    }

    public int termBytes() {
        return termBytes;
    }

    /**
     * Term length of IPC publications; 0 (default) is {@link #DEFAULT_IPC_TERM_BYTES} or the UDP term if
     * larger. An IPC log is shared by both ends (no second copy), and an IPC sender may run half a term ahead
     * of its receiver between two runs of the driver's conductor, so a large term keeps it from stalling.
     */
    public TransportContext ipcTermBytes(int ipcTermBytes) {
        this.ipcTermBytes = ipcTermBytes;
        return this;
    }

    public int ipcTermBytes() {
        return ipcTermBytes;
    }

    /** UDP receiver window; 0 (default) is half a term, capped by the socket buffer. */
    public TransportContext receiverWindowBytes(int receiverWindowBytes) {
        this.receiverWindowBytes = receiverWindowBytes;
        return this;
    }

    public int receiverWindowBytes() {
        return receiverWindowBytes;
    }

    /** After this long without a sign of life a peer is reported lost (driver connection and image timeouts). */
    public TransportContext peerTimeoutNs(long peerTimeoutNs) {
        this.peerTimeoutNs = peerTimeoutNs;
        return this;
    }

    public long peerTimeoutNs() {
        return peerTimeoutNs;
    }

    /** A sender whose peer has not connected this long after the sender was made reports it lost. */
    public TransportContext connectTimeoutNs(long connectTimeoutNs) {
        this.connectTimeoutNs = connectTimeoutNs;
        return this;
    }

    public long connectTimeoutNs() {
        return connectTimeoutNs;
    }

    /** Messages a sender accepts before {@link TensorSender#offer} answers {@link TensorSender#QUEUE_FULL}. */
    public TransportContext sendQueueCapacity(int capacity) {
        this.sendQueueCapacity = capacity;
        return this;
    }

    public int sendQueueCapacity() {
        return sendQueueCapacity;
    }

    /** Complete messages a receiver holds back for the link delay before it stops reading. */
    public TransportContext deliveryQueueCapacity(int capacity) {
        this.deliveryQueueCapacity = capacity;
        return this;
    }

    public int deliveryQueueCapacity() {
        return deliveryQueueCapacity;
    }

    public TransportContext chunksPerDutyCycle(int chunks) {
        this.chunksPerDutyCycle = chunks;
        return this;
    }

    public int chunksPerDutyCycle() {
        return chunksPerDutyCycle;
    }

    /** Whether senders add a CRC32C of each chunk (receivers always check one that is present). */
    public TransportContext crcEnabled(boolean crcEnabled) {
        this.crcEnabled = crcEnabled;
        return this;
    }

    public boolean crcEnabled() {
        return crcEnabled;
    }

    /** At most one log line per rejection reason per this interval. */
    public TransportContext rejectLogIntervalNs(long intervalNs) {
        this.rejectLogIntervalNs = intervalNs;
        return this;
    }

    public long rejectLogIntervalNs() {
        return rejectLogIntervalNs;
    }

    /**
     * Makes the idle strategy of each embedded driver thread; null (default) makes ones that back off from
     * spinning to parking ({@link #DEFAULT_DRIVER_MAX_PARK_NS} at most).
     */
    public TransportContext driverIdleStrategies(Supplier<IdleStrategy> supplier) {
        this.driverIdleStrategies = supplier;
        return this;
    }

    /** A fresh driver idle strategy (each driver thread needs its own). */
    IdleStrategy newDriverIdleStrategy() {
        return driverIdleStrategies != null ? driverIdleStrategies.get()
                : new BackoffIdleStrategy(20, 50, 1_000, DEFAULT_DRIVER_MAX_PARK_NS);
    }

    /** Payload bytes per frame: what fits in one MTU after Aeron's and mpsl's headers, a multiple of 64. */
    public int chunkBytes() {
        return chunkBytes;
    }

    /**
     * Validates the settings and derives the rest. Idempotent.
     *
     * @throws IllegalArgumentException naming the bad setting and its value
     */
    public TransportContext conclude() {
        if (concluded) {
            return this;
        }
        if (sessionToken == 0) {
            throw new IllegalArgumentException("session token is 0; set the per-run token the coordinator drew "
                    + "(e.g. new SecureRandom().nextLong())");
        }
        for (int mtu : new int[] {mtuBytes, ipcMtuBytes == 0 ? mtuBytes : ipcMtuBytes}) {
            if (mtu < MIN_MTU_BYTES || mtu > DEFAULT_MTU_BYTES || (mtu & 31) != 0) {
                throw new IllegalArgumentException("mtu of " + mtu + " bytes: use a multiple of 32 in ["
                        + MIN_MTU_BYTES + ", " + DEFAULT_MTU_BYTES + "]");
            }
        }
        if (maxMessageBytes < 4 || maxMessageBytes > (1L << 40)) {
            throw new IllegalArgumentException("max message of " + maxMessageBytes + " bytes: use 4 B to 1 TiB");
        }
        if (receiverMemoryBytes < maxMessageBytes) {
            throw new IllegalArgumentException("receiver memory of " + receiverMemoryBytes
                    + " bytes cannot hold the largest message of " + maxMessageBytes + " bytes; raise it");
        }
        if (peerTimeoutNs < MIN_PEER_TIMEOUT_NS) {
            throw new IllegalArgumentException("peer timeout of " + peerTimeoutNs + " ns: use at least " + MIN_PEER_TIMEOUT_NS);
        }
        if (connectTimeoutNs < peerTimeoutNs) {
            throw new IllegalArgumentException("connect timeout of " + connectTimeoutNs + " ns is under the peer timeout of "
                    + peerTimeoutNs + " ns; raise it");
        }
        if (sendQueueCapacity < 1 || deliveryQueueCapacity < 1 || chunksPerDutyCycle < 1) {
            throw new IllegalArgumentException("queue capacities and chunks per duty cycle must be >= 1; got "
                    + sendQueueCapacity + ", " + deliveryQueueCapacity + ", " + chunksPerDutyCycle);
        }
        if (!embeddedDriver && aeronDirectoryName == null) {
            throw new IllegalArgumentException("an external media driver needs aeronDirectoryName (its folder)");
        }
        if (threadingMode == null) {
            int cores = Runtime.getRuntime().availableProcessors();
            threadingMode = cores <= 2 ? ThreadingMode.INVOKER : cores <= 4 ? ThreadingMode.SHARED_NETWORK : ThreadingMode.DEDICATED;
            if (cooperativeDriver == null) {
                cooperativeDriver = cores <= 2 && embeddedDriver;
            }
        }
        if (cooperativeDriver == null) {
            cooperativeDriver = false;
        }
        if (cooperativeDriver && (threadingMode != ThreadingMode.INVOKER || !embeddedDriver)) {
            throw new IllegalArgumentException("a cooperative driver needs an embedded driver in ThreadingMode.INVOKER; got "
                    + threadingMode + (embeddedDriver ? "" : " with an external driver"));
        }
        if (termBytes == 0 && cooperativeDriver) {
            termBytes = DEFAULT_COOPERATIVE_TERM_BYTES;
        }
        if (termBytes == 0) {
            long twice = Long.highestOneBit(Math.max(1, maxMessageBytes - 1)) << 2;
            termBytes = (int) Math.min(MAX_TERM_BYTES, Math.max(MIN_TERM_BYTES, twice));
        }
        if (ipcTermBytes == 0) {
            ipcTermBytes = cooperativeDriver ? DEFAULT_COOPERATIVE_IPC_TERM_BYTES : Math.max(DEFAULT_IPC_TERM_BYTES, termBytes);
        }
        if (ipcMtuBytes == 0) {
            ipcMtuBytes = cooperativeDriver ? Math.min(mtuBytes, DEFAULT_COOPERATIVE_IPC_MTU_BYTES) : mtuBytes;
        }
        int[] terms = {termBytes, ipcTermBytes};
        int[] mtus = {mtuBytes, ipcMtuBytes};
        for (int i = 0; i < terms.length; i++) {
            int t = terms[i];
            if (Integer.bitCount(t) != 1 || t < (64 << 10) || t > (1 << 30)) {
                throw new IllegalArgumentException("term length of " + t + " bytes: use a power of two in [64 KiB, 1 GiB]");
            }
            if (t / 8 < mtus[i] - io.aeron.protocol.DataHeaderFlyweight.HEADER_LENGTH) {
                throw new IllegalArgumentException("term length of " + t + " bytes cannot carry frames of one MTU ("
                        + mtus[i] + "): Aeron's largest message is an eighth of a term; use at least " + 8 * mtus[i]);
            }
        }
        if (receiverWindowBytes == 0) {
            receiverWindowBytes = Math.min(termBytes / 2, socketBufferBytes);
        }
        if (receiverWindowBytes < mtuBytes || receiverWindowBytes > Math.min(termBytes / 2, socketBufferBytes)) {
            throw new IllegalArgumentException("receiver window of " + receiverWindowBytes + " bytes: use one MTU to half a term ("
                    + termBytes / 2 + ") and at most the socket buffer (" + socketBufferBytes + ")");
        }
        if (embeddedDriver && aeronDirectoryName == null) {
            Path base = DriverDirectories.baseDirectory();
            DriverDirectories.removeStale(base);
            aeronDirectoryName = DriverDirectories.newDirectory(base).toString();
            generatedDirectory = true;
        }
        chunkBytes = (mtuBytes - io.aeron.protocol.DataHeaderFlyweight.HEADER_LENGTH - FrameHeaderFlyweight.HEADER_LENGTH) & ~63;
        concluded = true;
        return this;
    }

    boolean isConcluded() {
        return concluded;
    }

    /** Removes the driver folder this context generated (the driver deletes its contents on shutdown). */
    @Override
    public void close() {
        if (generatedDirectory && aeronDirectoryName != null) {
            try {
                DriverDirectories.delete(Path.of(aeronDirectoryName));
            } catch (java.io.IOException e) {
                System.getLogger(TransportContext.class.getName()).log(System.Logger.Level.WARNING,
                        "could not delete driver folder " + aeronDirectoryName + ": " + e);
            }
        }
    }

    @Override
    public String toString() {
        return "TransportContext[dir=" + aeronDirectoryName + ", embedded=" + embeddedDriver + ", threading=" + threadingMode + (cooperativeDriver() ? " (cooperative)" : "")
                + ", mtu=" + mtuBytes + ", ipcMtu=" + ipcMtuBytes + ", term=" + termBytes + ", ipcTerm=" + ipcTermBytes + ", window=" + receiverWindowBytes + ", socketBuffer="
                + socketBufferBytes + ", chunk=" + chunkBytes + ", maxMessage=" + maxMessageBytes + ", receiverMemory="
                + receiverMemoryBytes + ", peerTimeoutNs=" + peerTimeoutNs + ", crc=" + crcEnabled + "]";
    }
}
