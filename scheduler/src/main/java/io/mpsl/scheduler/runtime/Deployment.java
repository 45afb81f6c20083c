package io.mpsl.scheduler.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the roles of a run live and how their messages travel, in the style of a context: chainable setters,
 * defaults as named constants. {@link Kind#EMULATED} (the default) runs every role in this JVM over emulated
 * links; {@link Kind#IPC} and {@link Kind#UDP} send tensor frames over Aeron. With {@link #localRoles} a
 * process runs only some roles (process mode: one role per process over UDP) and reaches the others at their
 * {@link #endpoint endpoints}.
 *
 * <p>Role names: {@code coordinator}, {@code owner0} .. {@code owner(N-1)}, {@code hop1} .. {@code hopK}.
 * Default endpoints: host {@link #DEFAULT_HOST}, ports from {@link #basePort} in the order coordinator,
 * owners, hops (coordinator at the base, owner p at base + 1 + p, hop h at base + N + h).
 */
public final class Deployment {
    /** How messages travel. */
    public enum Kind {
        /** In this JVM, over emulated links (rate and delay by the clock): the fast, exact default. */
        EMULATED,
        /** Aeron IPC between roles of this process (one media driver). */
        IPC,
        /** Aeron UDP: loopback in one process, or between processes and hosts. */
        UDP;

        /** The kind named {@code emulated}, {@code ipc} or {@code udp}. */
        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.name().toLowerCase(Locale.ROOT).equals(s.toLowerCase(Locale.ROOT))) {
                    return k;
                }
            }
            throw new IllegalArgumentException("transport '" + s + "' is not one of emulated, ipc, udp");
        }
    }

    public static final String DEFAULT_HOST = "127.0.0.1";
    /** First port of the default endpoints in process mode. */
    public static final int DEFAULT_BASE_PORT = 40100;
    public static final long DEFAULT_PEER_TIMEOUT_NS = 5_000_000_000L;
    public static final long DEFAULT_CONNECT_TIMEOUT_NS = 30_000_000_000L;

    private Kind kind = Kind.EMULATED;
    private List<String> localRoles;
    private final Map<String, String> endpoints = new LinkedHashMap<>();
    private int basePort;
    private long sessionToken;
    private long peerTimeoutNs = DEFAULT_PEER_TIMEOUT_NS;
    private long connectTimeoutNs = DEFAULT_CONNECT_TIMEOUT_NS;

    public Deployment kind(Kind kind) {
        this.kind = kind;
        return this;
    }

    public Kind kind() {
        return kind;
    }

    /** The roles this process runs; null (default) for all of them. */
    public Deployment localRoles(List<String> roles) {
        this.localRoles = roles == null ? null : List.copyOf(roles);
        return this;
    }

    public List<String> localRoles() {
        return localRoles;
    }

    /** Whether this process runs {@code role}. */
    public boolean isLocal(String role) {
        return localRoles == null || localRoles.contains(role);
    }

    /** The UDP endpoint ({@code host:port}) of a role; roles not set here get the default endpoints. */
    public Deployment endpoint(String role, String hostPort) {
        parsePort(role, hostPort);
        endpoints.put(role, hostPort);
        return this;
    }

    /**
     * First port of the default endpoints; 0 (default) means {@link #DEFAULT_BASE_PORT} in process mode and
     * free ports picked by the system when every role is in this process.
     */
    public Deployment basePort(int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("base port " + port + " is not a port number");
        }
        this.basePort = port;
        return this;
    }

    /** The per-run token every frame carries; frames with another are ignored. 0 (default): a random one. */
    public Deployment sessionToken(long token) {
        this.sessionToken = token;
        return this;
    }

    /** After this long without a sign of life from a peer, the run fails naming it. */
    public Deployment peerTimeoutNs(long ns) {
        this.peerTimeoutNs = ns;
        return this;
    }

    public long peerTimeoutNs() {
        return peerTimeoutNs;
    }

    /** How long a role waits at start for its peers, before failing with the names of those missing. */
    public Deployment connectTimeoutNs(long ns) {
        this.connectTimeoutNs = ns;
        return this;
    }

    public long connectTimeoutNs() {
        return connectTimeoutNs;
    }

    /** The token to use: the configured one, or a fresh random one (only valid when every role is here). */
    long resolveToken() {
        if (sessionToken != 0) {
            return sessionToken;
        }
        if (localRoles != null) {
            throw new IllegalArgumentException("process mode needs the same session token in every process: set "
                    + "session_token in the config or with --set session_token=N");
        }
        long t = 0;
        SecureRandom r = new SecureRandom();
        while (t == 0) {
            t = r.nextLong();
        }
        return t;
    }

    /**
     * The UDP endpoint of every role, in the given order (the run's node order): configured ones as set,
     * the others by the default rule.
     */
    Map<String, String> resolveEndpoints(List<String> roles, int owners) {
        for (String r : endpoints.keySet()) {
            if (!roles.contains(r)) {
                throw new IllegalArgumentException("endpoint for unknown role '" + r + "'; roles of this plan: " + roles);
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        int base = basePort != 0 ? basePort : localRoles != null ? DEFAULT_BASE_PORT : -1;
        for (String r : roles) {
            String e = endpoints.get(r);
            if (e == null) {
                e = DEFAULT_HOST + ":" + (base < 0 ? freePort() : base + defaultOffset(r, owners));
            }
            out.put(r, e);
        }
        return out;
    }

    /** Port offset of a role from the base: coordinator 0, owner p 1 + p, hop h N + h. */
    static int defaultOffset(String role, int owners) {
        if (role.equals("coordinator")) {
            return 0;
        }
        if (role.startsWith("owner")) {
            return 1 + Integer.parseInt(role.substring(5));
        }
        if (role.startsWith("hop")) {
            return owners + Integer.parseInt(role.substring(3));
        }
        throw new IllegalArgumentException("unknown role '" + role + "'");
    }

    static String host(String hostPort) {
        return hostPort.substring(0, hostPort.lastIndexOf(':'));
    }

    static int port(String hostPort) {
        return parsePort("?", hostPort);
    }

    private static int parsePort(String role, String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("endpoint of " + role + " must be host:port, got '" + hostPort + "'");
        }
        return port;
    }

    private static int freePort() {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getByName(DEFAULT_HOST))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free UDP port on " + DEFAULT_HOST, e);
        }
    }

    @Override
    public String toString() {
        return "Deployment[" + kind + ", roles=" + (localRoles == null ? "all" : localRoles) + ", endpoints=" + endpoints
                + ", basePort=" + basePort + ", peerTimeoutNs=" + peerTimeoutNs + ", connectTimeoutNs=" + connectTimeoutNs
                + "]";
    }
}
