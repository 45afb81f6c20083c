package io.mpsl.scheduler.config;

import io.mpsl.nn.OptimizerSpec;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.LinkSpec;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.OwnerSpec;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.Deployment;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A run configuration (YAML) turned into a {@link Plan}. Every key has a default (see {@link #DEFAULTS});
 * unknown keys and bad values are rejected with the file, the key and what is allowed. {@code --set key=value}
 * overrides are applied on top of the file.
 */
public final class PlanConfig {

    /** Keys and their defaults, in the order a config file lists them. */
    public static final Map<String, Object> DEFAULTS = defaults();

    private static Map<String, Object> defaults() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", "run");
        d.put("model", "lenet5");
        d.put("dataset", "mnist");
        d.put("data_dir", null);
        d.put("synthetic_shape", List.of(1L, 28L, 28L));
        d.put("synthetic_samples", 2048L);
        d.put("algorithm", "split");
        d.put("mode", "u-shaped");
        d.put("server_copies", "per-participant");
        d.put("hops", 1L);
        d.put("cuts", null);
        d.put("schedule", "1f1b");
        d.put("owners", 1L);
        d.put("batch", 32L);
        d.put("micro_batches", 1L);
        d.put("slowdown", 1.0);
        d.put("uplink_mbit", 0.0);
        d.put("downlink_mbit", 0.0);
        d.put("link_delay_ms", 0.0);
        d.put("hop_link_mbit", 0.0);
        d.put("hop_link_delay_ms", 0.0);
        d.put("owner_overrides", null);
        d.put("rounds", 1L);
        d.put("local_iterations", 0L);
        d.put("optimizer", "sgd");
        d.put("lr", 0.05);
        d.put("lr_decay", 1.0);
        d.put("lr_warmup_iterations", 0L);
        d.put("lr_schedule", "step");
        d.put("momentum", 0.9);
        d.put("weight_decay", 0.0);
        d.put("seed", 1L);
        d.put("max_in_flight", 4L);
        d.put("dp_clip", 0.0);
        d.put("dp_sigma", 0.0);
        d.put("partition", "iid");
        d.put("dirichlet_alpha", 0.5);
        d.put("train_limit", 0L);
        d.put("test_limit", 0L);
        d.put("owner_threads", 1L);
        d.put("hop_threads", 1L);
        d.put("baselines", List.of());
        d.put("warmup_rounds", 0L);
        // deployment (see Deployment): how messages travel in local mode, and where each role lives in process mode
        d.put("transport", "ipc"); // local mode over Aeron IPC; emulated: in-JVM queues (the tests' fast path)
        d.put("nodes", null);
        d.put("base_port", 0L);
        d.put("session_token", 0L);
        d.put("peer_timeout_s", 5.0);
        d.put("connect_timeout_s", 30.0);
        // autotuner (see io.mpsl.scheduler.tune): cuts: auto and/or micro_batches: auto choose them
        d.put("tune_max_hops", 0L); // 0 = only the configured hops; otherwise 1..this many
        d.put("tune_micro_batches", List.of(1L, 2L, 4L, 8L, 16L));
        d.put("memory_cap_mb", 0.0); // per compute node; 0 = unlimited
        d.put("replan", false); // re-plan at round boundaries when measured rates drift
        d.put("replan_threshold", 0.3); // relative drift of a link's goodput or a node's speed that triggers it
        d.put("link_changes", List.of()); // e.g. [{round: 2, owner: 0, uplink_mbit: 5}]
        return d;
    }

    private static final Set<String> OWNER_KEYS = Set.of("batch", "micro_batches", "slowdown", "uplink_mbit",
            "downlink_mbit", "link_delay_ms");

    private final Map<String, Object> values;
    private final String source;

    private PlanConfig(Map<String, Object> values, String source) {
        this.values = values;
        this.source = source;
    }

    /** Reads a YAML file and applies {@code key=value} overrides. */
    public static PlanConfig load(Path file, List<String> overrides) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("config file " + file + " does not exist; see configs/ for examples");
        }
        return parse(Files.readString(file), file.toString(), overrides);
    }

    /** Parses YAML text ({@code source} names it in errors) and applies {@code key=value} overrides. */
    public static PlanConfig parse(String yaml, String source, List<String> overrides) {
        Object doc = Yaml.parse(yaml, source);
        if (!(doc instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(source + ": a config must be a mapping of keys to values");
        }
        Map<String, Object> v = new LinkedHashMap<>(DEFAULTS);
        for (Map.Entry<?, ?> e : map.entrySet()) {
            put(v, String.valueOf(e.getKey()), e.getValue(), source);
        }
        applyOverrides(v, overrides);
        return new PlanConfig(v, source);
    }

    /** This config with {@code key=value} overrides applied on top (e.g. the autotuner's choices). */
    public PlanConfig with(List<String> overrides) {
        Map<String, Object> v = new LinkedHashMap<>(values);
        applyOverrides(v, overrides);
        return new PlanConfig(v, source);
    }

    /** Whether {@code key} is set to the word {@code auto}. */
    public boolean isAuto(String key) {
        return "auto".equals(values.get(key));
    }

    private static void applyOverrides(Map<String, Object> v, List<String> overrides) {
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set takes key=value, got '" + o + "'");
            }
            String key = o.substring(0, eq).trim();
            Object parsed = ((Map<?, ?>) Yaml.parse("v: " + o.substring(eq + 1).trim(), "--set " + key)).get("v");
            put(v, key, parsed, "--set");
        }
    }

    private static void put(Map<String, Object> v, String key, Object value, String source) {
        if (!DEFAULTS.containsKey(key)) {
            throw new IllegalArgumentException(source + ": unknown key '" + key + "'; known keys: " + DEFAULTS.keySet());
        }
        v.put(key, value);
    }

    public String string(String key) {
        Object o = values.get(key);
        return o == null ? null : String.valueOf(o);
    }

    public long integer(String key) {
        Object o = values.get(key);
        if (o instanceof Long l) {
            return l;
        }
        throw bad(key, o, "an integer");
    }

    public double number(String key) {
        Object o = values.get(key);
        if (o instanceof Number n) {
            return n.doubleValue();
        }
        throw bad(key, o, "a number");
    }

    public Object raw(String key) {
        return values.get(key);
    }

    /** A list of strings (e.g. baselines), accepting a single string too. */
    public List<String> strings(String key) {
        Object o = values.get(key);
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            for (Object x : l) {
                out.add(String.valueOf(x));
            }
        } else if (o != null) {
            out.add(String.valueOf(o));
        }
        return out;
    }

    private IllegalArgumentException bad(String key, Object value, String what) {
        return new IllegalArgumentException(source + ": '" + key + "' must be " + what + ", got " + value);
    }

    private <E extends Enum<E>> E choice(String key, Map<String, E> allowed) {
        String s = string(key);
        E e = s == null ? null : allowed.get(s.toLowerCase(Locale.ROOT));
        if (e == null) {
            throw bad(key, s, "one of " + allowed.keySet());
        }
        return e;
    }

    public Algorithm algorithm() {
        return choice("algorithm", Map.of("split", Algorithm.SPLIT, "fedavg", Algorithm.FEDAVG, "fl", Algorithm.FEDAVG,
                "sequential-sl", Algorithm.SEQUENTIAL_SL, "sl", Algorithm.SEQUENTIAL_SL));
    }

    /** The plan this config describes, with {@code algorithm} overriding the configured one (baselines). */
    public Plan plan(Algorithm algorithm) {
        Mode mode = choice("mode", Map.of("vanilla", Mode.VANILLA, "u-shaped", Mode.U_SHAPED, "u", Mode.U_SHAPED));
        Plan.ServerCopies copies = choice("server_copies",
                Map.of("per-participant", Plan.ServerCopies.PER_PARTICIPANT, "shared", Plan.ServerCopies.SHARED));
        ScheduleKind kind;
        try {
            kind = ScheduleKind.parse(string("schedule"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        int hops = Math.toIntExact(integer("hops"));
        int[] cuts = cuts(mode, hops);
        List<OwnerSpec> owners = owners();
        if (algorithm == Algorithm.SEQUENTIAL_SL) {
            // vanilla sequential split learning: one hop, whole mini-batches, one shared server copy
            List<OwnerSpec> whole = new ArrayList<>();
            for (OwnerSpec o : owners) {
                whole.add(new OwnerSpec(o.batch(), 1, o.slowdown(), o.uplink(), o.downlink()));
            }
            owners = whole;
            copies = Plan.ServerCopies.SHARED;
            kind = ScheduleKind.SEQUENTIAL;
            if (hops != 1) {
                cuts = mode == Mode.U_SHAPED ? new int[] {cuts[0], cuts[cuts.length - 1]} : new int[] {cuts[0]};
                hops = 1;
            }
        }
        OptimizerSpec opt = switch (string("optimizer").toLowerCase(Locale.ROOT)) {
            case "sgd" -> OptimizerSpec.sgd((float) number("lr"), (float) number("momentum"),
                    (float) number("weight_decay"));
            case "adam" -> OptimizerSpec.adam((float) number("lr"), (float) number("weight_decay"));
            default -> throw bad("optimizer", string("optimizer"), "sgd or adam");
        };
        Plan.Partitioning part = choice("partition",
                Map.of("iid", Plan.Partitioning.IID, "dirichlet", Plan.Partitioning.DIRICHLET));
        return new Plan(string("model"), string("dataset"), algorithm, mode, copies, hops, cuts, kind, owners,
                new LinkSpec(Math.round(number("hop_link_mbit") * 1e6), Math.round(number("hop_link_delay_ms") * 1e6)),
                Math.toIntExact(integer("rounds")), Math.toIntExact(integer("local_iterations")), opt, integer("seed"),
                Math.toIntExact(integer("max_in_flight")), number("dp_clip"), number("dp_sigma"), part,
                number("dirichlet_alpha"), Math.toIntExact(integer("train_limit")),
                Math.toIntExact(integer("test_limit")), number("lr_decay"),
                Math.toIntExact(integer("lr_warmup_iterations")),
                lrCosine());
    }

    private boolean lrCosine() {
        return switch (string("lr_schedule").toLowerCase(Locale.ROOT)) {
            case "step" -> false;
            case "cosine" -> true;
            default -> throw bad("lr_schedule", string("lr_schedule"), "step (lr * lr_decay^round) or cosine");
        };
    }

    private int[] cuts(Mode mode, int hops) {
        Object c = values.get("cuts");
        if (c == null) {
            throw new IllegalArgumentException(source + ": 'cuts' is required for split learning: "
                    + (mode == Mode.U_SHAPED ? hops + 1 : hops) + " increasing block indices for " + mode + " with "
                    + hops + " hop(s), e.g. cuts: [1, 3]");
        }
        if (!(c instanceof List<?> l)) {
            throw bad("cuts", c, "a list of block indices, e.g. [1, 3] (or auto, which ./mpsl run and tune resolve)");
        }
        int[] cuts = new int[l.size()];
        for (int i = 0; i < cuts.length; i++) {
            if (!(l.get(i) instanceof Long x)) {
                throw bad("cuts", c, "a list of integers");
            }
            cuts[i] = Math.toIntExact(x);
        }
        return cuts;
    }

    /**
     * Where the roles run and how messages travel: {@code transport} (emulated, ipc, udp) for local mode,
     * {@code nodes} (role: host:port), {@code base_port}, {@code session_token}, {@code peer_timeout_s} and
     * {@code connect_timeout_s}. {@code localRoles} null: every role in this process.
     */
    public Deployment deployment(List<String> localRoles) {
        Deployment d = new Deployment();
        try {
            d.kind(Deployment.Kind.parse(string("transport")));
        } catch (IllegalArgumentException e) {
            throw bad("transport", string("transport"), "emulated, ipc or udp");
        }
        if (localRoles != null) {
            d.kind(Deployment.Kind.UDP).localRoles(localRoles);
        }
        Object nodes = values.get("nodes");
        if (nodes instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                try {
                    d.endpoint(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(source + ": nodes: " + ex.getMessage(), ex);
                }
            }
        } else if (nodes != null) {
            throw bad("nodes", nodes, "a mapping of role to host:port, one '  hop1: \"10.0.0.2:40102\"' line per role under nodes:");
        }
        long port = integer("base_port");
        if (port < 0 || port > 65_535 - 1_000) {
            throw bad("base_port", port, "a port number below 64535 (0: the default)");
        }
        d.basePort((int) port);
        d.sessionToken(integer("session_token"));
        double peer = number("peer_timeout_s");
        double connect = number("connect_timeout_s");
        if (!(peer >= 0.5) || !(connect >= peer)) {
            throw new IllegalArgumentException(source + ": peer_timeout_s must be >= 0.5 and connect_timeout_s >= it, got "
                    + peer + " and " + connect);
        }
        d.peerTimeoutNs(Math.round(peer * 1e9)).connectTimeoutNs(Math.round(connect * 1e9));
        return d;
    }

    /** A token every process of a run derives alike from the same config, when none is set. */
    public long derivedSessionToken() {
        long h = 1125899906842597L;
        String text = values.toString();
        for (int i = 0; i < text.length(); i++) {
            h = 31 * h + text.charAt(i);
        }
        return h == 0 ? 1 : h;
    }

    private List<OwnerSpec> owners() {
        int n = Math.toIntExact(integer("owners"));
        if (n < 1) {
            throw bad("owners", n, "at least 1");
        }
        Object ov = values.get("owner_overrides");
        List<?> overrides = ov == null ? List.of() : ov instanceof List<?> l ? l : null;
        if (overrides == null) {
            throw bad("owner_overrides", ov, "a list of per-owner mappings");
        }
        if (overrides.size() > n) {
            throw bad("owner_overrides", overrides.size() + " entries", "at most one entry per owner (" + n + ")");
        }
        List<OwnerSpec> owners = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (String k : OWNER_KEYS) {
                o.put(k, values.get(k));
            }
            if (i < overrides.size() && overrides.get(i) instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    String k = String.valueOf(e.getKey());
                    if (!OWNER_KEYS.contains(k)) {
                        throw new IllegalArgumentException(source + ": owner_overrides[" + i + "] has unknown key '" + k
                                + "'; allowed: " + OWNER_KEYS);
                    }
                    o.put(k, e.getValue());
                }
            }
            double delay = ((Number) o.get("link_delay_ms")).doubleValue();
            owners.add(new OwnerSpec(((Number) o.get("batch")).intValue(), ((Number) o.get("micro_batches")).intValue(),
                    ((Number) o.get("slowdown")).doubleValue(),
                    LinkSpec.mbit(((Number) o.get("uplink_mbit")).doubleValue(), delay),
                    LinkSpec.mbit(((Number) o.get("downlink_mbit")).doubleValue(), delay)));
        }
        return owners;
    }
}
