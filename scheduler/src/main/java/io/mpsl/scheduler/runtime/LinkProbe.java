package io.mpsl.scheduler.runtime;

import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.DelayQueue;

/**
 * Measures a plan's links before a run by sending trains of messages over them (all links at once) and
 * timing their arrival at the receiver: a small message first gives a rough rate, then a train of
 * {@value #TRAIN} messages sized to take about {@code targetS}; goodput is the bytes of all but the first
 * message over the time between the first and last arrival, latency the first message's arrival minus its
 * send and its time on the wire at that goodput.
 */
public final class LinkProbe {
    static final int TRAIN = 4;
    private static final long UNLIMITED_BITS_PER_S = 10_000_000_000L;

    /** A link's measured goodput (bit/s; 0 = too fast to tell, i.e. unlimited) and one-way latency. */
    public record Estimate(double goodputBitsPerS, double latencyS) {
        /** As a link spec for the cost model. */
        public LinkSpec spec() {
            return new LinkSpec(Math.round(goodputBitsPerS), Math.round(latencyS * 1e9));
        }
    }

    private LinkProbe() {
    }

    /** Probes every owner's uplink and downlink and, with several hops, the link between hops. */
    public static Map<String, Estimate> measure(Plan plan, double targetS) throws InterruptedException {
        Map<String, LinkSpec> links = new LinkedHashMap<>();
        for (int p = 0; p < plan.owners().size(); p++) {
            OwnerSpec o = plan.owners().get(p);
            links.put("owner" + p + ".up", o.uplink());
            links.put("owner" + p + ".down", o.downlink());
        }
        if (plan.hops() > 1) {
            links.put("hop1->hop2", plan.hopLink());
        }
        return measure(links, targetS);
    }

    /** Probes each named link (emulated with the given spec) in parallel. */
    static Map<String, Estimate> measure(Map<String, LinkSpec> specs, double targetS) throws InterruptedException {
        Timeline timeline = new Timeline(false);
        Fabric fabric = new Fabric(timeline, null);
        MemoryAccount account = MemoryAccount.root("link-probe");
        List<String> names = new ArrayList<>(specs.keySet());
        List<EmulatedLink> links = new ArrayList<>();
        for (String n : names) {
            fabric.node(n, account.child(n));
            links.add(fabric.link(n, specs.get(n)));
        }
        Map<String, Estimate> out = new LinkedHashMap<>();
        try (TensorArena arena = new TensorArena(account.child("payload"))) {
            // a small message on every link: a rough rate to size the trains
            int small = 1024;
            Tensor probe = arena.allocate(small / 4);
            long[] sent = new long[names.size()];
            double[] rough = new double[names.size()];
            for (int i = 0; i < names.size(); i++) {
                sent[i] = System.nanoTime();
                fabric.send(links.get(i), names.get(i), MessageType.CONTROL, 0, 0, 0, 0, 0, probe, null, 0);
            }
            for (int i = 0; i < names.size(); i++) {
                Message m = fabric.inbox(names.get(i)).take();
                long dt = System.nanoTime() - sent[i];
                m.release();
                rough[i] = (small + 64) * 8.0 * 1e9 / Math.max(dt, 1);
            }
            // trains
            long[] bytes = new long[names.size()];
            List<Tensor> payloads = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                long b = (long) Math.min(Math.max(rough[i] / 8 * targetS / TRAIN, 4096), 8 << 20);
                bytes[i] = b / 4 * 4;
                payloads.add(arena.allocate(Math.toIntExact(bytes[i] / 4)));
            }
            long[] firstSent = new long[names.size()];
            for (int k = 0; k < TRAIN; k++) {
                for (int i = 0; i < names.size(); i++) {
                    if (k == 0) {
                        firstSent[i] = System.nanoTime();
                    }
                    fabric.send(links.get(i), names.get(i), MessageType.CONTROL, 0, 0, 0, k, 0, payloads.get(i), null,
                            0);
                }
            }
            long[][] arrived = new long[names.size()][TRAIN];
            Thread[] receivers = new Thread[names.size()];
            for (int i = 0; i < names.size(); i++) {
                int li = i;
                DelayQueue<Message> inbox = fabric.inbox(names.get(i));
                receivers[i] = Thread.ofPlatform().name("probe-" + names.get(i)).start(() -> {
                    try {
                        for (int k = 0; k < TRAIN; k++) {
                            Message m = inbox.take();
                            arrived[li][k] = System.nanoTime();
                            m.release();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            for (Thread t : receivers) {
                t.join();
            }
            for (int i = 0; i < names.size(); i++) {
                long wire = bytes[i] + 64;
                long spanNs = arrived[i][TRAIN - 1] - arrived[i][0];
                double goodput = spanNs <= 0 ? 0 : (TRAIN - 1) * wire * 8.0 * 1e9 / spanNs;
                if (goodput > UNLIMITED_BITS_PER_S || goodput == 0) {
                    out.put(names.get(i), new Estimate(0, 0));
                    continue;
                }
                double latency = (arrived[i][0] - firstSent[i]) / 1e9 - wire * 8.0 / goodput;
                out.put(names.get(i), new Estimate(goodput, Math.max(latency, 0)));
            }
        } finally {
            fabric.close();
        }
        return out;
    }
}
