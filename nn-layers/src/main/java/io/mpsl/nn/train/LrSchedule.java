package io.mpsl.nn.train;

import java.util.List;

/**
 * The learning rate as a function of the optimizer step alone, so a resumed run follows the same curve.
 * {@code t = step / totalSteps} in [0, 1).
 */
public enum LrSchedule {
    /** lr(t) = base. */
    CONSTANT,
    /** lr(t) = base * (1 + cos(pi t)) / 2: from base down to (almost) zero at the last step. */
    COSINE,
    /** lr(t) = base * (1 - t): linear decay to (almost) zero. */
    LINEAR;

    public static final List<String> NAMES = List.of("constant", "cosine", "linear");

    /** The schedule of this lower-case name. */
    public static LrSchedule of(String name) {
        return switch (name) {
            case "constant" -> CONSTANT;
            case "cosine" -> COSINE;
            case "linear" -> LINEAR;
            default -> throw new IllegalArgumentException("unknown learning-rate schedule '" + name + "'; one of "
                    + NAMES);
        };
    }

    public String lowerName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The learning rate of step {@code step} (0-based) of {@code totalSteps} after a linear warm-up:
     * lr = at(base, step, totalSteps) * min(1, (step + 1) / warmupSteps).
     */
    public float at(float base, long step, long totalSteps, long warmupSteps) {
        float lr = at(base, step, totalSteps);
        return step < warmupSteps ? lr * (step + 1) / warmupSteps : lr;
    }

    /** The learning rate of step {@code step} (0-based) of {@code totalSteps}. */
    public float at(float base, long step, long totalSteps) {
        double t = totalSteps <= 0 ? 0 : Math.min(1.0, (double) step / totalSteps);
        return switch (this) {
            case CONSTANT -> base;
            case COSINE -> (float) (base * 0.5 * (1 + Math.cos(Math.PI * t)));
            case LINEAR -> (float) (base * (1 - t));
        };
    }
}
