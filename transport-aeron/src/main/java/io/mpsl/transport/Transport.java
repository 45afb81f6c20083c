package io.mpsl.transport;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.mpsl.tensor.MemoryAccount;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;

/**
 * The transport of one process: an Aeron client, on an embedded media driver (default) or an external one,
 * and the senders and receivers made from it. Close it to close all of them, stop the driver and remove
 * its folder. Making links is thread-safe; each link is then used by one thread.
 */
public final class Transport implements AutoCloseable {
    private final TransportContext ctx;
    private final MediaDriver driver;
    private final Aeron aeron;
    private final List<AutoCloseable> links = new ArrayList<>();
    private final AgentInvoker invoker;
    private final DriverDuty duty;
    private final AgentRunner dutyRunner;

    private Transport(TransportContext ctx, MediaDriver driver, Aeron aeron, DriverDuty duty, AgentRunner dutyRunner) {
        this.ctx = ctx;
        this.driver = driver;
        this.aeron = aeron;
        this.invoker = driver == null ? null : driver.sharedAgentInvoker();
        this.duty = duty;
        this.dutyRunner = dutyRunner;
    }

    /** Concludes the context, starts the embedded driver if configured, and connects to the driver. */
    public static Transport launch(TransportContext ctx) {
        ctx.conclude();
        MediaDriver driver = null;
        DriverDuty duty = null;
        AgentRunner dutyRunner = null;
        try {
            if (ctx.embeddedDriver()) {
                long timeoutNs = ctx.peerTimeoutNs();
                MediaDriver.Context dc = new MediaDriver.Context()
                        .aeronDirectoryName(ctx.aeronDirectoryName())
                        .dirDeleteOnStart(true)
                        .dirDeleteOnShutdown(true)
                        .threadingMode(ctx.threadingMode())
                        .mtuLength(ctx.mtuBytes())
                        .ipcMtuLength(ctx.ipcMtuBytes())
                        .publicationTermBufferLength(ctx.termBytes())
                        .ipcTermBufferLength(ctx.ipcTermBytes())
                        .initialWindowLength(ctx.receiverWindowBytes())
                        .socketSndbufLength(ctx.socketBufferBytes())
                        .socketRcvbufLength(ctx.socketBufferBytes())
                        .publicationConnectionTimeoutNs(timeoutNs)
                        // An image is declared dead after this long without data or heartbeats, then lingers
                        // as long again before subscribers hear of it: with half each, a receiver hears of a dead
                        // sender about 1.5x the peer timeout after its last frame (1.5-1.7 s measured for 1 s).
                        .imageLivenessTimeoutNs(timeoutNs / 2)
                        .clientLivenessTimeoutNs(timeoutNs)
                        .publicationUnblockTimeoutNs(2 * timeoutNs)
                        .untetheredWindowLimitTimeoutNs(timeoutNs)
                        .publicationLingerTimeoutNs(Math.min(timeoutNs, 1_000_000_000L))
                        .timerIntervalNs(Math.min(timeoutNs / 10, 100_000_000L))
                        .conductorIdleStrategy(ctx.newDriverIdleStrategy())
                        .senderIdleStrategy(ctx.newDriverIdleStrategy())
                        .receiverIdleStrategy(ctx.newDriverIdleStrategy())
                        .sharedNetworkIdleStrategy(ctx.newDriverIdleStrategy())
                        .sharedIdleStrategy(ctx.newDriverIdleStrategy())
                        .termBufferSparseFile(true)
                        .warnIfDirectoryExists(false);
                Agent[] agents = null;
                if (ctx.cooperativeDriver()) {
                    // The driver's three agents, each to be run by whichever thread needs it (see DriverDuty):
                    // launched as in DEDICATED mode, but each agent's runner is handed a thread that does not
                    // run it. A runner that never ran closes its agent itself when the driver closes.
                    agents = new Agent[3];
                    dc.threadingMode(ThreadingMode.DEDICATED)
                            .conductorThreadFactory(agentCapture(agents, 0))
                            .senderThreadFactory(agentCapture(agents, 1))
                            .receiverThreadFactory(agentCapture(agents, 2));
                }
                driver = MediaDriver.launch(dc);
                if (agents != null) {
                    AgentInvoker[] invokers = new AgentInvoker[agents.length];
                    for (int i = 0; i < agents.length; i++) {
                        if (agents[i] == null) {
                            throw new IllegalStateException("the media driver started no " + AGENT_ROLES[i]
                                    + " agent; a cooperative driver cannot run it (use cooperativeDriver(false))");
                        }
                        invokers[i] = new AgentInvoker(Transport::onDriverDutyError, null, agents[i]);
                        invokers[i].start();
                    }
                    duty = new DriverDuty(invokers[0], invokers[1], invokers[2]);
                    dutyRunner = new AgentRunner(ctx.newDriverIdleStrategy(), Transport::onDriverDutyError, null, duty);
                    AgentRunner.startOnThread(dutyRunner);
                }
            }
            Aeron aeron = Aeron.connect(new Aeron.Context()
                    .driverAgentInvoker(driver == null || duty != null ? null : driver.sharedAgentInvoker())
                    .aeronDirectoryName(ctx.aeronDirectoryName())
                    .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(Math.max(ctx.peerTimeoutNs(), 10_000_000_000L))));
            return new Transport(ctx, driver, aeron, duty, dutyRunner);
        } catch (RuntimeException e) {
            CloseHelper.quietClose(dutyRunner);
            if (duty != null) {
                duty.stop();
            }
            CloseHelper.quietClose(driver);
            ctx.close();
            throw e;
        }
    }

    private static final String[] AGENT_ROLES = {"conductor", "sender", "receiver"};

    /**
     * A thread factory for one of the driver's agent runners that keeps the runner's agent in {@code agents[slot]}
     * and returns a thread that ends at once instead of running it.
     */
    private static ThreadFactory agentCapture(Agent[] agents, int slot) {
        return runnable -> {
            if (!(runnable instanceof AgentRunner runner)) {
                throw new IllegalStateException("the media driver started its " + AGENT_ROLES[slot] + " with a "
                        + runnable.getClass().getName() + ", not an AgentRunner; use cooperativeDriver(false)");
            }
            agents[slot] = runner.agent();
            Thread idle = new Thread(Transport::noWork);
            idle.setDaemon(true);
            return idle;
        };
    }

    private static void noWork() {
        // The agent of this runner is run by DriverDuty.
    }

    private static void onDriverDutyError(Throwable t) {
        System.getLogger(Transport.class.getName()).log(System.Logger.Level.ERROR, "mpsl transport: driver duty cycle failed", t);
    }

    public TransportContext context() {
        return ctx;
    }

    /**
     * Runs one duty cycle of the embedded driver when it was started with {@code ThreadingMode.INVOKER}; does
     * nothing otherwise. Without a cooperative driver (see {@link TransportContext#cooperativeDriver(boolean)})
     * there are no driver threads: the caller's thread does the driver's work, e.g. the communication thread
     * between its sends and receives, and only one thread may call this. With one, any thread may call it
     * (it returns 0 when another thread is running the driver), and nobody has to.
     *
     * @return work done by the driver
     */
    public int doDriverWork() {
        return duty != null ? duty.invoke() : invoker == null ? 0 : invoker.invoke();
    }

    /** The Aeron client, for counters and diagnostics. */
    public Aeron aeron() {
        return aeron;
    }

    /** The channel a UDP publication to {@code host:port} uses, with this context's MTU and term length. */
    public String udpPublicationChannel(String host, int port) {
        return "aeron:udp?endpoint=" + host + ":" + port + "|mtu=" + ctx.mtuBytes() + "|term-length=" + ctx.termBytes()
                + "|so-sndbuf=" + ctx.socketBufferBytes();
    }

    /** The channel a UDP subscription bound to {@code host:port} uses, with this context's window and buffers. */
    public String udpSubscriptionChannel(String host, int port) {
        return "aeron:udp?endpoint=" + host + ":" + port + "|rcv-wnd=" + ctx.receiverWindowBytes() + "|so-rcvbuf="
                + ctx.socketBufferBytes();
    }

    /** The IPC channel, for links between roles in this machine that share one driver. */
    public String ipcPublicationChannel() {
        return "aeron:ipc?mtu=" + ctx.ipcMtuBytes() + "|term-length=" + ctx.ipcTermBytes();
    }

    public String ipcSubscriptionChannel() {
        return "aeron:ipc";
    }

    /** A sender to a receiver bound at {@code host:port} (UDP). */
    public TensorSender newUdpSender(String host, int port, int streamId, LinkShaper shaper) {
        return newSender(udpPublicationChannel(host, port), streamId, shaper);
    }

    /** A receiver bound at {@code host:port} (UDP). */
    public TensorReceiver newUdpReceiver(String host, int port, int streamId, LinkShaper shaper, MemoryAccount account) {
        return newReceiver(udpSubscriptionChannel(host, port), streamId, shaper, account);
    }

    public TensorSender newIpcSender(int streamId, LinkShaper shaper) {
        return newSender(ipcPublicationChannel(), streamId, shaper);
    }

    public TensorReceiver newIpcReceiver(int streamId, LinkShaper shaper, MemoryAccount account) {
        return newReceiver(ipcSubscriptionChannel(), streamId, shaper, account);
    }

    /** A sender on any Aeron publication channel; {@code shaper} may be null for an unshaped link. */
    public synchronized TensorSender newSender(String channel, int streamId, LinkShaper shaper) {
        TensorSender s = new TensorSender(ctx, aeron.addExclusivePublication(channel, streamId), shaper, duty,
                "send " + channel + " stream " + streamId);
        links.add(s);
        return s;
    }

    /**
     * A receiver on any Aeron subscription channel, whose tensors come from a pool charged to {@code account}
     * and limited to {@link TransportContext#receiverMemoryBytes()}; {@code shaper} (may be null) adds its delay.
     */
    public synchronized TensorReceiver newReceiver(String channel, int streamId, LinkShaper shaper, MemoryAccount account) {
        TensorReceiver r = new TensorReceiver(ctx, aeron, channel, streamId, shaper, duty, account,
                "receive " + channel + " stream " + streamId);
        links.add(r);
        return r;
    }

    @Override
    public synchronized void close() {
        for (int i = links.size() - 1; i >= 0; i--) {
            CloseHelper.quietClose(links.get(i));
        }
        links.clear();
        CloseHelper.quietClose(aeron);
        CloseHelper.quietClose(dutyRunner);
        if (duty != null) {
            duty.stop();
        }
        CloseHelper.quietClose(driver);
        ctx.close();
    }
}
