package io.mpsl.transport;

import static io.mpsl.transport.TransportTestSupport.LOOPBACK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A peer in a real child process is killed (SIGKILL) mid-transfer; the survivor must report it lost. */
class PeerLossTest {
    private static final long PEER_TIMEOUT_NS = 1_000_000_000L;
    /** How long past the peer timeout detection may take: the driver checks timeouts on a timer tick. */
    private static final long DETECTION_SLACK_NS = 4_000_000_000L;

    private static Process startPeer(String role, int port, String[] folder) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-exports");
        cmd.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Xmx128m");
        // The peer's driver folder goes in a folder of this test's own: another JVM starting a transport on
        // this machine at the same time would otherwise remove the killed peer's stale folder before we look.
        cmd.add("-D" + PeerProcess.DRIVER_BASE_PROPERTY + "=" + Files.createTempDirectory("mpsl-peer-loss"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PeerProcess.class.getName());
        cmd.add(role);
        cmd.add(Integer.toString(port));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // A child that never says READY is killed, so the read below cannot hang the suite.
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(60_000);
                p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "peer-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        watchdog.interrupt();
        if (line == null || !line.startsWith("READY ")) {
            p.destroyForcibly();
            throw new IllegalStateException("peer process did not start: " + line);
        }
        folder[0] = line.substring("READY ".length());
        return p;
    }

    /** Kills the peer if still alive, then removes its driver folder and the test's folder around it. */
    private static void stopAndClean(Process peer, String folder) throws Exception {
        peer.destroyForcibly().waitFor();
        Path base = Path.of(folder).getParent();
        DriverDirectories.removeStale(base);
        Files.deleteIfExists(base);
    }

    @Test
    void shouldReportLostReceiverWithinTheTimeoutWhenItsProcessIsKilledMidTransfer() throws Exception {
        int port = TransportTestSupport.freePort();
        String[] peerFolder = new String[1];
        Process peer = startPeer("receiver", port, peerFolder);
        try (Transport t = Transport.launch(TransportTestSupport.context().peerTimeoutNs(PEER_TIMEOUT_NS).maxMessageBytes(64L << 20));
                TensorArena arena = new TensorArena(MemoryAccount.root("sender"))) {
            // 64 MiB at 200 Mbit/s takes ~2.7 s: the peer dies in the middle of it.
            TensorSender sender = t.newUdpSender(LOOPBACK, port, 30, LinkShaper.of(200_000_000L, 0));
            Tensor big = arena.allocate(Shape.of(16 << 20));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!sender.isConnected()) {
                TransportTestSupport.checkDeadline(deadline);
                Thread.sleep(5);
            }
            assertTrue(sender.offer(FrameType.ACTIVATION, 0, 0, 0, 0, big) >= 0);
            while (sender.metrics().frames() < 100) {
                sender.doWork();
                Thread.sleep(1);
                TransportTestSupport.checkDeadline(deadline);
            }
            peer.destroyForcibly().waitFor();
            long killedNs = System.nanoTime();
            assertEquals(1, sender.queuedMessages(), "the transfer was still under way when the peer died");
            while (!sender.isPeerLost()) {
                sender.doWork();
                Thread.sleep(1);
                assertTrue(System.nanoTime() - killedNs < PEER_TIMEOUT_NS + DETECTION_SLACK_NS,
                        "the lost peer was not reported within the timeout");
            }
            long detectedNs = System.nanoTime() - killedNs;
            System.out.printf("lost receiver reported %.0f ms after the kill (peer timeout %d ms)%n", detectedNs / 1e6,
                    PEER_TIMEOUT_NS / 1_000_000);
            assertEquals(TensorSender.PEER_LOST, sender.offer(FrameType.ACTIVATION, 0, 0, 0, 1, big));
            assertTrue(sender.metrics().frames() < big.byteSize() / sender.chunkBytes(), "the tensor was not all sent");

            // The killed peer's driver folder is stale; the next transport to start removes it.
            assertTrue(Files.exists(Path.of(peerFolder[0])), "the killed peer left its driver folder");
            DriverDirectories.removeStale(Path.of(peerFolder[0]).getParent());
            assertFalse(Files.exists(Path.of(peerFolder[0])), "the stale folder of the killed peer was removed");
        } finally {
            stopAndClean(peer, peerFolder[0]);
        }
    }

    @Test
    void shouldReportLostSenderToTheReceiverWhenItsProcessIsKilled() throws Exception {
        int port = TransportTestSupport.freePort();
        try (Transport t = Transport.launch(TransportTestSupport.context().peerTimeoutNs(PEER_TIMEOUT_NS).maxMessageBytes(4 << 20))) {
            TensorReceiver receiver = t.newUdpReceiver(LOOPBACK, port, 30, null, null);
            String[] peerFolder = new String[1];
            Process peer = startPeer("sender", port, peerFolder);
            try {
                TransportTestSupport.Collector collector = new TransportTestSupport.Collector();
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (collector.messages.isEmpty()) {
                    receiver.poll(collector, 64);
                    Thread.sleep(1);
                    TransportTestSupport.checkDeadline(deadline);
                }
                peer.destroyForcibly().waitFor();
                long killedNs = System.nanoTime();
                while (collector.lostPeers == 0) {
                    receiver.poll(collector, 64);
                    Thread.sleep(1);
                    assertTrue(System.nanoTime() - killedNs < PEER_TIMEOUT_NS + DETECTION_SLACK_NS,
                            "the lost sender was not reported within the timeout");
                }
                System.out.printf("lost sender reported %.0f ms after the kill (peer timeout %d ms); %s%n",
                        (System.nanoTime() - killedNs) / 1e6, PEER_TIMEOUT_NS / 1_000_000, receiver.metrics());
                assertEquals(1, collector.lostPeers);
                assertEquals(0, receiver.connectedPeers());
                for (TensorMessage m : collector.messages) {
                    assertEquals(Shape.of(1 << 18), m.tensor().shape(), "only whole tensors were delivered");
                    receiver.release(m.tensor());
                }
                assertEquals(0, receiver.outstandingTensors(), "the partly received tensor went back to the pool");
            } finally {
                stopAndClean(peer, peerFolder[0]);
            }
        }
    }
}
