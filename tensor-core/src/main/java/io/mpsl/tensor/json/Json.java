package io.mpsl.tensor.json;

import java.io.IOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer for results, configurations and safetensors headers.
 *
 * <p>Parsing gives {@code LinkedHashMap<String, Object>} for objects (key order kept), {@code ArrayList<Object>}
 * for arrays, {@code String}, {@code Long} for integer literals that fit in a long, {@code Double} for every
 * other number, {@code Boolean} and {@code null}. It rejects what RFC 8259 does not allow (comments, trailing
 * commas, single quotes, leading zeros, {@code NaN}, unescaped control characters, text after the value) and,
 * beyond the RFC, duplicate keys, numbers outside the double range and nesting deeper than {@link #MAX_DEPTH}.
 * Errors are {@link JsonException}s naming the line, column and offset, what was expected and what was found.
 *
 * <p>Writing takes maps with string keys, collections, arrays (object and primitive), strings, numbers,
 * booleans and {@code null}; it escapes quotes, backslashes, control characters and lone surrogates and leaves
 * other characters as they are (the caller encodes the text as UTF-8). Compact mode has no whitespace at all;
 * pretty mode indents by two spaces and keeps arrays of scalars on one line. Not for hot paths.
 */
public final class Json {
    /** Deepest nesting of arrays and objects accepted by the reader and the writer. */
    public static final int MAX_DEPTH = 512;

    private static final String INDENT = "  ";

    private Json() {
    }

    /** Parses one JSON value (any type) that makes up the whole text, surrounding whitespace aside. */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("expected end of input after the top-level value");
        }
        return value;
    }

    /** Parses a text whose top-level value must be an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Parser p = new Parser(text);
        p.skipWhitespace();
        if (p.peek() != '{') {
            throw p.error("expected '{' (the text must be a JSON object)");
        }
        return (Map<String, Object>) parse(text);
    }

    /**
     * Reads and parses a UTF-8 JSON file.
     *
     * @throws JsonException with the file name in front of the position, if the text is not valid JSON
     * @throws java.nio.charset.CharacterCodingException if the file is not valid UTF-8
     */
    public static Object read(Path file) throws IOException {
        String text = Files.readString(file);
        try {
            return parse(text);
        } catch (JsonException e) {
            throw new JsonException(file + ": " + e.getMessage(), e.offset());
        }
    }

    /** The value as compact JSON: no spaces or newlines. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, false);
        return sb.toString();
    }

    /** The value as indented JSON, two spaces a level, no trailing newline. */
    public static String writePretty(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, true);
        return sb.toString();
    }

    /**
     * Appends the value as JSON.
     *
     * @throws JsonException for a value JSON cannot hold (NaN, a non-string key, an unknown type), naming
     *     where it is as a path like {@code $.layers[3].loss}
     */
    public static void write(StringBuilder out, Object value, boolean pretty) {
        new Writer(out, pretty).value(value, 0);
    }

    /** Appends {@code s} as a quoted JSON string with the escapes JSON needs. */
    public static void writeString(StringBuilder out, CharSequence s) {
        out.append('"');
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    boolean loneSurrogate = Character.isHighSurrogate(c)
                            ? i + 1 == n || !Character.isLowSurrogate(s.charAt(i + 1))
                            : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
                    if (c < 0x20 || c == '\u2028' || c == '\u2029' || loneSurrogate) {
                        appendUnicodeEscape(out, c);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void appendUnicodeEscape(StringBuilder out, char c) {
        out.append("\\u");
        String hex = Integer.toHexString(c);
        for (int k = hex.length(); k < 4; k++) {
            out.append('0');
        }
        out.append(hex);
    }

    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        int peek() {
            return pos < s.length() ? s.charAt(pos) : -1;
        }

        void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        Object value(int depth) {
            int c = peek();
            switch (c) {
                case '{':
                    return object(depth + 1);
                case '[':
                    return array(depth + 1);
                case '"':
                    return string();
                case 't':
                    return literal("true", Boolean.TRUE);
                case 'f':
                    return literal("false", Boolean.FALSE);
                case 'n':
                    return literal("null", null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw error("expected a value (object, array, string, number, true, false or null)");
            }
        }

        private Map<String, Object> object(int depth) {
            checkDepth(depth);
            pos++; // '{'
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            while (true) {
                skipWhitespace();
                if (peek() != '"') {
                    throw error(map.isEmpty() ? "expected a string key or '}'" : "expected a string key after ','");
                }
                int keyPos = pos;
                String key = string();
                skipWhitespace();
                if (peek() != ':') {
                    throw error("expected ':' after object key \"" + key + "\"");
                }
                pos++;
                skipWhitespace();
                Object v = value(depth);
                if (map.containsKey(key)) {
                    throw new JsonException("duplicate key \"" + key + "\" " + where(keyPos), keyPos);
                }
                map.put(key, v);
                skipWhitespace();
                int c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == '}') {
                    pos++;
                    return map;
                } else {
                    throw error("expected ',' or '}' after an object member");
                }
            }
        }

        private List<Object> array(int depth) {
            checkDepth(depth);
            pos++; // '['
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return list;
            }
            while (true) {
                skipWhitespace();
                list.add(value(depth));
                skipWhitespace();
                int c = peek();
                if (c == ',') {
                    pos++;
                } else if (c == ']') {
                    pos++;
                    return list;
                } else {
                    throw error("expected ',' or ']' after an array element");
                }
            }
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nesting deeper than " + MAX_DEPTH + " arrays and objects");
            }
        }

        private String string() {
            pos++; // opening quote
            StringBuilder sb = null;
            int runStart = pos;
            while (true) {
                if (pos >= s.length()) {
                    throw error("expected '\"' to close the string");
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    String tail = s.substring(runStart, pos);
                    pos++;
                    return sb == null ? tail : sb.append(tail).toString();
                }
                if (c < 0x20) {
                    throw error("expected a character in the string, found an unescaped control character"
                            + " (write it as an escape such as \\n or \\u001f)");
                }
                if (c != '\\') {
                    pos++;
                    continue;
                }
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append(s, runStart, pos);
                pos++;
                if (pos >= s.length()) {
                    throw error("expected an escape character after '\\'");
                }
                char e = s.charAt(pos);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        int code = 0;
                        for (int k = 1; k <= 4; k++) {
                            int h = pos + k < s.length() ? Character.digit(s.charAt(pos + k), 16) : -1;
                            if (h < 0) {
                                pos += k;
                                throw error("expected 4 hex digits after \\u");
                            }
                            code = code * 16 + h;
                        }
                        sb.append((char) code);
                        pos += 4;
                    }
                    default -> throw error("expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX as escape");
                }
                pos++;
                runStart = pos;
            }
        }

        private Object number() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            int c = peek();
            if (c == '0') {
                pos++;
                if (isDigit(peek())) {
                    throw error("expected '.', 'e' or the end of the number after a leading 0 (no leading zeros)");
                }
            } else if (isDigit(c)) {
                while (isDigit(peek())) {
                    pos++;
                }
            } else {
                throw error("expected a digit in the number");
            }
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) {
                    throw error("expected a digit after the decimal point");
                }
                while (isDigit(peek())) {
                    pos++;
                }
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                if (!isDigit(peek())) {
                    throw error("expected a digit in the exponent");
                }
                while (isDigit(peek())) {
                    pos++;
                }
            }
            String literal = s.substring(start, pos);
            if (integral && pos - start <= 20) {
                try {
                    return Long.parseLong(literal);
                } catch (NumberFormatException outOfLongRange) {
                    // falls through to double below, as documented
                }
            }
            double d = Double.parseDouble(literal);
            if (Double.isInfinite(d)) {
                throw new JsonException("number " + literal + " is outside the double range " + where(start), start);
            }
            return d;
        }

        private static boolean isDigit(int c) {
            return c >= '0' && c <= '9';
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) {
                throw error("expected '" + word + "'");
            }
            pos += word.length();
            return value;
        }

        JsonException error(String expected) {
            return new JsonException(expected + " " + where(pos) + ", found " + found(), pos);
        }

        private String found() {
            if (pos >= s.length()) {
                return "end of input";
            }
            char c = s.charAt(pos);
            if (c >= 0x20 && c < 0x7f) {
                return "'" + c + "'";
            }
            return String.format("U+%04X", (int) c);
        }

        private String where(int offset) {
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset && i < s.length(); i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            return "at line " + line + ", column " + (offset - lineStart + 1) + " (offset " + offset + ")";
        }
    }

    private static final class Writer {
        private final StringBuilder out;
        private final boolean pretty;
        private final List<Object> path = new ArrayList<>();

        Writer(StringBuilder out, boolean pretty) {
            this.out = out;
            this.pretty = pretty;
        }

        void value(Object v, int depth) {
            if (v == null) {
                out.append("null");
            } else if (v instanceof CharSequence cs) {
                writeString(out, cs);
            } else if (v instanceof Character ch) {
                writeString(out, String.valueOf(ch));
            } else if (v instanceof Boolean b) {
                out.append(b.booleanValue());
            } else if (v instanceof Number n) {
                number(n);
            } else if (v instanceof Map<?, ?> m) {
                object(m, depth + 1);
            } else if (v instanceof Iterable<?> || v.getClass().isArray()) {
                array(elements(v), depth + 1);
            } else {
                throw error("cannot write a " + v.getClass().getName()
                        + " as JSON (use a Map, List, array, String, Number, Boolean or null)");
            }
        }

        private void number(Number n) {
            if (n instanceof Double || n instanceof Float) {
                double d = n.doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    throw error("cannot write " + n + " as JSON, which has no NaN or infinity (write null or a string)");
                }
                out.append(n instanceof Float f ? Float.toString(f) : Double.toString(d));
            } else if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                    || n instanceof BigInteger || n instanceof BigDecimal
                    || n instanceof java.util.concurrent.atomic.AtomicInteger
                    || n instanceof java.util.concurrent.atomic.AtomicLong) {
                out.append(n.toString());
            } else {
                throw error("cannot write a " + n.getClass().getName() + " as a JSON number");
            }
        }

        private void object(Map<?, ?> m, int depth) {
            checkDepth(depth);
            if (m.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw error("object key " + e.getKey() + " is a "
                            + (e.getKey() == null ? "null" : e.getKey().getClass().getName()) + ", not a String");
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                newline(depth);
                writeString(out, key);
                out.append(pretty ? ": " : ":");
                path.add(key);
                value(e.getValue(), depth);
                path.removeLast();
            }
            newline(depth - 1);
            out.append('}');
        }

        private void array(List<?> list, int depth) {
            checkDepth(depth);
            if (list.isEmpty()) {
                out.append("[]");
                return;
            }
            boolean inline = !pretty || allScalars(list);
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(',');
                    if (inline && pretty) {
                        out.append(' ');
                    }
                }
                if (!inline) {
                    newline(depth);
                }
                path.add(i);
                value(list.get(i), depth);
                path.removeLast();
            }
            if (!inline) {
                newline(depth - 1);
            }
            out.append(']');
        }

        private static boolean allScalars(List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> || o instanceof Iterable<?> || (o != null && o.getClass().isArray())) {
                    return false;
                }
            }
            return true;
        }

        private static List<?> elements(Object v) {
            if (v instanceof List<?> l) {
                return l;
            }
            List<Object> list = new ArrayList<>();
            if (v instanceof Iterable<?> it) {
                for (Object o : it) {
                    list.add(o);
                }
            } else {
                for (int i = 0, n = Array.getLength(v); i < n; i++) {
                    list.add(Array.get(v, i));
                }
            }
            return Collections.unmodifiableList(list);
        }

        private void newline(int depth) {
            if (pretty) {
                out.append('\n');
                for (int i = 0; i < depth; i++) {
                    out.append(INDENT);
                }
            }
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nesting deeper than " + MAX_DEPTH + " levels (does the value contain itself?)");
            }
        }

        private JsonException error(String message) {
            StringBuilder p = new StringBuilder("$");
            for (Object o : path) {
                if (o instanceof Integer i) {
                    p.append('[').append(i).append(']');
                } else {
                    p.append('.').append(o);
                }
            }
            return new JsonException(message + " at " + p, -1);
        }
    }
}
