package io.mpsl.nn.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the directory holding the datasets (with {@code mnist/}, {@code fashion-mnist/} ... under it), in
 * this order: the system property {@value #PROPERTY}; the environment variable {@value #ENV}; then, from the
 * working directory up to the file-system root, {@code shared/data} and {@code ../shared/data} beside each
 * ancestor (a CI checkout has {@code ../shared} beside the repository) when they hold {@code mnist/}.
 */
public final class DataDirs {
    public static final String PROPERTY = "mpsl.data.dir";
    public static final String ENV = "MPSL_DATA_DIR";

    private DataDirs() {
    }

    /**
     * Where the search ended.
     *
     * @param found the data directory, or null if none was found
     * @param looked every place looked at, in order (for a message saying where)
     */
    public record Search(Path found, List<String> looked) {
        /** "looked at: A, B, ..." for messages. */
        public String describe() {
            return "looked at -D" + PROPERTY + ", $" + ENV + " and " + String.join(", ", looked);
        }
    }

    /** Searches from the current working directory. */
    public static Search search() {
        return search(System.getProperty(PROPERTY), System.getenv(ENV), Path.of("").toAbsolutePath());
    }

    static Search search(String property, String env, Path start) {
        List<String> looked = new ArrayList<>();
        for (String given : new String[] {property, env}) {
            if (given != null && !given.isBlank()) {
                Path p = Path.of(given.trim()).toAbsolutePath().normalize();
                looked.add(p.toString());
                if (Files.isDirectory(p)) {
                    return new Search(p, looked);
                }
            }
        }
        for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            Path[] candidates = {dir.resolve("shared").resolve("data"),
                    dir.getParent() == null ? null : dir.getParent().resolve("shared").resolve("data")};
            for (Path c : candidates) {
                if (c == null) {
                    continue;
                }
                looked.add(c.toString());
                if (Files.isDirectory(c.resolve("mnist"))) {
                    return new Search(c.normalize(), looked);
                }
            }
        }
        return new Search(null, looked);
    }

    /** The data directory found by {@link #search()}, else {@code ./data}. */
    public static Path defaultDir() {
        Search s = search();
        return s.found() != null ? s.found() : Path.of("data").toAbsolutePath();
    }
}
