package io.mpsl.bench.transport;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import io.mpsl.tensor.TensorPool;
import io.mpsl.transport.FrameHeaderFlyweight;
import io.mpsl.transport.FrameType;
import io.mpsl.transport.FrameValidator;
import io.mpsl.transport.LinkShaper;
import io.mpsl.transport.RejectReason;
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
import java.nio.channels.DatagramChannel;
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
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code mpsl bench transport [--json FILE] [--quick] [--size BYTES] [--transport NAMES] [--rounds N] [--no-shaped]}:
 * goodput and latency of tensor transfers over Aeron UDP (loopback), Aeron IPC and a plain blocking java.nio
 * TCP socket, for 64 KiB, 1 MiB and 8 MiB tensors, all in one run with the same loop; then the link shaper's
 * accuracy at 10, 100 and 1000 Mbit/s.
 *
 * <p>Each link has a sender (the bench thread) and a receiver thread; all links of one size are open at once.
 * Goodput: in each of {@link #ROUNDS} rounds, every link in turn streams {@link #STREAM_BYTES} of messages as fast
 * as it takes them; goodput is payload bytes over the time from the first send to the last delivery, its
 * median over the rounds reported, and the ratio to TCP is taken within each round (a disturbance of a shared
 * machine then hits the transports alike) and reported as a median with every round's value. Latency: one
 * message at a time, from the offer to the moment the receiver has the whole tensor (same clock, one machine);
 * p50 and p99.
 */
public final class TransportBench {
    private static final String HOST = "127.0.0.1";
    private static final int[] SIZES = {64 << 10, 1 << 20, 8 << 20};
    private static final long[] SHAPED_RATES_MBIT = {10, 100, 1000};
    private static final String[] TRANSPORTS = {"aeron-udp", "aeron-ipc", "tcp"};
    /** Rounds of goodput streams, each over every transport in turn; goodput and ratios are medians over them. */
    private static final int ROUNDS = 7;
    /** Payload bytes of one goodput stream (one transport, one round); 16 MiB with --quick. */
    private static final long STREAM_BYTES = 256L << 20;
    /** The tensor size at which the issue sets goodput targets relative to TCP, and the targets. */
    private static final int TARGET_SIZE = 1 << 20;
    private static final double UDP_TARGET = 0.5;
    private static final double IPC_TARGET = 1.0;
    /** How long a receiving thread sleeps at a time while its link is not measured. */
    private static final long INACTIVE_PARK_NS = 1_000_000L;
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
        int rounds = ROUNDS;
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
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--no-shaped" -> shapedToo = false;
                default -> throw new IllegalArgumentException("unknown option '" + args[i]
                        + "'; use --json FILE, --quick, --size BYTES, --transport NAME[,NAME], --rounds N, --no-shaped");
            }
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds " + rounds + ": use at least 1");
        }
        List<String> transports = new ArrayList<>();
        for (String name : TRANSPORTS) {
            if (only == null || List.of(only.split(",")).contains(name)) {
                transports.add(name);
            }
        }
        long streamBytes = quick ? 16L << 20 : STREAM_BYTES;
        System.out.printf(Locale.ROOT, "mpsl bench transport: %d cores, %s, %s; %d interleaved rounds of %d MiB per transport%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                Instant.now(), rounds, streamBytes >> 20);
        List<Transfer> transfers = new ArrayList<>();
        List<String> ratioLines = new ArrayList<>();
        for (int size : sizes) {
            transfers.addAll(measureSize(transports, size, streamBytes, rounds, quick, ratioLines));
        }
        System.out.printf(Locale.ROOT, "%n%-10s %10s %14s %10s %10s %12s%n", "transport", "size", "goodput MB/s", "p50 us", "p99 us",
                "cpu s/GB");
        for (Transfer t : transfers) {
            System.out.printf(Locale.ROOT, "%-10s %10d %14.1f %10.1f %10.1f %12.3f%n", t.transport(), t.sizeBytes(),
                    t.goodputMbS(), t.p50Us(), t.p99Us(), t.cpuSecondsPerGb());
        }
        List<Shaped> shaped = new ArrayList<>();
        if (shapedToo) {
            System.out.printf(Locale.ROOT, "%n%-12s %14s %10s%n", "shaped Mbit/s", "measured Mbit/s", "error %");
            for (long rate : SHAPED_RATES_MBIT) {
                Shaped s = shaped(rate, quick);
                shaped.add(s);
                System.out.printf(Locale.ROOT, "%-12d %14.2f %10.2f%n", s.rateMbit(), s.measuredMbit(),
                        100.0 * (s.measuredMbit() - rate) / rate);
            }
        }
        System.out.println();
        for (String line : ratioLines) {
            System.out.println(line);
        }
        if (json != null) {
            Files.writeString(json, toJson(transfers, shaped), StandardCharsets.UTF_8);
            System.out.println("wrote " + json);
        }
        return 0;
    }

    /**
     * Opens a link per transport for tensors of {@code size} bytes, warms each up, then measures goodput in
     * {@code rounds} rounds, each streaming the same bytes over every link in turn (the first link rotating from
     * round to round), so that a disturbance of the machine hits the transports alike; then latency per link.
     * Goodput is the median over the rounds; the ratios to TCP are taken within each round and their medians
     * reported.
     */
    private static List<Transfer> measureSize(List<String> transports, int size, long streamBytes, int rounds, boolean quick,
            List<String> ratioLines) throws Exception {
        List<Link> links = new ArrayList<>();
        try {
            for (String name : transports) {
                links.add(name.equals("tcp") ? new TcpLink(size) : new AeronLink(name, size));
            }
            for (Link link : links) {
                link.warmUp(quick ? WARM_UP_NS / 10 : WARM_UP_NS);
            }
            int n = messagesFor(streamBytes, size);
            double[][] goodput = new double[links.size()][rounds];
            double[][] cpuPerGb = new double[links.size()][rounds];
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "size %d round %d:", size, round + 1));
                for (int k = 0; k < links.size(); k++) {
                    int i = (k + round) % links.size();
                    long cpuStartNs = OS.getProcessCpuTime();
                    goodput[i][round] = links.get(i).stream(n);
                    cpuPerGb[i][round] = (OS.getProcessCpuTime() - cpuStartNs) / 1e9 / ((double) n * size / 1e9);
                }
                for (int i = 0; i < links.size(); i++) {
                    line.append(String.format(Locale.ROOT, " %s %.1f", links.get(i).transport, goodput[i][round]));
                }
                int tcp = transports.indexOf("tcp");
                if (tcp >= 0) {
                    for (int i = 0; i < links.size(); i++) {
                        if (i != tcp) {
                            line.append(String.format(Locale.ROOT, " | %s/tcp %.2fx", links.get(i).transport,
                                    goodput[i][round] / goodput[tcp][round]));
                        }
                    }
                }
                System.out.println(line);
            }
            List<Transfer> out = new ArrayList<>();
            for (int i = 0; i < links.size(); i++) {
                Histogram h = links.get(i).latency(latencySamples(size, quick));
                out.add(new Transfer(links.get(i).transport, size, median(goodput[i]), h.getValueAtPercentile(50) / 1e3,
                        h.getValueAtPercentile(99) / 1e3, median(cpuPerGb[i])));
            }
            int tcp = transports.indexOf("tcp");
            if (tcp >= 0) {
                for (int i = 0; i < links.size(); i++) {
                    if (i == tcp) {
                        continue;
                    }
                    double[] ratios = new double[rounds];
                    for (int round = 0; round < rounds; round++) {
                        ratios[round] = goodput[i][round] / goodput[tcp][round];
                    }
                    double[] sorted = ratios.clone();
                    java.util.Arrays.sort(sorted);
                    String target = size != TARGET_SIZE ? "" : links.get(i).transport.equals("aeron-udp")
                            ? String.format(Locale.ROOT, "; issue target >= %.1fx", UDP_TARGET) : links.get(i).transport.equals("aeron-ipc")
                            ? String.format(Locale.ROOT, "; issue target >= %.1fx", IPC_TARGET) : "";
                    ratioLines.add(String.format(Locale.ROOT, "ratio to tcp at %d bytes: %s median %.2fx (rounds: %s)%s", size,
                            links.get(i).transport, median(ratios), ratiosText(sorted), target));
                }
            }
            return out;
        } finally {
            for (int i = links.size() - 1; i >= 0; i--) {
                links.get(i).close();
            }
        }
    }

    static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    private static String ratiosText(double[] sorted) {
        StringBuilder sb = new StringBuilder();
        for (double r : sorted) {
            sb.append(sb.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.2f", r));
        }
        return sb.toString();
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

    /**
     * The idle strategy of the links' sending and receiving threads while a link is measured: yielding, never
     * parking. A parked thread sleeps at least Linux's timer slack (50 us: {@code LockSupport.parkNanos(1000)}
     * measured 59-66 us here), in which a 4 GB/s stream moves 200-260 KiB, more than an IPC sender's window
     * (half a term); the TCP baseline's blocked threads are instead woken by the kernel the moment data or
     * buffer space arrives. A yielding thread still gives its core to any other runnable thread (the driver's,
     * another process's). {@code -Dmpsl.bench.appIdle=backoff} (spin, yield, then park 1-50 us) and the others
     * below are there to compare.
     */
    private static IdleStrategy appIdle() {
        return idle(System.getProperty("mpsl.bench.appIdle", "yield"));
    }

    /**
     * The idle strategy of the shaper's runs: a shaped link mostly waits for its rate, so its threads park
     * (1-50 us) as an application's would. Yielding threads would keep both cores busy for nothing, and on a
     * shared machine the scheduler then holds them off for longer than the shaper's burst credit (5 ms at the
     * rate, at least two chunks), which lowers the measured rate (-6 % at 100 Mbit/s measured that way).
     */
    private static IdleStrategy shapedIdle() {
        return idle(System.getProperty("mpsl.bench.shapedIdle", "backoff"));
    }

    private static IdleStrategy idle(String name) {
        return switch (name) {
            case "yield" -> new org.agrona.concurrent.YieldingIdleStrategy();
            case "spin" -> new org.agrona.concurrent.BusySpinIdleStrategy();
            case "backoff" -> new BackoffIdleStrategy(10, 20, 1_000, 50_000);
            case "backoff-long" -> new BackoffIdleStrategy(100, 1000, 1_000, 20_000);
            case "park" -> new BackoffIdleStrategy(1, 1, 1_000, 100_000);
            case "park-short" -> new BackoffIdleStrategy(1, 1, 1_000, 20_000);
            case "park-long" -> new BackoffIdleStrategy(20, 50, 1_000, 1_000_000);
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
        volatile boolean recordLatency;
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

    /** A link under test: the bench thread sends, a thread of the link receives. */
    private abstract static class Link {
        final String transport;

        Link(String transport) {
            this.transport = transport;
        }

        /** Streams messages for about this long, so that the JIT has compiled both ends. */
        abstract void warmUp(long durationNs) throws Exception;

        /** Streams {@code n} messages as fast as the link takes them; MB/s of payload from the first send to the last delivery. */
        abstract double stream(int n) throws Exception;

        /** Sends {@code samples} messages one at a time: offer to complete delivery, ns. */
        abstract Histogram latency(int samples) throws Exception;

        /** Stops the receiving thread and frees what the link holds. */
        abstract void close() throws Exception;
    }

    /**
     * Aeron UDP (loopback) or IPC, through mpsl's {@link TensorSender} and {@link TensorReceiver}: chunks go from
     * the tensor's memory into the publication, the receiver validates each frame and copies its payload into
     * a pooled tensor sized from the header, and hands the complete tensor to a handler that gives it back.
     * The receiving thread sleeps while another link is measured.
     */
    private static final class AeronLink extends Link {
        private final Transport t;
        private final TensorArena arena;
        private final TensorReceiver receiver;
        private final TensorSender sender;
        private final Tensor tensor;
        private final CountingHandler handler = new CountingHandler();
        private final IdleStrategy idle = appIdle();
        private final Thread rx;
        private volatile boolean active;

        AeronLink(String transport, int size) throws InterruptedException {
            super(transport);
            t = Transport.launch(benchContext(size));
            arena = new TensorArena(MemoryAccount.root("bench-sender"));
            int port = udpPort();
            boolean udp = transport.equals("aeron-udp");
            receiver = udp ? t.newUdpReceiver(HOST, port, 1, null, null) : t.newIpcReceiver(1, null, null);
            sender = udp ? t.newUdpSender(HOST, port, 1, null) : t.newIpcSender(1, null);
            tensor = arena.allocate(Shape.of(size / 4));
            for (long i = 0; i < tensor.size(); i++) {
                tensor.set(i, i);
            }
            handler.receiver = receiver;
            rx = new Thread(this::receive, "bench-" + transport + "-receiver");
            rx.setDaemon(true);
            active = true;
            rx.start();
            awaitConnected(t, sender);
            active = false;
        }

        private void receive() {
            IdleStrategy rxIdle = appIdle();
            while (!Thread.currentThread().isInterrupted()) {
                if (active) {
                    rxIdle.idle(receiver.poll(handler, 64));
                } else {
                    LockSupport.parkNanos(INACTIVE_PARK_NS);
                }
            }
        }

        @Override
        void warmUp(long durationNs) {
            active = true;
            long endNs = System.nanoTime() + durationNs;
            while (System.nanoTime() < endNs) {
                stream(8);
            }
            active = false;
        }

        @Override
        double stream(int n) {
            boolean wasActive = active;
            active = true;
            long target = handler.delivered.get() + n;
            long startNs = System.nanoTime();
            streamAeron(t, sender, tensor, n, idle);
            idle.reset();
            while (handler.delivered.get() < target) {
                idle.idle(t.doDriverWork());
            }
            active = wasActive;
            return (double) n * tensor.byteSize() / ((handler.lastDeliveryNs - startNs) / 1e9) / 1e6;
        }

        @Override
        Histogram latency(int samples) {
            active = true;
            handler.recordLatency = true;
            for (int i = 0; i < samples; i++) {
                long expect = handler.delivered.get() + 1;
                offerOne(t, sender, tensor, idle);
                idle.reset();
                while (handler.delivered.get() < expect) {
                    idle.idle(sender.doWork() + t.doDriverWork());
                }
            }
            handler.recordLatency = false;
            active = false;
            return handler.latencyNs;
        }

        @Override
        void close() throws InterruptedException {
            rx.interrupt();
            rx.join();
            arena.close();
            t.close();
        }
    }

    /** A receiving thread for the shaper's runs. */
    private static Thread pollingThread(TensorReceiver receiver, TensorHandler handler) {
        Thread rx = new Thread(() -> {
            IdleStrategy idle = shapedIdle();
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
                IdleStrategy idle = shapedIdle();
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

    private static int udpPort() {
        try (DatagramChannel s = DatagramChannel.open()) {
            s.bind(new InetSocketAddress(HOST, 0));
            return ((InetSocketAddress) s.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free UDP port on " + HOST, e);
        }
    }

    /**
     * The baseline: one blocking java.nio TCP connection over loopback (TCP_NODELAY, kernel-tuned buffers).
     * Each message is the same 112-byte frame header mpsl sends and the tensor's bytes, written with one
     * gathering write from off-heap memory (the tensor's own). The receiving thread does what
     * {@link TensorReceiver} does for a one-chunk message: reads the header, validates it with the same
     * {@link FrameValidator}, takes a destination tensor for the header's shape from a {@link TensorPool}, reads
     * the payload straight into it, and hands it to the same kind of handler (latency, give back).
     */
    private static final class TcpLink extends Link {
        private final ServerSocketChannel server;
        private final SocketChannel out;
        private final TensorArena arena;
        private final Tensor src;
        private final ByteBuffer header = ByteBuffer.allocateDirect(FrameHeaderFlyweight.HEADER_LENGTH);
        private final FrameHeaderFlyweight frame = new FrameHeaderFlyweight();
        private final ByteBuffer[] gather;
        private final AtomicLong delivered = new AtomicLong();
        private final Histogram latencyNs = new Histogram(1, 60_000_000_000L, 3);
        private volatile long lastDeliveryNs;
        private volatile boolean recordLatency;
        private final IdleStrategy idle = appIdle();
        private final Thread rx;
        private final long sessionToken = new SecureRandom().nextLong() | 1;

        TcpLink(int size) throws IOException {
            super("tcp");
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(HOST, 0));
            arena = new TensorArena(MemoryAccount.root("bench-tcp"));
            src = arena.allocate(Shape.of(size / 4));
            for (long i = 0; i < src.size(); i++) {
                src.set(i, i);
            }
            frame.wrap(new UnsafeBuffer(header), 0).init();
            frame.frameType(FrameType.ACTIVATION).dtype(src.dtype()).runId(1).sessionToken(sessionToken).rank(1).dim(0, size / 4)
                    .chunkCount(1).payloadLength(size);
            gather = new ByteBuffer[] {header, src.segment().asByteBuffer()};
            rx = new Thread(() -> receive(size), "bench-tcp-receiver");
            rx.setDaemon(true);
            rx.start();
            out = SocketChannel.open();
            out.setOption(StandardSocketOptions.TCP_NODELAY, true);
            out.connect(server.getLocalAddress());
        }

        private void receive(int size) {
            try (SocketChannel in = server.accept();
                    TensorPool pool = new TensorPool(MemoryAccount.root("bench-tcp-receiver"), Math.max(size, 1 << 20) * 4L)) {
                ByteBuffer h = ByteBuffer.allocateDirect(FrameHeaderFlyweight.HEADER_LENGTH);
                UnsafeBuffer hv = new UnsafeBuffer(h);
                FrameHeaderFlyweight f = new FrameHeaderFlyweight().wrap(hv, 0);
                FrameValidator validator = new FrameValidator(1, sessionToken, Math.max(size, 1 << 20));
                Shape shape = null;
                Tensor viewOf = null;
                ByteBuffer view = null;
                while (true) {
                    h.clear();
                    if (!readFully(in, h)) {
                        break; // the sender closed the connection after its last message
                    }
                    // The payload is not read yet: the stated length stands in for it (no CRC on this link).
                    RejectReason reason = (f.flags() & FrameHeaderFlyweight.FLAG_CRC) != 0 ? RejectReason.BAD_CRC
                            : validator.validate(hv, 0, FrameHeaderFlyweight.HEADER_LENGTH + Math.max(0, f.payloadLength()));
                    if (reason != null || f.chunkCount() != 1 || f.rank() != 1) {
                        throw new IOException("tcp baseline received a bad frame: " + reason);
                    }
                    if (shape == null || shape.dim(0) != f.dim(0)) {
                        shape = Shape.of(f.dim(0));
                    }
                    Tensor dst = pool.acquire(shape, FrameHeaderFlyweight.dtype(f.dtypeCode()));
                    if (dst != viewOf) {
                        viewOf = dst;
                        view = dst.segment().asByteBuffer();
                    }
                    view.clear().limit(f.payloadLength());
                    if (!readFully(in, view)) {
                        throw new IOException("tcp baseline connection closed after a header");
                    }
                    long now = System.nanoTime();
                    if (recordLatency) {
                        latencyNs.recordValue(Math.max(1, now - f.timestampNs()));
                    }
                    pool.release(dst);
                    lastDeliveryNs = now;
                    delivered.lazySet(delivered.get() + 1);
                }
            } catch (IOException e) {
                throw new IllegalStateException("tcp baseline receiver failed", e);
            }
        }

        @Override
        void warmUp(long durationNs) throws IOException {
            long endNs = System.nanoTime() + durationNs;
            while (System.nanoTime() < endNs) {
                stream(8);
            }
        }

        @Override
        double stream(int n) throws IOException {
            long target = delivered.get() + n;
            long startNs = System.nanoTime();
            for (int i = 0; i < n; i++) {
                writeMessage(out, gather, frame);
            }
            idle.reset();
            while (delivered.get() < target) {
                idle.idle();
            }
            return (double) n * src.byteSize() / ((lastDeliveryNs - startNs) / 1e9) / 1e6;
        }

        @Override
        Histogram latency(int samples) throws IOException {
            recordLatency = true;
            for (int i = 0; i < samples; i++) {
                long expect = delivered.get() + 1;
                writeMessage(out, gather, frame);
                idle.reset();
                while (delivered.get() < expect) {
                    idle.idle();
                }
            }
            recordLatency = false;
            return latencyNs;
        }

        @Override
        void close() throws Exception {
            out.shutdownOutput(); // the receiver reads to the end of the stream, then stops
            rx.join();
            out.close();
            server.close();
            arena.close();
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
