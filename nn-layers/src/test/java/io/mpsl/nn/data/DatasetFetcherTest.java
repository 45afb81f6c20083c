package io.mpsl.nn.data;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Only the paths that need no network: a valid copy already present, and argument checks. */
class DatasetFetcherTest {

    @Test
    void shouldSayTheDatasetIsAlreadyPresentAndFetchNothing() throws Exception {
        Path dir = SharedData.dirWith("mnist");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean fetched = new DatasetFetcher(new PrintStream(out, true, StandardCharsets.UTF_8)).fetch("mnist", dir);
        String said = out.toString(StandardCharsets.UTF_8);
        System.out.println(said);
        assertFalse(fetched);
        assertTrue(said.contains("mnist is already present and valid: " + dir.resolve("mnist")
                + " (60000 train, 10000 test samples); nothing to fetch"), said);
    }

    @Test
    void shouldRejectDatasetsItCannotFetch() {
        DatasetFetcher f = new DatasetFetcher(System.out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.fetch("imagenet", Path.of(".")));
        assertTrue(e.getMessage().contains("cannot fetch 'imagenet'; one of [mnist, fashion-mnist]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> f.fetch("cifar10", Path.of(".")));
        assertTrue(e.getMessage().contains("cifar-10-binary.tar.gz"), e.getMessage());
    }

    @Test
    void shouldNotTakeABrokenCopyForAValidOne(@TempDir Path dir) throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("mnist"));
        java.nio.file.Files.write(dir.resolve("mnist/train-labels-idx1-ubyte"), new byte[] {0, 0, 8, 1, 0, 0, 0, 9});
        assertNull(DatasetFetcher.describeValidCopy("mnist", dir));
    }
}
