package io.mpsl.launcher;

import io.mpsl.bench.train.Flags;
import io.mpsl.nn.data.DataDirs;
import io.mpsl.nn.data.DatasetFetcher;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code mpsl data fetch mnist|fashion-mnist [--dir DIR]}: fetches a dataset into {@code DIR/NAME} (see
 * {@link DatasetFetcher}); {@code mpsl data where}: prints the data directory commands use by default.
 */
final class DataCommand {
    static final String USAGE = "data fetch mnist|fashion-mnist [--dir DIR] | where";

    private DataCommand() {
    }

    static int run(String[] args) throws Exception {
        Flags f;
        try {
            f = Flags.parse(args, Set.of("dir"), Set.of());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        List<String> pos = f.positional();
        if (pos.isEmpty()) {
            throw new UsageException("which action? fetch or where");
        }
        switch (pos.get(0)) {
            case "fetch" -> {
                if (pos.size() != 2) {
                    throw new UsageException("fetch which dataset? one of " + DatasetFetcher.FETCHABLE);
                }
                try {
                    DatasetFetcher.checkName(pos.get(1));
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
                Path dir = f.path("dir", DataDirs.defaultDir()).toAbsolutePath();
                new DatasetFetcher(System.out).fetch(pos.get(1), dir);
                return 0;
            }
            case "where" -> {
                DataDirs.Search s = DataDirs.search();
                if (s.found() != null) {
                    System.out.println(s.found());
                } else {
                    System.out.println(DataDirs.defaultDir() + " (no shared data found; " + s.describe() + ")");
                }
                return 0;
            }
            default -> throw new UsageException("unknown action '" + pos.get(0) + "'; fetch or where");
        }
    }
}
