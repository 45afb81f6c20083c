package io.mpsl.scheduler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class YamlTest {

    @Test
    void shouldParseNestedMappingsSequencesAndScalars() {
        String doc = """
                # a plan
                mode: u-shaped   # trailing comment
                model: vgg5
                rounds: 3
                lr: 0.05
                pipelined: true
                cuts: [2, 5, 7]
                name: "with # hash"
                owners:
                  - name: a
                    uplink_mbit: 10
                  - name: b
                    slowdown: 4.0
                hops:
                - h1
                - 'h2'
                empty:
                """;
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Yaml.parse(doc, "plan.yaml");
        assertEquals("u-shaped", m.get("mode"));
        assertEquals(3L, m.get("rounds"));
        assertEquals(0.05, m.get("lr"));
        assertEquals(Boolean.TRUE, m.get("pipelined"));
        assertEquals(List.of(2L, 5L, 7L), m.get("cuts"));
        assertEquals("with # hash", m.get("name"));
        assertEquals(List.of(Map.of("name", "a", "uplink_mbit", 10L), Map.of("name", "b", "slowdown", 4.0)),
                m.get("owners"));
        assertEquals(List.of("h1", "h2"), m.get("hops"));
        assertTrue(m.containsKey("empty"));
        assertEquals(null, m.get("empty"));
        assertEquals(List.of("model", "rounds"), List.copyOf(m.keySet()).subList(1, 3));
    }

    @Test
    void shouldRejectBadDocumentsNamingTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Yaml.parse("a: 1\n  b: 2\n", "x.yaml"));
        assertTrue(e.getMessage().startsWith("x.yaml:2:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Yaml.parse("a: 1\na: 2\n", "x.yaml"));
        assertTrue(e.getMessage().contains("duplicate key 'a'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Yaml.parse("a: [1, 2\n", "x.yaml"));
        assertTrue(e.getMessage().contains("x.yaml:1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Yaml.parse("a: &x 1\n", "x.yaml"));
        assertTrue(e.getMessage().contains("unsupported"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Yaml.parse("just text\n", "x.yaml"));
        assertTrue(e.getMessage().contains("expected 'key: value'"), e.getMessage());
    }
}
