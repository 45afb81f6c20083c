package io.mpsl.launcher;

import java.util.Arrays;
import java.util.List;

/** The {@code mpsl} command line. Each command is a {@link Command}; {@code --help} lists them. */
public final class Main {

    /** One top-level command: {@code mpsl NAME ARGS...}. */
    public record Command(String name, String usage, String summary, Runner runner) {
    }

    /** Runs a command with its arguments; returns the process exit code. */
    @FunctionalInterface
    public interface Runner {
        int run(String[] args) throws Exception;
    }

    static final List<Command> COMMANDS = List.of(
            new Command("demo", DemoCommand.USAGE,
                    "MNIST, 4 owners, U-shaped, 2 hops, pipelined; then FL and sequential SL (no setup)",
                    DemoCommand::run),
            new Command("bench", "bench SUITE [OPTIONS]", "benchmarks: " + BenchCommand.suites(), BenchCommand::run),
            new Command("train", TrainCommand.USAGE, "train a zoo model on MNIST, Fashion-MNIST or CIFAR-10",
                    TrainCommand::run),
            new Command("data", DataCommand.USAGE, "fetch datasets; show the data directory", DataCommand::run),
            new Command("run", RunCommand.USAGE, "run a split-learning config, every role in this JVM", RunCommand::run),
            new Command("node", NodeCommand.USAGE, "run one role of a config in this process, over UDP (process mode)",
                    NodeCommand::run),
            new Command("tune", TuneCommand.USAGE, "choose cut points and micro-batches from live profiles",
                    TuneCommand::run));

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            printHelp();
            return args.length == 0 ? 2 : 0;
        }
        for (Command c : COMMANDS) {
            if (c.name().equals(args[0])) {
                // the plan search's set-up code to the quick compiler, so that a process's first search is quick
                io.mpsl.scheduler.tune.SearchCompilation.install();
                try {
                    return c.runner().run(Arrays.copyOfRange(args, 1, args.length));
                } catch (UsageException e) {
                    System.err.println("mpsl " + c.name() + ": " + e.getMessage());
                    System.err.println("usage: mpsl " + c.usage());
                    return 2;
                } catch (Exception e) {
                    System.err.println("mpsl " + c.name() + ": " + e.getMessage());
                    if (Boolean.getBoolean("mpsl.debug")) {
                        e.printStackTrace();
                    }
                    return 1;
                }
            }
        }
        System.err.println("mpsl: unknown command '" + args[0] + "'");
        printHelp();
        return 2;
    }

    private static void printHelp() {
        System.out.println("mpsl - multihop parallel split learning");
        System.out.println();
        System.out.println("usage: ./mpsl COMMAND [ARGS]");
        System.out.println();
        int w = 0;
        for (Command c : COMMANDS) {
            w = Math.max(w, c.usage().length());
        }
        for (Command c : COMMANDS) {
            System.out.printf("  %-" + w + "s  %s%n", c.usage(), c.summary());
        }
        System.out.printf("  %-" + w + "s  %s%n", "test [MAVEN ARGS]", "build and run the test suite (handled by the ./mpsl script)");
        System.out.println();
        System.out.println("Options for every command: -Dmpsl.backend=openblas|vector|scalar and -Dmpsl.threads=N via MPSL_JAVA_OPTS.");
    }
}
