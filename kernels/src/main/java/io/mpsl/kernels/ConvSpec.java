package io.mpsl.kernels;

/**
 * Geometry of a 2-D convolution over NCHW tensors. Input (batch, inChannels, inH, inW); weight
 * (outChannels, inChannels / groups, kernelH, kernelW); output (batch, outChannels, outH, outW).
 * Depthwise is {@code groups == inChannels == outChannels}.
 */
public record ConvSpec(int batch, int inChannels, int inH, int inW, int outChannels, int kernelH, int kernelW,
        int strideH, int strideW, int padH, int padW, int groups) {

    public ConvSpec {
        if (batch < 1 || inChannels < 1 || inH < 1 || inW < 1 || outChannels < 1 || kernelH < 1 || kernelW < 1
                || strideH < 1 || strideW < 1 || padH < 0 || padW < 0 || groups < 1) {
            throw new IllegalArgumentException("invalid convolution " + this);
        }
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("channels " + inChannels + "->" + outChannels + " not divisible by "
                    + groups + " groups");
        }
        if ((inH + 2 * padH - kernelH) < 0 || (inW + 2 * padW - kernelW) < 0) {
            throw new IllegalArgumentException("kernel larger than padded input in " + this);
        }
    }

    /** Square kernel, same stride and padding on both axes, one group. */
    public static ConvSpec of(int batch, int inChannels, int inH, int inW, int outChannels, int kernel, int stride,
            int pad) {
        return new ConvSpec(batch, inChannels, inH, inW, outChannels, kernel, kernel, stride, stride, pad, pad, 1);
    }

    public ConvSpec withBatch(int n) {
        return new ConvSpec(n, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW, padH, padW,
                groups);
    }

    public ConvSpec withGroups(int g) {
        return new ConvSpec(batch, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW, padH, padW,
                g);
    }

    /**
     * The data gradient of this stride-1, one-group convolution as a convolution itself: dIn = conv(dOut,
     * flipped weight) over the output map with padding kernel - 1 - pad, out channels and in channels swapped.
     */
    public ConvSpec dataGradientAsConvolution() {
        if (strideH != 1 || strideW != 1 || groups != 1) {
            throw new IllegalArgumentException("only a stride-1, one-group convolution's data gradient is a convolution: "
                    + this);
        }
        return new ConvSpec(batch, outChannels, outH(), outW(), inChannels, kernelH, kernelW, 1, 1, kernelH - 1 - padH,
                kernelW - 1 - padW, 1);
    }

    public int outH() {
        return (inH + 2 * padH - kernelH) / strideH + 1;
    }

    public int outW() {
        return (inW + 2 * padW - kernelW) / strideW + 1;
    }

    public long inputSize() {
        return (long) batch * inChannels * inH * inW;
    }

    public long outputSize() {
        return (long) batch * outChannels * outH() * outW();
    }

    public long weightSize() {
        return (long) outChannels * (inChannels / groups) * kernelH * kernelW;
    }

    /** Multiply-adds x 2 of the direct forward convolution (each backward pass costs the same). */
    public double forwardFlops() {
        return 2.0 * batch * outChannels * outH() * outW() * (inChannels / groups) * kernelH * kernelW;
    }
}
