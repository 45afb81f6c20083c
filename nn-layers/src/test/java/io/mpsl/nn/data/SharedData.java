package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the provided datasets for tests, or skips the test saying where it looked. */
final class SharedData {
    private SharedData() {
    }

    /** The data directory holding {@code name/}; skips the calling test if there is none. */
    static Path dirWith(String name) {
        DataDirs.Search s = DataDirs.search();
        boolean ok = s.found() != null && Files.isDirectory(s.found().resolve(name));
        assumeTrue(ok, () -> "skipped: no " + name + "/ data directory found; " + s.describe()
                + ". Set -D" + DataDirs.PROPERTY + "=DIR or $" + DataDirs.ENV + " to a directory with " + name + "/");
        return s.found();
    }
}
