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
 * Measures a plan's links before a run from real transfers: a few messages go over every link (all links at
 * once) and each link's own records of them (bytes, the time each spent being sent, the time from leaving
 * to arriving) give its goodput and latency, as {@link LinkStats} does for a running cluster.
 */
public final class LinkProbe {
    static final int TRAIN = 4;
    static final int PROBE_BYTES = 16384;
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
    public static Map<String, Estimate> measure(Plan plan) throws InterruptedException {
        Map<String, LinkSpec> links = new LinkedHashMap<>();
        for (int p = 0; p < plan.owners().size(); p++) {
            OwnerSpec o = plan.owners().get(p);
            links.put("owner" + p + ".up", o.uplink());
            links.put("owner" + p + ".down", o.downlink());
        }
        if (plan.hops() > 1) {
            links.put("hop1->hop2", plan.hopLink());
        }
        return measure(links);
    }

    /** Probes each named link (emulated with the given spec) in parallel. */
    static Map<String, Estimate> measure(Map<String, LinkSpec> specs) throws InterruptedException {
        Timeline timeline = new Timeline(false);
        EmulatedFabric fabric = new EmulatedFabric(timeline, null);
        MemoryAccount account = MemoryAccount.root("link-probe");
        List<String> names = new ArrayList<>(specs.keySet());
        List<EmulatedLink> links = new ArrayList<>();
        for (String n : names) {
            fabric.node(n, account.child(n));
            links.add((EmulatedLink) fabric.link(n, specs.get(n)));
        }
        Map<String, Estimate> out = new LinkedHashMap<>();
        try (TensorArena arena = new TensorArena(account.child("payload"))) {
            Tensor payload = arena.allocate(PROBE_BYTES / 4);
            for (int k = 0; k < TRAIN; k++) {
                for (int i = 0; i < names.size(); i++) {
                    fabric.send("probe", links.get(i), names.get(i), MessageType.CONTROL, 0, 0, 0, k, 0, payload, null, 0);
                }
            }
            for (int i = 0; i < names.size(); i++) {
                EmulatedLink l = links.get(i);
                LinkStats st = new LinkStats(l.name(), l.bytes(), l.messages(), l.busyNs(), l.latencyNs());
                double g = st.goodputBitsPerS();
                out.put(names.get(i), g == 0 || g > UNLIMITED_BITS_PER_S ? new Estimate(0, st.latencyS())
                        : new Estimate(g, st.latencyS()));
                DelayQueue<Message> inbox = fabric.inbox(names.get(i));
                for (int k = 0; k < TRAIN; k++) {
                    inbox.take().release();
                }
            }
        } finally {
            fabric.close();
        }
        return out;
    }
}
