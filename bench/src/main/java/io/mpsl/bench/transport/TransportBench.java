package io.mpsl.bench.transport;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import io.mpsl.transport.FrameHeaderFlyweight;
import io.mpsl.transport.FrameType;
import io.mpsl.transport.LinkShaper;
import io.mpsl.transport.TensorHandler;
import io.mpsl.transport.TensorMessage;
import io.mpsl.transport.TensorReceiver;
import io.mpsl.transport.TensorSender;
import io.mpsl.transport.Transport;
import io.mpsl.transport.TransportContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code mpsl bench transport [--json FILE] [--quick]}: goodput and latency of tensor transfers over Aeron UDP
 * (loopback), Aeron IPC and a plain blocking java.nio TCP socket, for 64 KiB, 1 MiB and 8 MiB tensors, all in
 * one run with the same loop; then the link shaper's accuracy at 10, 100 and 1000 Mbit/s.
 *
 * <p>Each transfer has a sender thread and a receiver thread. Goodput: the sender streams messages as fast
 * as the transport takes them; goodput is payload bytes over the time from the first send to the last
 * delivery, the best of three streams. Latency: one message at a time, from the offer to the moment the receiver has the whole tensor
 * (same clock, one machine); p50 and p99.
 */
public final class TransportBench {
    private static final String HOST = "127.0.0.1";
    private static final int[] SIZES = {64 << 10, 1 << 20, 8 << 20};
    private static final long[] SHAPED_RATES_MBIT = {10, 100, 1000};
    /** Goodput is the best of this many back-to-back streams (the machine may be shared). */
    private static final int REPEATS = 3;
    /**
     * Every transfer first streams for this long (a tenth with --quick), so that the JIT has compiled the hot
     * loops of both ends before anything is measured: the compiler threads would otherwise take CPU from the
     * measured ones on a small machine.
     */
    private static final long WARM_UP_NS = 1_000_000_000L;

    /** One transfer result. */
    record Transfer(String transport, int sizeBytes, double goodputMbS, double p50Us, double p99Us, double cpuSecondsPerGb) {
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** One shaper result. */
    record Shaped(long rateMbit, double measuredMbit) {
    }

    private TransportBench() {
    }

    public static int run(String[] args) throws Exception {
        Path json = null;
        boolean quick = false;
        int[] sizes = SIZES;
        String only = null;
        boolean shapedToo = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--json needs a file name");
                    }
                    json = Path.of(args[++i]);
                }
                case "--quick" -> quick = true;
                case "--size" -> sizes = new int[] {Integer.parseInt(args[++i])};
                case "--transport" -> only = args[++i];
                case "--no-shaped" -> shapedToo = false;
                default -> throw new IllegalArgumentException("unknown option '" + args[i]
                        + "'; use --json FILE, --quick, --size BYTES, --transport NAME[,NAME], --no-shaped");
            }
        }
        long streamBytes = quick ? 64L << 20 : 512L << 20;
        System.out.printf(Locale.ROOT, "mpsl bench transport: %d cores, %s, %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), Instant.now());
        List<Transfer> transfers = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%-10s %10s %14s %10s %10s %12s%n", "transport", "size", "goodput MB/s", "p50 us", "p99 us",
                "cpu s/GB");
        for (int size : sizes) {
            for (String transport : new String[] {"aeron-udp", "aeron-ipc", "tcp"}) {
                if (only != null && !List.of(only.split(",")).contains(transport)) {
                    continue;
                }
                Transfer t = transport.equals("tcp") ? tcp(size, streamBytes, quick) : aeron(transport, size, streamBytes, quick);
                transfers.add(t);
                System.out.printf(Locale.ROOT, "%-10s %10d %14.1f %10.1f %10.1f %12.3f%n", t.transport(), t.sizeBytes(),
                        t.goodputMbS(), t.p50Us(), t.p99Us(), t.cpuSecondsPerGb());
            }
        }
        List<Shaped> shaped = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%n%-12s %14s %10s%n", "shaped Mbit/s", "measured Mbit/s", "error %");
        for (long rate : shapedToo ? SHAPED_RATES_MBIT : new long[0]) {
            Shaped s = shaped(rate, quick);
            shaped.add(s);
            System.out.printf(Locale.ROOT, "%-12d %14.2f %10.2f%n", s.rateMbit(), s.measuredMbit(),
                    100.0 * (s.measuredMbit() - rate) / rate);
        }
        for (int size : sizes) {
            double tcp = find(transfers, "tcp", size);
            System.out.printf(Locale.ROOT, "ratio to tcp at %d bytes: aeron-udp %.2fx, aeron-ipc %.2fx%n", size,
                    find(transfers, "aeron-udp", size) / tcp, find(transfers, "aeron-ipc", size) / tcp);
        }
        if (json != null) {
            Files.writeString(json, toJson(transfers, shaped), StandardCharsets.UTF_8);
            System.out.println("wrote " + json);
        }
        return 0;
    }

    private static double find(List<Transfer> transfers, String transport, int size) {
        for (Transfer t : transfers) {
            if (t.transport().equals(transport) && t.sizeBytes() == size) {
                return t.goodputMbS();
            }
        }
        return Double.NaN;
    }

    static String toJson(List<Transfer> transfers, List<Shaped> shaped) {
        StringBuilder sb = new StringBuilder("{\"transfers\": [");
        for (int i = 0; i < transfers.size(); i++) {
            Transfer t = transfers.get(i);
            sb.append(i == 0 ? "\n  " : ",\n  ").append(String.format(Locale.ROOT,
                    "{\"transport\": \"%s\", \"size_bytes\": %d, \"goodput_mb_s\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f}",
                    t.transport(), t.sizeBytes(), t.goodputMbS(), t.p50Us(), t.p99Us()));
        }
        sb.append("],\n \"shaped\": [");
        for (int i = 0; i < shaped.size(); i++) {
            Shaped s = shaped.get(i);
            sb.append(i == 0 ? "\n  " : ",\n  ").append(String.format(Locale.ROOT, "{\"rate_mbit\": %d, \"measured_mbit\": %.2f}",
                    s.rateMbit(), s.measuredMbit()));
        }
        return sb.append("]}\n").toString();
    }

    private static IdleStrategy appIdle() {
        return idle(System.getProperty("mpsl.bench.appIdle", "backoff"));
    }

    private static IdleStrategy idle(String name) {
        return switch (name) {
            case "yield" -> new org.agrona.concurrent.YieldingIdleStrategy();
            case "spin" -> new org.agrona.concurrent.BusySpinIdleStrategy();
            case "backoff" -> new BackoffIdleStrategy(10, 20, 1_000, 50_000);
            case "backoff-long" -> new BackoffIdleStrategy(100, 1000, 1_000, 20_000);
            case "park" -> new BackoffIdleStrategy(1, 1, 1_000, 100_000);
            case "park-short" -> new BackoffIdleStrategy(1, 1, 1_000, 20_000);
            default -> throw new IllegalArgumentException("idle strategy " + name);
        };
    }

    private static int messagesFor(long bytes, int size) {
        return (int) Math.max(8, bytes / size);
    }

    private static int latencySamples(int size, boolean quick) {
        int n = size <= (64 << 10) ? 2000 : size <= (1 << 20) ? 400 : 60;
        return quick ? Math.max(20, n / 5) : n;
    }

    // ---------------------------------------------------------------- Aeron

    /** Receiver side: counts deliveries, records latency, gives tensors straight back. */
    private static final class CountingHandler implements TensorHandler {
        final AtomicLong delivered = new AtomicLong();
        volatile long lastDeliveryNs;
        final Histogram latencyNs = new Histogram(1, 60_000_000_000L, 3);
        boolean recordLatency;
        TensorReceiver receiver;

        @Override
        public void onTensor(TensorMessage m) {
            long now = System.nanoTime();
            if (recordLatency) {
                latencyNs.recordValue(Math.max(1, now - m.sentNs()));
            }
            receiver.release(m.tensor());
            lastDeliveryNs = now;
            delivered.lazySet(delivered.get() + 1);
        }
    }

    private static TransportContext benchContext(int size) {
        TransportContext ctx = new TransportContext().runId(1).sessionToken(new SecureRandom().nextLong() | 1)
                .maxMessageBytes(Math.max(size, 1 << 20));
        if (Integer.getInteger("mpsl.bench.termBytes") != null) {
            ctx.termBytes(Integer.getInteger("mpsl.bench.termBytes"));
        }
        if (Integer.getInteger("mpsl.bench.ipcTermBytes") != null) {
            ctx.ipcTermBytes(Integer.getInteger("mpsl.bench.ipcTermBytes"));
        }
        if (Integer.getInteger("mpsl.bench.receiverWindowBytes") != null) {
            ctx.receiverWindowBytes(Integer.getInteger("mpsl.bench.receiverWindowBytes"));
        }
        if (Integer.getInteger("mpsl.bench.ipcMtuBytes") != null) {
            ctx.ipcMtuBytes(Integer.getInteger("mpsl.bench.ipcMtuBytes"));
        }
        if (System.getProperty("mpsl.bench.threading") != null) {
            ctx.threadingMode(io.aeron.driver.ThreadingMode.valueOf(System.getProperty("mpsl.bench.threading")));
        }
        if (System.getProperty("mpsl.bench.driverIdle") != null) {
            String name = System.getProperty("mpsl.bench.driverIdle");
            ctx.driverIdleStrategies(() -> idle(name));
        }
        return ctx;
    }

    static Transfer aeron(String transport, int size, long streamBytes, boolean quick) throws Exception {
        try (Transport t = Transport.launch(benchContext(size));
                TensorArena arena = new TensorArena(MemoryAccount.root("bench-sender"))) {
            int port = freeTcpPort();
            boolean udp = transport.equals("aeron-udp");
            TensorReceiver receiver = udp ? t.newUdpReceiver(HOST, port, 1, null, null) : t.newIpcReceiver(1, null, null);
            TensorSender sender = udp ? t.newUdpSender(HOST, port, 1, null) : t.newIpcSender(1, null);
            Tensor tensor = arena.allocate(Shape.of(size / 4));
            for (long i = 0; i < tensor.size(); i++) {
                tensor.set(i, i);
            }
            CountingHandler handler = new CountingHandler();
            handler.receiver = receiver;
            Thread rx = pollingThread(receiver, handler);
            rx.start();
            try {
                awaitConnected(t, sender);
                IdleStrategy idle = appIdle();
                // Warm-up, then goodput: stream.
                long warmEndNs = System.nanoTime() + (quick ? WARM_UP_NS / 10 : WARM_UP_NS);
                while (System.nanoTime() < warmEndNs) {
                    streamAeron(t, sender, tensor, 8, idle);
                }
                int n = messagesFor(streamBytes / REPEATS, size);
                double goodput = 0;
                long cpuStartNs = OS.getProcessCpuTime();
                for (int rep = 0; rep < REPEATS; rep++) {
                    long target = handler.delivered.get() + n;
                    long startNs = System.nanoTime();
                    streamAeron(t, sender, tensor, n, idle);
                    while (handler.delivered.get() < target) {
                        idle.idle(t.doDriverWork());
                    }
                    goodput = Math.max(goodput, (double) n * size / ((handler.lastDeliveryNs - startNs) / 1e9) / 1e6);
                }
                double cpuPerGb = (OS.getProcessCpuTime() - cpuStartNs) / 1e9 / ((double) REPEATS * n * size / 1e9);
                // Latency: one message at a time.
                handler.recordLatency = true;
                int samples = latencySamples(size, quick);
                for (int i = 0; i < samples; i++) {
                    long expect = handler.delivered.get() + 1;
                    offerOne(t, sender, tensor, idle);
                    idle.reset();
                    while (handler.delivered.get() < expect) {
                        idle.idle(sender.doWork() + t.doDriverWork());
                    }
                }
                Histogram h = handler.latencyNs;
                return new Transfer(transport, size, goodput, h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                        cpuPerGb);
            } finally {
                rx.interrupt();
                rx.join();
            }
        }
    }

    private static Thread pollingThread(TensorReceiver receiver, TensorHandler handler) {
        Thread rx = new Thread(() -> {
            IdleStrategy idle = appIdle();
            while (!Thread.currentThread().isInterrupted()) {
                idle.idle(receiver.poll(handler, 64));
            }
        }, "bench-receiver");
        rx.setDaemon(true);
        return rx;
    }

    private static void awaitConnected(Transport t, TensorSender sender) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!sender.isConnected()) {
            t.doDriverWork();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the benchmark's sender did not connect within 10 s");
            }
            Thread.sleep(1);
        }
    }

    private static void offerOne(Transport t, TensorSender sender, Tensor tensor, IdleStrategy idle) {
        long r;
        idle.reset();
        while ((r = sender.offer(FrameType.ACTIVATION, 0, 0, 0, 0, tensor)) < 0) {
            if (r == TensorSender.PEER_LOST || r == TensorSender.CLOSED) {
                throw new IllegalStateException("benchmark link failed: " + r);
            }
            idle.idle(sender.doWork() + t.doDriverWork());
        }
    }

    /** Streams {@code n} messages of the same tensor (its bytes do not change, so reusing it is safe). */
    private static void streamAeron(Transport t, TensorSender sender, Tensor tensor, int n, IdleStrategy idle) {
        for (int i = 0; i < n; i++) {
            offerOne(t, sender, tensor, idle);
        }
        idle.reset();
        while (sender.queuedMessages() > 0) {
            idle.idle(sender.doWork() + t.doDriverWork());
        }
    }

    // ---------------------------------------------------------------- Shaper

    static Shaped shaped(long rateMbit, boolean quick) throws Exception {
        long rate = rateMbit * 1_000_000L;
        int size = rateMbit <= 10 ? 64 << 10 : 1 << 20;
        double seconds = quick ? 0.5 : (rateMbit <= 10 ? 3.0 : 1.5);
        int n = (int) Math.max(4, Math.round(rate / 8.0 * seconds / size)) + 1;
        try (Transport t = Transport.launch(benchContext(size));
                TensorArena arena = new TensorArena(MemoryAccount.root("bench-sender"))) {
            TensorReceiver receiver = t.newIpcReceiver(2, null, null);
            TensorSender sender = t.newIpcSender(2, LinkShaper.of(rate, 0));
            Tensor tensor = arena.allocate(Shape.of(size / 4));
            long[] deliveredAtNs = new long[n];
            TensorHandler handler = new TensorHandler() {
                int count;

                @Override
                public void onTensor(TensorMessage m) {
                    if (count < deliveredAtNs.length) {
                        deliveredAtNs[count++] = System.nanoTime();
                    }
                    receiver.release(m.tensor());
                }
            };
            Thread rx = pollingThread(receiver, handler);
            rx.start();
            try {
                awaitConnected(t, sender);
                IdleStrategy idle = appIdle();
                streamAeron(t, sender, tensor, n, idle);
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (deliveredAtNs[n - 1] == 0 && System.nanoTime() < deadline) {
                    if (t.doDriverWork() == 0) {
                        Thread.sleep(1);
                    }
                }
            } finally {
                rx.interrupt();
                rx.join();
            }
            // Rate between the first and the last delivery: n - 1 messages' bytes.
            double seconds1 = (deliveredAtNs[n - 1] - deliveredAtNs[0]) / 1e9;
            return new Shaped(rateMbit, (double) (n - 1) * size * 8 / seconds1 / 1e6);
        }
    }

    // ---------------------------------------------------------------- TCP baseline

    private static int freeTcpPort() throws IOException {
        try (ServerSocketChannel s = ServerSocketChannel.open()) {
            s.bind(new InetSocketAddress(HOST, 0));
            return ((InetSocketAddress) s.getLocalAddress()).getPort();
        }
    }

    /**
     * The same transfer over one blocking TCP connection: each message is the same 112-byte frame header and
     * the tensor's bytes, written with one gathering write from direct buffers and read into a direct
     * destination buffer.
     */
    static Transfer tcp(int size, long streamBytes, boolean quick) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open();
                TensorArena arena = new TensorArena(MemoryAccount.root("bench-tcp"))) {
            server.bind(new InetSocketAddress(HOST, 0));
            Tensor src = arena.allocate(Shape.of(size / 4));
            Tensor dst = arena.allocate(Shape.of(size / 4));
            ByteBuffer header = ByteBuffer.allocateDirect(FrameHeaderFlyweight.HEADER_LENGTH);
            UnsafeBuffer headerView = new UnsafeBuffer(header);
            FrameHeaderFlyweight frame = new FrameHeaderFlyweight().wrap(headerView, 0).init();
            frame.frameType(FrameType.ACTIVATION).rank(1).dim(0, size / 4).chunkCount(1).payloadLength(size);
            AtomicLong delivered = new AtomicLong();
            Histogram latencyNs = new Histogram(1, 60_000_000_000L, 3);
            long[] lastDeliveryNs = new long[1];
            boolean[] recordLatency = new boolean[1];
            int n = messagesFor(streamBytes / REPEATS, size);
            int samples = latencySamples(size, quick);
            Thread rx = new Thread(() -> {
                try (SocketChannel in = server.accept()) {
                    ByteBuffer h = ByteBuffer.allocateDirect(FrameHeaderFlyweight.HEADER_LENGTH);
                    UnsafeBuffer hv = new UnsafeBuffer(h);
                    FrameHeaderFlyweight f = new FrameHeaderFlyweight().wrap(hv, 0);
                    ByteBuffer payload = dst.segment().asByteBuffer();
                    for (long i = 0;; i++) {
                        h.clear();
                        if (!readFully(in, h)) {
                            break; // the sender closed the connection after its last message
                        }
                        payload.clear().limit(f.payloadLength());
                        if (!readFully(in, payload)) {
                            throw new IOException("tcp baseline connection closed after a header");
                        }
                        long now = System.nanoTime();
                        if (recordLatency[0]) {
                            latencyNs.recordValue(Math.max(1, now - f.timestampNs()));
                        }
                        lastDeliveryNs[0] = now;
                        delivered.set(i + 1);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException("tcp baseline receiver failed", e);
                }
            }, "bench-tcp-receiver");
            rx.setDaemon(true);
            rx.start();
            try (SocketChannel out = SocketChannel.open()) {
                out.setOption(StandardSocketOptions.TCP_NODELAY, true);
                out.connect(server.getLocalAddress());
                ByteBuffer payload = src.segment().asByteBuffer();
                ByteBuffer[] gather = {header, payload};
                long warm = 0;
                long warmEndNs = System.nanoTime() + (quick ? WARM_UP_NS / 10 : WARM_UP_NS);
                while (System.nanoTime() < warmEndNs) {
                    writeMessage(out, gather, frame);
                    warm++;
                }
                double goodput = 0;
                long cpuStartNs = OS.getProcessCpuTime();
                for (int rep = 0; rep < REPEATS; rep++) {
                    long startNs = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        writeMessage(out, gather, frame);
                    }
                    while (delivered.get() < warm + (rep + 1L) * n) {
                        Thread.onSpinWait();
                    }
                    goodput = Math.max(goodput, (double) n * size / ((lastDeliveryNs[0] - startNs) / 1e9) / 1e6);
                }
                double cpuPerGb = (OS.getProcessCpuTime() - cpuStartNs) / 1e9 / ((double) REPEATS * n * size / 1e9);
                recordLatency[0] = true;
                IdleStrategy idle = appIdle();
                for (int i = 0; i < samples; i++) {
                    long expect = delivered.get() + 1;
                    writeMessage(out, gather, frame);
                    idle.reset();
                    while (delivered.get() < expect) {
                        idle.idle();
                    }
                }
                out.shutdownOutput(); // the receiver reads to the end of the stream, then stops
                rx.join();
                return new Transfer("tcp", size, goodput, latencyNs.getValueAtPercentile(50) / 1e3,
                        latencyNs.getValueAtPercentile(99) / 1e3, cpuPerGb);
            }
        }
    }

    private static void writeMessage(SocketChannel out, ByteBuffer[] gather, FrameHeaderFlyweight frame) throws IOException {
        frame.timestampNs(System.nanoTime());
        gather[0].clear();
        gather[1].clear();
        long remaining = gather[0].remaining() + gather[1].remaining();
        while (remaining > 0) {
            remaining -= out.write(gather);
        }
    }

    /** Fills {@code b}; false when the connection ended before its first byte, an exception when in the middle. */
    private static boolean readFully(SocketChannel in, ByteBuffer b) throws IOException {
        boolean first = true;
        while (b.hasRemaining()) {
            if (in.read(b) < 0) {
                if (first) {
                    return false;
                }
                throw new IOException("tcp baseline connection closed in the middle of a message");
            }
            first = false;
        }
        return true;
    }
}
