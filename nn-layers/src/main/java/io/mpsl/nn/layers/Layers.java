package io.mpsl.nn.layers;

import io.mpsl.nn.Init;
import io.mpsl.nn.LayerSpec;
import java.util.List;

/** Short factory methods for layer specs, for writing models (see {@link io.mpsl.nn.zoo.ModelZoo}). */
public final class Layers {
    private Layers() {
    }

    /** k x k convolution with bias, He-normal weights. */
    public static LayerSpec conv(int out, int kernel, int stride, int padding) {
        return new Conv2d.Spec(out, kernel, stride, padding, 1, true, Init.HE_NORMAL);
    }

    /** k x k convolution without bias (followed by batch norm). */
    public static LayerSpec convNoBias(int out, int kernel, int stride, int padding) {
        return new Conv2d.Spec(out, kernel, stride, padding, 1, false, Init.HE_NORMAL);
    }

    /** Grouped convolution without bias; depthwise when groups == in == out channels. */
    public static LayerSpec groupedConv(int out, int kernel, int stride, int padding, int groups) {
        return new Conv2d.Spec(out, kernel, stride, padding, groups, false, Init.HE_NORMAL);
    }

    /** Fully connected layer with bias, Xavier-uniform weights. */
    public static LayerSpec linear(int out) {
        return new Linear.Spec(out, true, Init.XAVIER_UNIFORM);
    }

    /** Fully connected layer with bias, He-normal weights (hidden layers followed by ReLU). */
    public static LayerSpec linearHe(int out) {
        return new Linear.Spec(out, true, Init.HE_NORMAL);
    }

    public static LayerSpec relu() {
        return new ReLU.Spec();
    }

    public static LayerSpec hswish() {
        return new HSwish.Spec();
    }

    public static LayerSpec batchNorm() {
        return new BatchNorm2d.Spec();
    }

    public static LayerSpec maxPool(int kernel, int stride, int padding) {
        return new MaxPool2d.Spec(kernel, stride, padding);
    }

    public static LayerSpec avgPool(int kernel, int stride, int padding) {
        return new AvgPool2d.Spec(kernel, stride, padding);
    }

    public static LayerSpec globalAvgPool() {
        return new GlobalAvgPool.Spec();
    }

    public static LayerSpec adaptiveAvgPool(int outH, int outW) {
        return new AdaptiveAvgPool2d.Spec(outH, outW);
    }

    public static LayerSpec flatten() {
        return new Flatten.Spec();
    }

    public static LayerSpec dropout(float p) {
        return new Dropout.Spec(p);
    }

    public static LayerSpec squeezeExcite(int reduced) {
        return new SqueezeExcite.Spec(reduced);
    }

    /** out = relu(main(in) + shortcut(in)); an empty shortcut is the identity. */
    public static LayerSpec residual(List<LayerSpec> main, List<LayerSpec> shortcut) {
        return new Residual.Spec(main, shortcut, true);
    }

    /** out = main(in) + shortcut(in) with no activation after the sum (MobileNet's inverted residual). */
    public static LayerSpec residualLinear(List<LayerSpec> main, List<LayerSpec> shortcut) {
        return new Residual.Spec(main, shortcut, false);
    }

    /** ResNet basic block: 3x3 conv-bn-relu, 3x3 conv-bn, plus identity or 1x1 conv-bn projection, then ReLU. */
    public static LayerSpec basicBlock(int inChannels, int out, int stride) {
        List<LayerSpec> main = List.of(convNoBias(out, 3, stride, 1), batchNorm(), relu(), convNoBias(out, 3, 1, 1),
                batchNorm());
        return residual(main, projection(inChannels, out, stride));
    }

    /** ResNet bottleneck: 1x1 conv (mid), 3x3 conv (mid, stride), 1x1 conv (4 mid), each with batch norm. */
    public static LayerSpec bottleneck(int inChannels, int mid, int stride) {
        int out = 4 * mid;
        List<LayerSpec> main = List.of(convNoBias(mid, 1, 1, 0), batchNorm(), relu(), convNoBias(mid, 3, stride, 1),
                batchNorm(), relu(), convNoBias(out, 1, 1, 0), batchNorm());
        return residual(main, projection(inChannels, out, stride));
    }

    private static List<LayerSpec> projection(int inChannels, int out, int stride) {
        return stride == 1 && inChannels == out ? List.of() : List.of(convNoBias(out, 1, stride, 0), batchNorm());
    }
}
