package io.mpsl.kernels;

/**
 * Geometry of a 2-D pooling over NCHW tensors: input (batch, channels, inH, inW), output (batch, channels,
 * outH, outW). Padding counts as -inf for max pooling and as zeros included in the divisor for average
 * pooling (PyTorch's defaults).
 */
public record PoolSpec(int batch, int channels, int inH, int inW, int kernelH, int kernelW, int strideH, int strideW,
        int padH, int padW) {

    public PoolSpec {
        if (batch < 1 || channels < 1 || inH < 1 || inW < 1 || kernelH < 1 || kernelW < 1 || strideH < 1
                || strideW < 1 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("invalid pooling " + this);
        }
        if (padH * 2 > kernelH || padW * 2 > kernelW) {
            throw new IllegalArgumentException("padding must be at most half the kernel in " + this);
        }
        if (inH + 2 * padH < kernelH || inW + 2 * padW < kernelW) {
            throw new IllegalArgumentException("kernel larger than padded input in " + this);
        }
    }

    /** Square window, same stride and padding on both axes. */
    public static PoolSpec of(int batch, int channels, int inH, int inW, int kernel, int stride, int pad) {
        return new PoolSpec(batch, channels, inH, inW, kernel, kernel, stride, stride, pad, pad);
    }

    public PoolSpec withBatch(int n) {
        return new PoolSpec(n, channels, inH, inW, kernelH, kernelW, strideH, strideW, padH, padW);
    }

    public int outH() {
        return (inH + 2 * padH - kernelH) / strideH + 1;
    }

    public int outW() {
        return (inW + 2 * padW - kernelW) / strideW + 1;
    }
}
