package io.mpsl.nn.zoo;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.Backends;
import io.mpsl.nn.BlockProfile;
import io.mpsl.nn.MemoryReport;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.OptimizerSpec;
import io.mpsl.nn.Segment;
import io.mpsl.tensor.Shape;
import java.io.PrintStream;

/**
 * Prints a zoo model's blocks with their shapes and memory figures and, with {@code --profile}, their measured
 * forward and backward times per sample on the chosen backend ({@code -Dmpsl.backend}, {@code -Dmpsl.threads}):
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp CLASSPATH io.mpsl.nn.zoo.ModelSummary vgg16 3x32x32 10 --profile 32
 * </pre>
 */
public final class ModelSummary {
    private ModelSummary() {
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: ModelSummary MODEL [CxHxW] [CLASSES] [--profile BATCH]; models: "
                    + ModelZoo.names());
            System.exit(2);
        }
        Shape input = args.length > 1 ? parseShape(args[1]) : Shape.of(3, 32, 32);
        int classes = args.length > 2 && !args[2].startsWith("--") ? Integer.parseInt(args[2]) : 10;
        int profileBatch = 0;
        for (int i = 1; i < args.length - 1; i++) {
            if (args[i].equals("--profile")) {
                profileBatch = Integer.parseInt(args[i + 1]);
            }
        }
        ModelSpec spec = ModelZoo.create(args[0], input, classes);
        try (Backend backend = Backends.create()) {
            print(System.out, spec, backend, profileBatch);
        }
    }

    /** "3x32x32" to (3, 32, 32). */
    public static Shape parseShape(String s) {
        String[] parts = s.toLowerCase(java.util.Locale.ROOT).split("x");
        if (parts.length != 3) {
            throw new IllegalArgumentException("input shape must be CxHxW, e.g. 1x28x28, got " + s);
        }
        return Shape.of(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
    }

    /** The table; profiles with {@code profileBatch} samples if positive. */
    public static void print(PrintStream out, ModelSpec spec, Backend backend, int profileBatch) {
        Segment whole = spec.build(backend);
        BlockProfile[] blocks = profileBatch > 0 ? whole.profile(profileBatch, 2, 5, 1) : whole.footprint();
        out.printf("%s on %s, %,d parameters%n", spec, backend.name(), whole.parameterCount());
        out.printf("%3s %-36s %-16s %12s %12s %12s %12s %12s%n", "#", "block", "output", "params B", "out B/smp",
                "kept B/smp", "fwd us/smp", "bwd us/smp");
        for (BlockProfile b : blocks) {
            out.printf("%3d %-36s %-16s %,12d %,12d %,12d %12s %12s%n", b.index(), b.label(), spec.inputShape(b.index()
                    + 1), b.parameterBytes(), b.outputBytesPerSample(), b.keptBytesPerSample(), micros(b
                    .forwardNsPerSample()), micros(b.backwardNsPerSample()));
        }
        MemoryReport m = whole.memory(OptimizerSpec.adam(1e-3f, 0f), Math.max(profileBatch, 1));
        out.printf("Adam state %,d B (parameters %,d, gradients %,d, moments %,d, buffers %,d); activations for %d"
                + " samples: kept %,d B, scratch %,d B%n", m.stateBytes(), m.parameterBytes(), m.gradientBytes(), m
                        .optimizerBytes(), m.bufferBytes(), Math.max(profileBatch, 1), m.keptActivationBytes(), m
                                .scratchActivationBytes());
    }

    private static String micros(long ns) {
        return ns < 0 ? "-" : String.format("%.1f", ns / 1e3);
    }
}
