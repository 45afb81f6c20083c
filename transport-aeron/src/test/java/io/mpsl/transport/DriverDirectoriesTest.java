package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriverDirectoriesTest {
    @Test
    void shouldRemoveFoldersOfDeadProcessesOnlyAndNothingElse(@TempDir Path base) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = Files.createDirectories(base.resolve(DriverDirectories.PREFIX + gone.pid() + "-1-abc"));
        Files.writeString(stale.resolve("cnc.dat"), "x");
        Path live = Files.createDirectories(DriverDirectories.newDirectory(base));
        Path foreign = Files.createDirectories(base.resolve("aeron-someone-else"));
        assertEquals(1, DriverDirectories.removeStale(base));
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(live), "the folder of a live process was removed");
        assertTrue(Files.exists(foreign), "a folder that is not mpsl's was removed");
        assertEquals(ProcessHandle.current().pid(), DriverDirectories.ownerPid(live.getFileName().toString()));
    }

    @Test
    void shouldDeleteItsDriverFolderWhenTheTransportCloses() {
        String dir;
        try (Transport t = Transport.launch(TransportTestSupport.context())) {
            dir = t.context().aeronDirectoryName();
            assertTrue(Files.exists(Path.of(dir)));
        }
        assertFalse(Files.exists(Path.of(dir)), "the driver folder outlived the transport");
    }
}
