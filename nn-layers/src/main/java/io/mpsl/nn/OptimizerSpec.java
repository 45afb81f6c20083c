package io.mpsl.nn;

/**
 * Which optimizer updates a part's parameters, with PyTorch's semantics (see {@link io.mpsl.kernels.Backend#sgdStep}
 * and {@link io.mpsl.kernels.Backend#adamStep}). Its state (momentum, Adam moments) is allocated with the
 * parameters, in the same arena.
 */
public record OptimizerSpec(Kind kind, float learningRate, float momentum, float weightDecay, float beta1, float beta2,
        float eps) {

    public enum Kind {
        SGD, ADAM
    }

    public OptimizerSpec {
        if (!(learningRate >= 0) || !(momentum >= 0) || !(weightDecay >= 0) || !(beta1 >= 0 && beta1 < 1)
                || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0)) {
            throw new IllegalArgumentException("invalid optimizer settings " + this);
        }
    }

    /** SGD with momentum (0 for plain SGD, which keeps no state) and L2 weight decay. */
    public static OptimizerSpec sgd(float learningRate, float momentum, float weightDecay) {
        return new OptimizerSpec(Kind.SGD, learningRate, momentum, weightDecay, 0.9f, 0.999f, 1e-8f);
    }

    /** Adam with betas (0.9, 0.999), eps 1e-8 and L2 weight decay. */
    public static OptimizerSpec adam(float learningRate, float weightDecay) {
        return new OptimizerSpec(Kind.ADAM, learningRate, 0f, weightDecay, 0.9f, 0.999f, 1e-8f);
    }

    /** Tensors of optimizer state per parameter tensor: 0 (plain SGD), 1 (momentum) or 2 (Adam). */
    public int stateTensorsPerParameter() {
        return kind == Kind.ADAM ? 2 : (momentum > 0 ? 1 : 0);
    }

    public OptimizerSpec withLearningRate(float lr) {
        return new OptimizerSpec(kind, lr, momentum, weightDecay, beta1, beta2, eps);
    }
}
