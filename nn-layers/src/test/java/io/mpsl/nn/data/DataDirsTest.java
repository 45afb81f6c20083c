package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirsTest {
    @TempDir
    Path root;

    @Test
    void shouldFindSharedDataBesideTheCheckout() throws IOException {
        Path data = Files.createDirectories(root.resolve("shared/data/mnist")).getParent();
        Path work = Files.createDirectories(root.resolve("repo/nn-layers"));
        DataDirs.Search s = DataDirs.search(null, null, work);
        assertEquals(data, s.found());
        assertTrue(s.looked().contains(root.resolve("repo/shared/data").toString()), s.looked().toString());
    }

    @Test
    void shouldPreferThePropertyThenTheEnvironment() throws IOException {
        Files.createDirectories(root.resolve("shared/data/mnist"));
        Path p = Files.createDirectories(root.resolve("p"));
        Path e = Files.createDirectories(root.resolve("e"));
        assertEquals(p, DataDirs.search(p.toString(), e.toString(), root).found());
        assertEquals(e, DataDirs.search(null, e.toString(), root).found());
        assertEquals(e, DataDirs.search(root.resolve("absent").toString(), e.toString(), root).found());
    }

    @Test
    void shouldSayWhereItLookedWhenNothingIsFound() throws IOException {
        Path work = Files.createDirectories(root.resolve("a/b"));
        DataDirs.Search s = DataDirs.search(null, null, work);
        if (s.found() == null) {
            assertTrue(s.describe().contains(work.resolve("shared/data").toString()), s.describe());
            assertTrue(s.describe().contains("-Dmpsl.data.dir"), s.describe());
        } else {
            assertTrue(Files.isDirectory(s.found().resolve("mnist")), "found " + s.found());
        }
    }
}
