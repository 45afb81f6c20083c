package io.mpsl.tensor.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonTest {

    @Test
    void shouldParseAllValueTypes() {
        Object v = Json.parse(" {\"s\": \"x\", \"i\": 42, \"d\": 1.5, \"t\": true, \"f\": false, \"n\": null,"
                + " \"a\": [1, [2], {}], \"o\": {\"k\": []}}\n");
        Map<?, ?> m = assertInstanceOf(Map.class, v);
        assertEquals("x", m.get("s"));
        assertEquals(42L, m.get("i"));
        assertEquals(1.5, m.get("d"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertTrue(m.containsKey("n"));
        assertNull(m.get("n"));
        assertEquals(List.of(1L, List.of(2L), Map.of()), m.get("a"));
        assertEquals(Map.of("k", List.of()), m.get("o"));
    }

    @Test
    void shouldKeepKeyOrder() {
        Map<String, Object> m = Json.parseObject("{\"z\":1,\"a\":2,\"m\":3,\"b\":4}");
        assertEquals(List.of("z", "a", "m", "b"), new ArrayList<>(m.keySet()));
        assertEquals("{\"z\":1,\"a\":2,\"m\":3,\"b\":4}", Json.write(m));
    }

    @Test
    void shouldParseNumbers() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(-17L, Json.parse("-17"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(9.223372036854775808E18, Json.parse("9223372036854775808"), "beyond long becomes double");
        assertEquals(-0.25, Json.parse("-0.25"));
        assertEquals(1e10, Json.parse("1e10"));
        assertEquals(1e10, Json.parse("1E+10"));
        assertEquals(2.5e-7, Json.parse("2.5e-7"));
        assertEquals(100.0, Json.parse("1.0E2"));
        assertInstanceOf(Double.class, Json.parse("3.0"));
        assertInstanceOf(Long.class, Json.parse("3"));
    }

    @Test
    void shouldDecodeEscapes() {
        assertEquals("a\"b\\c/d\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""));
        assertEquals("\u00e9\u4e2d\u0001", Json.parse("\"\\u00e9\\u4E2D\\u0001\""));
        assertEquals("\ud83d\ude00", Json.parse("\"\\ud83d\\ude00\""), "a surrogate pair makes one code point");
        assertEquals("ü😀", Json.parse("\"ü😀\""), "raw non-ASCII passes through");
    }

    @Test
    void shouldEscapeWhenWriting() {
        assertEquals("\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f\\b\\f\\r\"", Json.write("q\"b\\n\nt\tc\u0001\u001f\b\f\r"));
        assertEquals("\"é😀/\"", Json.write("é😀/"), "non-ASCII and '/' are written as they are");
        assertEquals("\"\\ud800x\\udc00\"", Json.write("\ud800x\udc00"), "lone surrogates are escaped");
        assertEquals("\"\\u2028\"", Json.write("\u2028"));
    }

    @Test
    void shouldRoundTripEveryCharacter() {
        StringBuilder sb = new StringBuilder();
        for (char c = 0; c < 0x3000; c++) {
            sb.append(c);
        }
        sb.append("\ud83d\ude00\ud800\udfff\udbff");
        String s = sb.toString();
        assertEquals(s, Json.parse(Json.write(s)));
        assertEquals(List.of(s), Json.parse(Json.writePretty(List.of(s))));
    }

    @Test
    void shouldRoundTripRandomDocuments() {
        Random r = new Random(7);
        for (int i = 0; i < 200; i++) {
            Object doc = randomValue(r, 0);
            assertEquals(doc, Json.parse(Json.write(doc)), "compact");
            assertEquals(doc, Json.parse(Json.writePretty(doc)), "pretty");
        }
    }

    private static Object randomValue(Random r, int depth) {
        int kind = r.nextInt(depth > 3 ? 6 : 8);
        switch (kind) {
            case 0:
                return null;
            case 1:
                return r.nextBoolean();
            case 2:
                return r.nextLong() >> r.nextInt(64);
            case 3: {
                double d = r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20);
                return d;
            }
            case 4:
            case 5: {
                StringBuilder sb = new StringBuilder();
                for (int k = r.nextInt(12); k > 0; k--) {
                    sb.append((char) (r.nextBoolean() ? r.nextInt(0x80) : r.nextInt(0xd800)));
                }
                return sb.toString();
            }
            case 6: {
                List<Object> list = new ArrayList<>();
                for (int k = r.nextInt(5); k > 0; k--) {
                    list.add(randomValue(r, depth + 1));
                }
                return list;
            }
            default: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int k = r.nextInt(5); k > 0; k--) {
                    map.put("k" + r.nextInt(1000) + "\"\n", randomValue(r, depth + 1));
                }
                return map;
            }
        }
    }

    @Test
    void shouldWriteNumbersExactly() {
        assertEquals("[1,-2,3,4.5,0.1,1.0E-5,1.0E21,-0.0,12345678901234567890]",
                Json.write(List.of(1, -2L, (short) 3, 4.5, 0.1f, 1e-5, 1e21, -0.0,
                        new java.math.BigInteger("12345678901234567890"))));
        double[] doubles = {Math.PI, Double.MIN_VALUE, Double.MAX_VALUE, -1e-300, 1.0 / 3};
        for (double d : doubles) {
            assertEquals(d, Json.parse(Json.write(d)), "double " + d + " must round-trip bit-exactly");
        }
        assertEquals(0.1f, ((Double) Json.parse(Json.write(0.1f))).floatValue());
    }

    @Test
    void shouldWritePrettyWithTwoSpaceIndentAndInlineScalarArrays() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "run");
        m.put("loss", new double[] {0.5, 0.25});
        m.put("empty", Map.of());
        m.put("none", List.of());
        m.put("nodes", List.of(Map.of("id", 1)));
        String expected = """
                {
                  "name": "run",
                  "loss": [0.5, 0.25],
                  "empty": {},
                  "none": [],
                  "nodes": [
                    {
                      "id": 1
                    }
                  ]
                }""";
        assertEquals(expected, Json.writePretty(m));
        assertEquals("{\"name\":\"run\",\"loss\":[0.5,0.25],\"empty\":{},\"none\":[],\"nodes\":[{\"id\":1}]}",
                Json.write(m));
    }

    @Test
    void shouldWriteArraysOfEveryKind() {
        assertEquals("[[1,2],[3],[1.5],[true],[\"a\",null]]", Json.write(new Object[] {new int[] {1, 2},
                new long[] {3}, new float[] {1.5f}, new boolean[] {true}, Arrays.asList("a", null)}));
    }

    @Test
    void shouldRefuseValuesJsonCannotHold() {
        JsonException nan = assertThrows(JsonException.class,
                () -> Json.write(Map.of("stats", List.of(1.0, Double.NaN))));
        assertTrue(nan.getMessage().contains("NaN") && nan.getMessage().contains("$.stats[1]"), nan.getMessage());
        assertThrows(JsonException.class, () -> Json.write(Float.POSITIVE_INFINITY));
        JsonException key = assertThrows(JsonException.class, () -> Json.write(Map.of(1, "x")));
        assertTrue(key.getMessage().contains("not a String"), key.getMessage());
        JsonException type = assertThrows(JsonException.class, () -> Json.write(List.of(new Object())));
        assertTrue(type.getMessage().contains("java.lang.Object") && type.getMessage().contains("$[0]"),
                type.getMessage());
        List<Object> cycle = new ArrayList<>();
        cycle.add(cycle);
        JsonException deep = assertThrows(JsonException.class, () -> Json.write(cycle));
        assertTrue(deep.getMessage().contains("contain itself"), deep.getMessage());
    }

    @Test
    void shouldRejectMalformedInputNamingPositionAndExpectation() {
        assertError("{\"a\":1,}", 7, "expected a string key after ','", "'}'");
        assertError("[1,2,]", 5, "expected a value", "']'");
        assertError("{\"a\" 1}", 5, "expected ':' after object key \"a\"", "'1'");
        assertError("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'", "'\"'");
        assertError("[1 2]", 3, "expected ',' or ']'", "'2'");
        assertError("", 0, "expected a value", "end of input");
        assertError("[1", 2, "expected ',' or ']'", "end of input");
        assertError("\"abc", 4, "expected '\"' to close the string", "end of input");
        assertError("\"a\nb\"", 2, "unescaped control character", "U+000A");
        assertError("\"\\x\"", 2, "as escape", "'x'");
        assertError("\"\\u12g4\"", 5, "4 hex digits", "'g'");
        assertError("01", 1, "no leading zeros", "'1'");
        assertError("-", 1, "expected a digit", "end of input");
        assertError("1.", 2, "after the decimal point", "end of input");
        assertError(".5", 0, "expected a value", "'.'");
        assertError("+1", 0, "expected a value", "'+'");
        assertError("1e", 2, "in the exponent", "end of input");
        assertError("NaN", 0, "expected a value", "'N'");
        assertError("tru", 0, "expected 'true'", "'t'");
        assertError("nul", 0, "expected 'null'", "'n'");
        assertError("{'a':1}", 1, "expected a string key or '}'", "'''");
        assertError("[1] x", 4, "expected end of input", "'x'");
        assertError("// c\n1", 0, "expected a value", "'/'");
        assertError("{\"a\":1,\"a\":2}", 7, "duplicate key \"a\"", "");
        assertError("1e999", 0, "outside the double range", "");
        assertError("\ufeff{}", 0, "expected a value", "U+FEFF");
    }

    @Test
    void shouldReportLineAndColumn() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("{\n  \"a\": 1,\n  \"b\": ]\n}"));
        assertTrue(e.getMessage().contains("line 3, column 8"), e.getMessage());
    }

    @Test
    void shouldLimitNesting() {
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nesting deeper than " + Json.MAX_DEPTH), e.getMessage());
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertInstanceOf(List.class, Json.parse(ok));
    }

    @Test
    void shouldRequireAnObjectWhenAskedForOne() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
        assertTrue(e.getMessage().contains("must be a JSON object"), e.getMessage());
    }

    @Test
    void shouldNameTheFileInReadErrors(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"rounds\": 3,\n \"lr\": }", StandardCharsets.UTF_8);
        JsonException e = assertThrows(JsonException.class, () -> Json.read(config));
        assertTrue(e.getMessage().startsWith(config + ": expected a value"), e.getMessage());
        assertTrue(e.getMessage().contains("at line 2, column 8"), e.getMessage());
        Files.writeString(config, "{\"rounds\": 3}");
        assertEquals(Map.of("rounds", 3L), Json.read(config));
    }

    private static void assertError(String text, int offset, String expected, String found) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text), text);
        assertEquals(offset, e.offset(), "offset for " + text + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(expected), "message for " + text + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("(offset " + offset + ")"), e.getMessage());
        assertTrue(e.getMessage().contains(found), "found for " + text + ": " + e.getMessage());
    }
}
