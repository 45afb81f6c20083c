package io.mpsl.scheduler.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The YAML subset mpsl configs use: nested block mappings and sequences by indentation, flow sequences
 * ({@code [a, b]}), scalars (integers, decimals, booleans, null, plain, single- or double-quoted strings)
 * and {@code #} comments. Anchors, tags, multi-line scalars and flow mappings are rejected with the line
 * number. Values become {@code Map<String,Object>} (key order kept), {@code List<Object>}, {@code String},
 * {@code Long}, {@code Double}, {@code Boolean} or null.
 */
public final class Yaml {

    private record Line(int number, int indent, String text) {
    }

    private final List<Line> lines = new ArrayList<>();
    private final String source;
    private int pos;

    private Yaml(String text, String source) {
        this.source = source;
        String[] raw = text.split("\r?\n", -1);
        for (int i = 0; i < raw.length; i++) {
            String l = stripComment(raw[i], i + 1);
            if (l.isBlank() || l.strip().equals("---")) {
                continue;
            }
            if (l.indexOf('\t') >= 0 && l.substring(0, l.length() - l.stripLeading().length()).indexOf('\t') >= 0) {
                throw error(i + 1, "tabs are not allowed for indentation");
            }
            int indent = l.length() - l.stripLeading().length();
            lines.add(new Line(i + 1, indent, l.strip()));
        }
    }

    /** Parses a document; {@code source} names it in error messages (e.g. the file name). */
    public static Object parse(String text, String source) {
        Yaml y = new Yaml(text, source);
        if (y.lines.isEmpty()) {
            return new LinkedHashMap<String, Object>();
        }
        Object v = y.block(y.lines.get(0).indent);
        if (y.pos < y.lines.size()) {
            throw y.error(y.lines.get(y.pos).number, "unexpected indentation");
        }
        return v;
    }

    private Object block(int indent) {
        Line first = lines.get(pos);
        if (first.text.startsWith("- ") || first.text.equals("-")) {
            return sequence(indent);
        }
        return mapping(indent);
    }

    private Map<String, Object> mapping(int indent) {
        Map<String, Object> map = new LinkedHashMap<>();
        while (pos < lines.size()) {
            Line l = lines.get(pos);
            if (l.indent < indent) {
                break;
            }
            if (l.indent > indent) {
                throw error(l.number, "unexpected indentation");
            }
            int colon = keyColon(l.text);
            if (colon < 0) {
                throw error(l.number, "expected 'key: value', got '" + l.text + "'");
            }
            String key = unquote(l.text.substring(0, colon).strip(), l.number);
            String rest = l.text.substring(colon + 1).strip();
            if (map.containsKey(key)) {
                throw error(l.number, "duplicate key '" + key + "'");
            }
            pos++;
            if (rest.isEmpty()) {
                if (pos < lines.size() && lines.get(pos).indent > indent) {
                    map.put(key, block(lines.get(pos).indent));
                } else if (pos < lines.size() && lines.get(pos).indent == indent && lines.get(pos).text.startsWith("-")) {
                    map.put(key, sequence(indent)); // "key:\n- a\n- b" at the same indentation
                } else {
                    map.put(key, null);
                }
            } else {
                map.put(key, scalarOrFlow(rest, l.number));
            }
        }
        return map;
    }

    private List<Object> sequence(int indent) {
        List<Object> list = new ArrayList<>();
        while (pos < lines.size()) {
            Line l = lines.get(pos);
            if (l.indent != indent || !(l.text.startsWith("- ") || l.text.equals("-"))) {
                if (l.indent > indent) {
                    throw error(l.number, "unexpected indentation");
                }
                break;
            }
            String rest = l.text.substring(1).strip();
            if (rest.isEmpty()) {
                pos++;
                if (pos < lines.size() && lines.get(pos).indent > indent) {
                    list.add(block(lines.get(pos).indent));
                } else {
                    list.add(null);
                }
            } else if (keyColon(rest) >= 0 && !rest.startsWith("[") && !rest.startsWith("\"") && !rest.startsWith("'")) {
                // "- key: value" starts a mapping indented at the item's content
                int childIndent = l.indent + (l.text.length() - rest.length());
                lines.set(pos, new Line(l.number, childIndent, rest));
                list.add(mapping(childIndent));
            } else {
                pos++;
                list.add(scalarOrFlow(rest, l.number));
            }
        }
        return list;
    }

    private Object scalarOrFlow(String s, int line) {
        if (s.startsWith("[")) {
            if (!s.endsWith("]")) {
                throw error(line, "flow sequence must close on the same line: " + s);
            }
            List<Object> list = new ArrayList<>();
            String inner = s.substring(1, s.length() - 1).strip();
            if (!inner.isEmpty()) {
                for (String part : splitFlow(inner, line)) {
                    list.add(scalar(part.strip(), line));
                }
            }
            return list;
        }
        if (s.startsWith("{") || s.startsWith("&") || s.startsWith("*") || s.startsWith("!") || s.startsWith("|")
                || s.startsWith(">")) {
            throw error(line, "unsupported YAML feature in '" + s + "' (use plain nested mappings and sequences)");
        }
        return scalar(s, line);
    }

    private List<String> splitFlow(String s, int line) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
                cur.append(c);
            } else if (c == '"' || c == '\'') {
                quote = c;
                cur.append(c);
            } else if (c == '[' || c == '{') {
                throw error(line, "nested flow collections are not supported");
            } else if (c == ',') {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        return parts;
    }

    private Object scalar(String s, int line) {
        if (s.startsWith("\"") || s.startsWith("'")) {
            return unquote(s, line);
        }
        switch (s) {
            case "true", "True", "TRUE", "yes", "on" -> {
                return Boolean.TRUE;
            }
            case "false", "False", "FALSE", "no", "off" -> {
                return Boolean.FALSE;
            }
            case "null", "~", "Null", "NULL" -> {
                return null;
            }
            default -> {
            }
        }
        if (s.matches("[-+]?[0-9][0-9_]*")) {
            return Long.parseLong(s.replace("_", ""));
        }
        if (s.matches("[-+]?([0-9][0-9_]*)?\\.?[0-9]+([eE][-+]?[0-9]+)?")) {
            return Double.parseDouble(s.replace("_", ""));
        }
        return s;
    }

    private String unquote(String s, int line) {
        if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) {
            String inner = s.substring(1, s.length() - 1);
            if (s.charAt(0) == '\'') {
                return inner.replace("''", "'");
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < inner.length(); i++) {
                char c = inner.charAt(i);
                if (c == '\\' && i + 1 < inner.length()) {
                    char e = inner.charAt(++i);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case '"' -> sb.append('"');
                        case '\\' -> sb.append('\\');
                        default -> throw error(line, "unsupported escape \\" + e);
                    }
                } else {
                    sb.append(c);
                }
            }
            return sb.toString();
        }
        if (s.startsWith("\"") || s.startsWith("'")) {
            throw error(line, "unterminated quoted string " + s);
        }
        return s;
    }

    /** Index of the colon that ends a key (followed by a space or the end), outside quotes; -1 if none. */
    private static int keyColon(String s) {
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                if (i == 0) {
                    quote = c;
                }
            } else if (c == '[') {
                return -1;
            } else if (c == ':' && (i + 1 == s.length() || s.charAt(i + 1) == ' ')) {
                return i;
            }
        }
        return -1;
    }

    private String stripComment(String l, int line) {
        char quote = 0;
        for (int i = 0; i < l.length(); i++) {
            char c = l.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                if (i == 0 || l.charAt(i - 1) == ' ' || l.charAt(i - 1) == '[' || l.charAt(i - 1) == ',') {
                    quote = c;
                }
            } else if (c == '#' && (i == 0 || l.charAt(i - 1) == ' ')) {
                return l.substring(0, i);
            }
        }
        return l;
    }

    private IllegalArgumentException error(int line, String what) {
        return new IllegalArgumentException(source + ":" + line + ": " + what);
    }
}
