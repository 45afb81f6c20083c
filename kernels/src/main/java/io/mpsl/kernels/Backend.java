package io.mpsl.kernels;

import io.mpsl.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The operations training needs, over float32 row-major tensors. One interface, several providers (scalar
 * oracle, Vector API, OpenBLAS via FFM, CUDA); see {@link Backends} for how one is chosen.
 *
 * <p>Conventions: outputs first, then inputs, then dimensions. Layouts are NCHW for images and (batch,
 * features) for dense layers. Forward passes and {@code backwardData} overwrite their output; passes that
 * produce parameter gradients ({@code dWeight}, {@code dBias}) <b>add</b> into them, so micro-batch
 * gradients accumulate without extra buffers. Implementations allocate nothing per call after warm-up
 * (workspaces are kept and grown). A backend is safe to use from one thread at a time; it may use its own
 * worker threads inside a call ({@link #threads()}).
 */
public interface Backend extends AutoCloseable {

    /** Provider name, e.g. "openblas", "vector", "scalar". */
    String name();

    /** Worker threads this backend uses inside one call. */
    int threads();

    // ---------------------------------------------------------------- dense linear algebra

    /**
     * C = alpha * op(A) * op(B) + beta * C, row-major; op(X) = X or X^T. op(A) is (m, k), op(B) is (k, n),
     * C is (m, n). Offsets and leading dimensions are in elements. When beta == 0, C is not read.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, long aOffset,
            int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset, int ldc);

    /** C = alpha * op(A) * op(B) + beta * C on whole contiguous 2-D tensors. */
    default void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int m = transA ? a.shape().dim(1) : a.shape().dim(0);
        int k = transA ? a.shape().dim(0) : a.shape().dim(1);
        int kb = transB ? b.shape().dim(1) : b.shape().dim(0);
        int n = transB ? b.shape().dim(0) : b.shape().dim(1);
        if (k != kb || c.shape().dim(0) != m || c.shape().dim(1) != n) {
            throw new IllegalArgumentException("gemm shapes do not match: C" + c.shape() + " = A" + a.shape()
                    + (transA ? "^T" : "") + " * B" + b.shape() + (transB ? "^T" : ""));
        }
        sgemm(transA, transB, m, n, k, alpha, a.segment(), 0, a.shape().dim(1), b.segment(), 0, b.shape().dim(1),
                beta, c.segment(), 0, n);
    }

    // ---------------------------------------------------------------- convolution

    /** out[n,o,y,x] = sum_{c in group(o),i,j} in[n,c,y*s-p+i,x*s-p+j] * w[o,c,i,j] (no bias; see biasAdd). */
    void conv2dForward(Tensor out, Tensor in, Tensor weight, ConvSpec spec);

    /** dIn = d(out)/d(in)^T dOut, overwritten. */
    void conv2dBackwardData(Tensor dIn, Tensor dOut, Tensor weight, ConvSpec spec);

    /** dWeight += d(out)/d(weight)^T dOut, accumulated. */
    void conv2dBackwardWeights(Tensor dWeight, Tensor dOut, Tensor in, ConvSpec spec);

    /**
     * out = conv(in, weight) + bias[o] ({@code bias} null: none), then max(out, 0) when {@code relu}: the
     * convolution with its bias and activation in one call, so a backend may apply them while the output is in
     * cache. By default {@link #conv2dForward(Tensor, Tensor, Tensor, ConvSpec)}, {@link #biasAdd},
     * {@link #reluForward}.
     */
    default void conv2dForward(Tensor out, Tensor in, Tensor weight, Tensor bias, boolean relu, ConvSpec spec) {
        conv2dForward(out, in, weight, spec);
        if (bias != null) {
            biasAdd(out, bias, spec.batch(), spec.outChannels(), spec.outH() * spec.outW());
        }
        if (relu) {
            reluForward(out, out);
        }
    }

    /**
     * A convolution's whole backward in one call, so a backend may share the work on {@code dOut} between its
     * parts: dBias += sum_{n,y,x} dOut (when {@code dBias} is not null), dWeight += d(out)/d(weight)^T dOut,
     * and dIn = d(out)/d(in)^T dOut (when {@code dIn} is not null). By default the three calls.
     */
    default void conv2dBackward(Tensor dWeight, Tensor dBias, Tensor dIn, Tensor dOut, Tensor in, Tensor weight,
            ConvSpec spec) {
        if (dBias != null) {
            biasBackward(dBias, dOut, spec.batch(), spec.outChannels(), spec.outH() * spec.outW());
        }
        conv2dBackwardWeights(dWeight, dOut, in, spec);
        if (dIn != null) {
            conv2dBackwardData(dIn, dOut, weight, spec);
        }
    }

    // ---------------------------------------------------------------- pooling

    /** out = max over each window (padding never wins). */
    void maxPoolForward(Tensor out, Tensor in, PoolSpec spec);

    /** dIn = dOut routed to the first maximum of each window, overwritten (windows may overlap: summed). */
    void maxPoolBackward(Tensor dIn, Tensor dOut, Tensor in, PoolSpec spec);

    /** out = mean over each window, padding counted as zeros in the divisor. */
    void avgPoolForward(Tensor out, Tensor in, PoolSpec spec);

    /** dIn = dOut spread evenly over each window, overwritten. */
    void avgPoolBackward(Tensor dIn, Tensor dOut, PoolSpec spec);

    /** out[n,c] = mean_{y,x} in[n,c,y,x]; in (batch, channels, h*w) in any 3-D or 4-D view. */
    void globalAvgPoolForward(Tensor out, Tensor in, int batch, int channels, int spatial);

    /** dIn[n,c,s] = dOut[n,c] / spatial, overwritten. */
    void globalAvgPoolBackward(Tensor dIn, Tensor dOut, int batch, int channels, int spatial);

    // ---------------------------------------------------------------- activations (elementwise, any shape)

    /** out = max(in, 0). out may be in. */
    void reluForward(Tensor out, Tensor in);

    /** dIn = dOut * (in > 0). dIn may be dOut. */
    void reluBackward(Tensor dIn, Tensor dOut, Tensor in);

    /** out = in * relu6(in + 3) / 6. out may be in only if in is not needed for backward. */
    void hswishForward(Tensor out, Tensor in);

    /** dIn = dOut * (0 if in < -3; 1 if in > 3; (2 in + 3) / 6 otherwise). dIn may be dOut. */
    void hswishBackward(Tensor dIn, Tensor dOut, Tensor in);

    // ---------------------------------------------------------------- bias

    /** out[n,c,s] += bias[c] for out viewed as (batch, channels, spatial); spatial = 1 for dense layers. */
    void biasAdd(Tensor out, Tensor bias, int batch, int channels, int spatial);

    /** dBias[c] += sum_{n,s} dOut[n,c,s], accumulated. */
    void biasBackward(Tensor dBias, Tensor dOut, int batch, int channels, int spatial);

    // ---------------------------------------------------------------- loss

    /**
     * Softmax cross-entropy. probs[n,:] = softmax(logits[n,:]); returns sum_n -log probs[n, labels[n]] (the
     * caller divides by its batch size). logits and probs are (batch, classes); labels is I32 (batch).
     */
    double softmaxCrossEntropyForward(Tensor probs, Tensor logits, Tensor labels);

    /**
     * dLogits = scale * (probs - onehot(labels)), overwritten. With scale = 1 / miniBatch, micro-batch
     * gradients add up to the mini-batch mean.
     */
    void softmaxCrossEntropyBackward(Tensor dLogits, Tensor probs, Tensor labels, float scale);

    // ---------------------------------------------------------------- optimizers (in place, any shape)

    /**
     * SGD with momentum and weight decay (PyTorch semantics): g = grad + weightDecay * param;
     * velocity = momentum * velocity + g; param -= lr * velocity. With momentum 0, velocity may be null.
     */
    void sgdStep(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay);

    /**
     * Adam (PyTorch semantics, L2 weight decay): g = grad + weightDecay * param; m = b1 m + (1-b1) g;
     * v = b2 v + (1-b2) g^2; param -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps); t counts from 1.
     */
    void adamStep(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
            float weightDecay, int t);

    // ---------------------------------------------------------------- elementwise utilities (any shape)

    /** out = sum_i weights[i] * ins[i] (federated averaging). out may be one of ins. */
    void scaledSum(Tensor out, Tensor[] ins, float[] weights);

    /** y += alpha * x. */
    void axpy(Tensor y, float alpha, Tensor x);

    /** t = 0 everywhere (gradients before a step); a backend may use its threads. By default {@link Tensor#zero}. */
    default void zero(Tensor t) {
        t.zero();
    }

    /** out = a + b (residual connections). out may be a or b. */
    void add(Tensor out, Tensor a, Tensor b);

    /** Releases worker threads and workspaces. */
    @Override
    default void close() {
    }
}
