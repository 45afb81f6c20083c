package io.mpsl.bench.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options of the form {@code --name VALUE} (or {@code --name=VALUE}) and positional arguments.
 * Unknown options, missing values and values of the wrong kind are {@link IllegalArgumentException}s whose
 * message names the option, the bad value and what is expected.
 */
public final class Flags {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    private Flags() {
    }

    /**
     * @param valued the option names (without {@code --}) that take a value
     * @param switches the option names that take none ({@link #has} tells whether they were given)
     */
    public static Flags parse(String[] args, Set<String> valued, Set<String> switches) {
        Flags f = new Flags();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                f.positional.add(a);
                continue;
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (switches.contains(name)) {
                if (value != null) {
                    throw new IllegalArgumentException("--" + name + " takes no value, got '" + value + "'");
                }
                f.values.put(name, "true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--" + name + " needs a value");
                    }
                    value = args[++i];
                }
                f.values.put(name, value);
            } else {
                List<String> known = new ArrayList<>();
                for (String k : valued) {
                    known.add("--" + k);
                }
                for (String k : switches) {
                    known.add("--" + k);
                }
                known.sort(null);
                throw new IllegalArgumentException("unknown option '" + a + "'; known: " + String.join(" ", known));
            }
        }
        return f;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public List<String> positional() {
        return List.copyOf(positional);
    }

    public String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /** The option's value, which must be given. */
    public String required(String name, String what) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required (" + what + ")");
        }
        return v;
    }

    public Path path(String name, Path fallback) {
        String v = values.get(name);
        return v == null ? fallback : Path.of(v);
    }

    /** An integer of at least {@code min}. */
    public int integer(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " " + v + " is not an integer >= " + min, e);
        }
    }

    public long longValue(String name, long fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " " + v + " is not an integer", e);
        }
    }

    /** A finite number of at least {@code min}. */
    public float number(String name, float fallback, float min) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            float x = Float.parseFloat(v.trim());
            if (!(x >= min) || Float.isInfinite(x)) {
                throw new NumberFormatException();
            }
            return x;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " " + v + " is not a number >= " + min, e);
        }
    }

    /** A comma-separated list of positive integers, e.g. {@code 1,2,4}. */
    public int[] integers(String name, int[] fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback.clone();
        }
        String[] parts = v.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
                if (out[i] < 1) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " " + v + " is not a comma-separated list of positive "
                        + "integers", e);
            }
        }
        return out;
    }

    /** One of {@code choices}. */
    public String choice(String name, String fallback, List<String> choices) {
        String v = values.getOrDefault(name, fallback);
        if (!choices.contains(v)) {
            throw new IllegalArgumentException("--" + name + " " + v + " is not one of " + choices);
        }
        return v;
    }
}
