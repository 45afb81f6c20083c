package io.mpsl.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Chooses a {@link Backend} provider once per process: the best available one, or the one named by the
 * system property {@value #BACKEND_PROPERTY}. The choice, and why better providers were passed over, is
 * logged once. The default thread count is {@value #THREADS_PROPERTY} or, if unset, all available cores.
 */
public final class Backends {
    public static final String BACKEND_PROPERTY = "mpsl.backend";
    public static final String THREADS_PROPERTY = "mpsl.threads";

    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    private static volatile BackendProvider chosen;

    private Backends() {
    }

    /** Every provider on the class path, best first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(list::add);
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return list;
    }

    /** The provider with this name, whether or not it is available. */
    public static BackendProvider provider(String name) {
        for (BackendProvider p : providers()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no backend named '" + name + "'; known: " + names());
    }

    /** The provider this process uses, chosen on first call. */
    public static BackendProvider chosen() {
        BackendProvider p = chosen;
        if (p == null) {
            synchronized (Backends.class) {
                p = chosen;
                if (p == null) {
                    Choice c = choose(providers(), System.getProperty(BACKEND_PROPERTY));
                    LOG.log(System.Logger.Level.INFO, c.message());
                    p = c.provider();
                    chosen = p;
                }
            }
        }
        return p;
    }

    /** A backend of the chosen provider with the default thread count. */
    public static Backend create() {
        return chosen().create(defaultThreads());
    }

    /** A backend of the chosen provider with {@code threads} worker threads. */
    public static Backend create(int threads) {
        return chosen().create(threads);
    }

    /** {@value #THREADS_PROPERTY} if set, else the number of available processors. */
    public static int defaultThreads() {
        String t = System.getProperty(THREADS_PROPERTY);
        if (t == null || t.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(t.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + THREADS_PROPERTY + "=" + t + " is not a positive integer", e);
        }
    }

    /** A chosen provider and the line that says why (logged once by {@link #chosen()}). */
    record Choice(BackendProvider provider, String message) {
    }

    /**
     * The forced provider, else the first available of {@code candidates} (best first); the message names
     * the better ones passed over and why.
     */
    static Choice choose(List<BackendProvider> candidates, String forced) {
        if (forced != null && !forced.isBlank()) {
            BackendProvider p = null;
            for (BackendProvider c : candidates) {
                if (c.name().equalsIgnoreCase(forced.trim())) {
                    p = c;
                }
            }
            if (p == null) {
                throw new IllegalArgumentException("no backend named '" + forced + "' (-D" + BACKEND_PROPERTY
                        + "); known: " + names());
            }
            String why = p.unavailableReason();
            if (why != null) {
                throw new IllegalStateException("backend '" + forced + "' was forced with -D" + BACKEND_PROPERTY
                        + " but cannot run here: " + why);
            }
            return new Choice(p, "Using backend " + p.name() + " (forced by -D" + BACKEND_PROPERTY + ")");
        }
        StringBuilder passed = new StringBuilder();
        for (BackendProvider p : candidates) {
            String why = p.unavailableReason();
            if (why == null) {
                return new Choice(p, "Using backend " + p.name() + (passed.isEmpty() ? "" : passed + ")"));
            }
            passed.append(passed.isEmpty() ? " (" : "; ").append(p.name()).append(" unavailable: ").append(why);
        }
        throw new IllegalStateException("no backend can run here" + passed + ")");
    }

    private static List<String> names() {
        List<String> n = new ArrayList<>();
        for (BackendProvider p : providers()) {
            n.add(p.name());
        }
        return n;
    }
}
