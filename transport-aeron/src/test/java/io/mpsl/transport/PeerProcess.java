package io.mpsl.transport;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;

/**
 * A peer in its own process, for the tests that kill one: {@code receiver PORT} binds a receiver on
 * 127.0.0.1:PORT and polls forever; {@code sender PORT} sends 1 MiB tensors there forever, paced at
 * 50 Mbit/s. Prints {@code READY <driver folder>} once its transport is up.
 */
public final class PeerProcess {
    /** A folder to put the driver folder in instead of the default base (optional). */
    static final String DRIVER_BASE_PROPERTY = "mpsl.test.driverBase";

    private PeerProcess() {
    }

    public static void main(String[] args) throws Exception {
        String role = args[0];
        int port = Integer.parseInt(args[1]);
        TransportContext ctx = TransportTestSupport.context().peerTimeoutNs(1_000_000_000L).maxMessageBytes(64L << 20);
        String base = System.getProperty(DRIVER_BASE_PROPERTY);
        if (base != null) {
            ctx.aeronDirectoryName(DriverDirectories.newDirectory(java.nio.file.Path.of(base)).toString());
        }
        try (Transport t = Transport.launch(ctx);
                TensorArena arena = new TensorArena(MemoryAccount.root("peer"))) {
            System.out.println("READY " + t.context().aeronDirectoryName());
            System.out.flush();
            if (role.equals("receiver")) {
                TensorReceiver r = t.newUdpReceiver(TransportTestSupport.LOOPBACK, port, 30, null, null);
                TensorHandler h = m -> r.release(m.tensor());
                while (true) {
                    if (r.poll(h, 64) == 0) {
                        Thread.sleep(1);
                    }
                }
            }
            TensorSender s = t.newUdpSender(TransportTestSupport.LOOPBACK, port, 30, LinkShaper.of(50_000_000L, 0));
            Tensor x = arena.allocate(Shape.of(1 << 18));
            while (true) {
                long r = s.offer(FrameType.ACTIVATION, 0, 0, 0, 0, x);
                if (r == TensorSender.PEER_LOST) {
                    s.close();
                    s = t.newUdpSender(TransportTestSupport.LOOPBACK, port, 30, LinkShaper.of(50_000_000L, 0));
                }
                if (s.doWork() == 0) {
                    Thread.sleep(1);
                }
            }
        }
    }
}
