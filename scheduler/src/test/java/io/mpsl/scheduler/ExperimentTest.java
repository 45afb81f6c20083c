package io.mpsl.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.runtime.RunResult;
import io.mpsl.tensor.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentTest {

    @Test
    void shouldWriteResultsWithTheReportedFieldsForTheRunAndItsBaselines(@TempDir Path dir) throws Exception {
        String yaml = """
                name: tiny
                model: mlp
                dataset: synthetic
                synthetic_shape: [1, 8, 8]
                synthetic_samples: 64
                mode: u-shaped
                hops: 1
                cuts: [1, 2]
                owners: 2
                batch: 8
                micro_batches: 2
                uplink_mbit: 100
                downlink_mbit: 100
                rounds: 2
                local_iterations: 2
                baselines: [fedavg, sequential-sl]
                """;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<RunResult> results = new Experiment(PlanConfig.parse(yaml, "tiny.yaml", List.of()),
                new PrintStream(log, true)).run(dir);
        assertEquals(3, results.size());
        Map<String, Object> json = Json.parseObject(Files.readString(dir.resolve("results.json")));
        for (String key : List.of("mode", "iterations", "iteration_s", "samples_per_s", "test_accuracy", "resources",
                "nodes", "baselines")) {
            assertTrue(json.containsKey(key), "results.json lacks " + key);
        }
        assertEquals("u-shaped", json.get("mode"));
        assertEquals(4L, json.get("iterations"));
        List<?> resources = (List<?>) json.get("resources");
        // 2 owners + 1 hop + coordinator, and 2 links per owner
        assertEquals(8, resources.size(), String.valueOf(resources));
        for (Object r : resources) {
            Map<?, ?> m = (Map<?, ?>) r;
            assertTrue(((Number) m.get("busy_s")).doubleValue() >= 0);
            assertTrue(m.containsKey("idle_s"));
        }
        List<?> nodes = (List<?>) json.get("nodes");
        for (Object n : nodes) {
            Map<?, ?> m = (Map<?, ?>) n;
            if (!m.get("name").equals("coordinator")) {
                assertTrue(((Number) m.get("peak_bytes")).longValue() > 0, "no memory measured for " + m.get("name"));
            }
        }
        List<?> baselines = (List<?>) json.get("baselines");
        assertEquals("fedavg", ((Map<?, ?>) baselines.get(0)).get("mode"));
        assertEquals("sequential-sl", ((Map<?, ?>) baselines.get(1)).get("mode"));
        double acc = ((Number) json.get("test_accuracy")).doubleValue();
        assertTrue(acc >= 0 && acc <= 1);
        assertTrue(Files.readString(dir.resolve("results.csv")).startsWith("mode,"));
        Map<String, Object> trace = Json.parseObject(Files.readString(dir.resolve("timeline.json")));
        assertTrue(((List<?>) trace.get("traceEvents")).size() > 10, "timeline has no events");
        assertTrue(log.toString().contains("faster than fedavg"), log.toString());
    }
}
