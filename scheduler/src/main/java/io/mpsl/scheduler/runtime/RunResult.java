package io.mpsl.scheduler.runtime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run measured. {@link #toJsonMap()} gives the {@code results.json} content.
 *
 * @param iterationS mean wall time of one iteration (one mini-batch per owner, all owners in parallel)
 * @param lowerBoundS the busiest resource's busy time per iteration: no schedule can beat it
 */
public record RunResult(String mode, String algorithm, int rounds, int iterations, double iterationS,
        double lowerBoundS, double samplesPerS, double wallS, List<Double> testAccuracy, List<Double> trainLoss,
        List<Double> roundS, List<Resource> resources, List<Node> nodes, List<Link> links) {

    /** One resource's busy and idle time over the measured rounds. */
    public record Resource(String name, double busyS, double idleS) {
    }

    /** One node's off-heap memory: peak of the whole node and live bytes of its parts at the end. */
    public record Node(String name, long peakBytes, long parameterBytes, long gradientBytes, long optimizerBytes,
            long activationPeakBytes, long receivePeakBytes) {
    }

    /** Traffic on one link direction. */
    public record Link(String name, long bytes, long messages, long labelBytes) {
    }

    public double finalAccuracy() {
        return testAccuracy.isEmpty() ? Double.NaN : testAccuracy.get(testAccuracy.size() - 1);
    }

    public Map<String, Object> toJsonMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode);
        m.put("algorithm", algorithm);
        m.put("rounds", rounds);
        m.put("iterations", iterations);
        m.put("iteration_s", iterationS);
        m.put("lower_bound_s", lowerBoundS);
        m.put("samples_per_s", samplesPerS);
        m.put("wall_s", wallS);
        m.put("test_accuracy", testAccuracy.isEmpty() ? null : finalAccuracy());
        m.put("test_accuracy_per_round", testAccuracy);
        List<Double> losses = new java.util.ArrayList<>();
        for (Double l : trainLoss) {
            losses.add(l == null || l.isNaN() ? null : l); // NaN: no loss stage in this process (process mode)
        }
        m.put("train_loss_per_round", losses);
        m.put("round_s", roundS);
        List<Object> rs = new java.util.ArrayList<>();
        for (Resource r : resources) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", r.name());
            e.put("busy_s", r.busyS());
            e.put("idle_s", r.idleS());
            rs.add(e);
        }
        m.put("resources", rs);
        List<Object> ns = new java.util.ArrayList<>();
        for (Node n : nodes) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", n.name());
            e.put("peak_bytes", n.peakBytes());
            e.put("parameter_bytes", n.parameterBytes());
            e.put("gradient_bytes", n.gradientBytes());
            e.put("optimizer_bytes", n.optimizerBytes());
            e.put("activation_peak_bytes", n.activationPeakBytes());
            e.put("receive_peak_bytes", n.receivePeakBytes());
            ns.add(e);
        }
        m.put("nodes", ns);
        List<Object> ls = new java.util.ArrayList<>();
        for (Link l : links) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", l.name());
            e.put("bytes", l.bytes());
            e.put("messages", l.messages());
            e.put("label_bytes", l.labelBytes());
            ls.add(e);
        }
        m.put("links", ls);
        return m;
    }
}
