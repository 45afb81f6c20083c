package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.scheduler.config.PlanConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeploymentTest {
    static final List<String> ROLES = List.of("coordinator", "owner0", "owner1", "owner2", "hop1", "hop2");

    @Test
    void shouldGiveRolesConsecutiveDefaultPortsAndKeepConfiguredEndpoints() {
        Deployment d = new Deployment().kind(Deployment.Kind.UDP).localRoles(List.of("hop1"))
                .endpoint("hop2", "10.0.0.7:5000");
        Map<String, String> e = d.resolveEndpoints(ROLES, 3);
        assertEquals(Map.of("coordinator", "127.0.0.1:40100", "owner0", "127.0.0.1:40101", "owner1", "127.0.0.1:40102",
                "owner2", "127.0.0.1:40103", "hop1", "127.0.0.1:40104", "hop2", "10.0.0.7:5000"), e);
        assertEquals(List.copyOf(e.keySet()), ROLES);
        assertEquals("10.0.0.7", Deployment.host(e.get("hop2")));
        assertEquals(5000, Deployment.port(e.get("hop2")));
        assertEquals(30_001, new Deployment().localRoles(List.of("owner0")).basePort(30_000).resolveEndpoints(ROLES, 3)
                .get("owner0").transform(Deployment::port));
    }

    @Test
    void shouldRejectBadEndpointsUnknownRolesAndAMissingTokenInProcessMode() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Deployment().endpoint("hop1", "10.0.0.7"));
        assertTrue(e.getMessage().contains("host:port"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Deployment().endpoint("hop9", "10.0.0.7:1").resolveEndpoints(ROLES, 3));
        assertTrue(e.getMessage().contains("unknown role 'hop9'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Deployment().localRoles(List.of("hop1")).resolveToken());
        assertTrue(e.getMessage().contains("session_token"), e.getMessage());
        assertTrue(new Deployment().resolveToken() != 0);
    }

    @Test
    void shouldReadTheDeploymentKeysOfAConfig() {
        String yaml = String.join("\n", "cuts: [1]", "transport: ipc", "nodes:", "  hop1: \"10.0.0.2:40102\"",
                "  coordinator: 10.0.0.1:40100", "session_token: 77", "peer_timeout_s: 2", "connect_timeout_s: 9", "");
        PlanConfig c = PlanConfig.parse(yaml, "test.yaml", List.of());
        Deployment local = c.deployment(null);
        assertEquals(Deployment.Kind.IPC, local.kind());
        assertEquals(2_000_000_000L, local.peerTimeoutNs());
        assertEquals(9_000_000_000L, local.connectTimeoutNs());
        assertEquals(77, local.resolveToken());
        Deployment process = c.deployment(List.of("hop1"));
        assertEquals(Deployment.Kind.UDP, process.kind());
        Map<String, String> e = process.resolveEndpoints(List.of("coordinator", "owner0", "hop1"), 1);
        assertEquals("10.0.0.2:40102", e.get("hop1"));
        assertEquals("10.0.0.1:40100", e.get("coordinator"));
        assertEquals("127.0.0.1:40101", e.get("owner0"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> PlanConfig.parse("cuts: [1]\ntransport: tcp\n", "t.yaml", List.of()).deployment(null));
        assertTrue(bad.getMessage().contains("emulated, ipc or udp"), bad.getMessage());
        assertEquals(PlanConfig.parse(yaml, "a", List.of()).derivedSessionToken(),
                PlanConfig.parse(yaml, "b", List.of()).derivedSessionToken());
    }
}
