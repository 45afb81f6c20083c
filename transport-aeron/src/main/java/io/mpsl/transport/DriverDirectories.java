package io.mpsl.transport;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.IoUtil;

/**
 * Names and cleans the folders of embedded media drivers. Each driver gets its own folder,
 * {@code mpsl-aeron-PID-N-RANDOM} under /dev/shm (or the temp dir), so drivers of parallel JVMs never meet;
 * folders whose process is gone (a killed run) are removed before a new driver starts.
 */
public final class DriverDirectories {
    /** Prefix of every folder mpsl's embedded drivers create. */
    public static final String PREFIX = "mpsl-aeron-";

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private DriverDirectories() {
    }

    /** Where driver folders go: /dev/shm when it exists (memory-backed), else java.io.tmpdir. */
    public static Path baseDirectory() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** A fresh folder name for a driver of this process. */
    public static Path newDirectory(Path base) {
        long pid = ProcessHandle.current().pid();
        return base.resolve(PREFIX + pid + "-" + COUNTER.incrementAndGet() + "-"
                + Long.toHexString(System.nanoTime() & 0xFFFFFFL));
    }

    /** The process id a driver folder name carries, or -1 if the name is not one of ours. */
    static long ownerPid(String name) {
        if (!name.startsWith(PREFIX)) {
            return -1;
        }
        int end = name.indexOf('-', PREFIX.length());
        if (end < 0) {
            return -1;
        }
        try {
            return Long.parseLong(name, PREFIX.length(), end, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Removes the driver folders under {@code base} whose owning process is no longer alive.
     *
     * @return how many folders were removed
     */
    public static int removeStale(Path base) {
        File[] entries = base.toFile().listFiles();
        if (entries == null) {
            return 0;
        }
        int removed = 0;
        for (File f : entries) {
            long pid = ownerPid(f.getName());
            if (pid > 0 && f.isDirectory() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) == Boolean.FALSE) {
                IoUtil.delete(f, true);
                if (!f.exists()) {
                    removed++;
                }
            }
        }
        return removed;
    }

    /** Deletes one driver folder and everything in it. */
    static void delete(Path dir) throws IOException {
        IoUtil.delete(dir.toFile(), false);
    }
}
