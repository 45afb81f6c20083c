package io.mpsl.scheduler.tune;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.management.ObjectName;

/**
 * How the JVM's just-in-time compilers treat the plan search's code, for a search that is fast the first time
 * it runs in a process (a command-line {@code tune}, a {@code run} with {@code auto}): everything of the tuner
 * and the simulator's set-up ({@link #C1_ONLY}) is left to the quick compiler (C1), and only the simulator's
 * small per-event methods go on to the optimizing one (C2). The set-up methods are large (the bound, a
 * participant's declaration, the buffers' preparation, a plan's simulation set-up): C2 spent about 3 s of
 * processor time compiling them, several times over after uncommon traps, during the first search of a process, on
 * the two processors the search itself runs on; their C1 code is about as fast for what they do.
 *
 * <p>{@link #install()} adds the rule as a compiler directive through HotSpot's diagnostic command
 * ({@code Compiler.directives_add}, as {@code jcmd} does); the launcher calls it at start. It touches only the
 * methods named here, and does nothing on a JVM without the command.
 */
public final class SearchCompilation {
    /** Methods compiled by C1 only (HotSpot's directive patterns: package/Class.method, * as a wildcard). */
    static final List<String> C1_ONLY = List.of(
            "io/mpsl/scheduler/tune/*.*",
            "io/mpsl/scheduler/cost/PipelineSimulator.participant",
            "io/mpsl/scheduler/cost/PipelineSimulator.prepare",
            "io/mpsl/scheduler/cost/PipelineSimulator.sizeQueues",
            "io/mpsl/scheduler/cost/PipelineSimulator.countWork",
            "io/mpsl/scheduler/cost/PipelineSimulator.listResourceDeadlines",
            "io/mpsl/scheduler/cost/PipelineSimulator.countResourceWork",
            "io/mpsl/scheduler/cost/PipelineSimulator.simulate",
            "io/mpsl/scheduler/cost/PipelineSimulator.steps",
            "io/mpsl/scheduler/cost/PipelineSimulator.groupByResourceAndDeadline",
            "io/mpsl/scheduler/cost/PipelineSimulator.rankUrgencies");

    private static boolean installed;

    private SearchCompilation() {
    }

    /** The directive, in HotSpot's compiler directive format. */
    static String directive() {
        StringBuilder sb = new StringBuilder("[{ match: [");
        for (int i = 0; i < C1_ONLY.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append('"').append(C1_ONLY.get(i)).append('"');
        }
        return sb.append("], c2: { Exclude: true } }]\n").toString();
    }

    /**
     * Adds the directive to this JVM's compilers, once; returns whether it is in place (false where the JVM has no
     * such command or refused it: the search then runs as compiled by default, only slower the first time).
     */
    public static synchronized boolean install() {
        if (installed) {
            return true;
        }
        Path file = null;
        try {
            file = Files.createTempFile("mpsl-search-jit", ".json");
            Files.writeString(file, directive());
            Object out = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            installed = out == null || !String.valueOf(out).toLowerCase(java.util.Locale.ROOT).contains("fail");
        } catch (Exception | LinkageError e) {
            installed = false;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException e) {
                    file.toFile().deleteOnExit();
                }
            }
        }
        return installed;
    }

    /** This JVM's compiler directives as {@code Compiler.directives_print} prints them (empty where unknown). */
    static String printed() {
        try {
            return String.valueOf(ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesPrint",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()}));
        } catch (Exception e) {
            return "";
        }
    }

    /** Removes the directive added last (for tests, which leave the JVM as they found it). */
    static synchronized void uninstallForTests() {
        try {
            ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesRemove",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
        } catch (Exception e) {
            // nothing to undo
        }
        installed = false;
    }
}
