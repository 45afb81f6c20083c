package io.mpsl.launcher;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The arguments of the commands that take a config: {@code CONFIG.yaml [--set key=value ...]} plus the
 * command's own options, each with one value ({@code --out DIR}, {@code --json FILE}, {@code --role NAME}).
 */
record ConfigArgs(Path config, List<String> sets, Map<String, String> options) {

    /**
     * Parses {@code args}; {@code options} maps each option the command takes (e.g. "--out") to what its value
     * is, for the error when the value is missing; {@code example} is a config to name when none is given.
     */
    static ConfigArgs parse(String[] args, Map<String, String> options, String example) throws UsageException {
        Path config = null;
        List<String> sets = new ArrayList<>();
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--set") || options.containsKey(a)) {
                if (++i >= args.length) {
                    throw new UsageException(a + " needs " + (a.equals("--set") ? "key=value" : options.get(a)));
                }
                if (a.equals("--set")) {
                    sets.add(args[i]);
                } else {
                    values.put(a, args[i]);
                }
            } else if (a.startsWith("--") || config != null) {
                throw new UsageException("unexpected argument '" + a + "'");
            } else {
                config = Path.of(a);
            }
        }
        if (config == null) {
            throw new UsageException("which config? e.g. " + example);
        }
        return new ConfigArgs(config, List.copyOf(sets), Map.copyOf(values));
    }

    /** The value of {@code option} as a path, or null when not given. */
    Path path(String option) {
        String v = options.get(option);
        return v == null ? null : Path.of(v);
    }
}
