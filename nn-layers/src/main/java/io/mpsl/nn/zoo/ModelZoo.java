package io.mpsl.nn.zoo;

import static io.mpsl.nn.layers.Layers.adaptiveAvgPool;
import static io.mpsl.nn.layers.Layers.basicBlock;
import static io.mpsl.nn.layers.Layers.batchNorm;
import static io.mpsl.nn.layers.Layers.bottleneck;
import static io.mpsl.nn.layers.Layers.conv;
import static io.mpsl.nn.layers.Layers.convNoBias;
import static io.mpsl.nn.layers.Layers.dropout;
import static io.mpsl.nn.layers.Layers.flatten;
import static io.mpsl.nn.layers.Layers.globalAvgPool;
import static io.mpsl.nn.layers.Layers.groupedConv;
import static io.mpsl.nn.layers.Layers.hswish;
import static io.mpsl.nn.layers.Layers.linear;
import static io.mpsl.nn.layers.Layers.linearHe;
import static io.mpsl.nn.layers.Layers.maxPool;
import static io.mpsl.nn.layers.Layers.relu;
import static io.mpsl.nn.layers.Layers.residualLinear;
import static io.mpsl.nn.layers.Layers.squeezeExcite;

import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ModelSpec;
import io.mpsl.tensor.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The models of the papers, for (channels, height, width) inputs such as 1x28x28 (MNIST) or 3x32x32 (CIFAR-10).
 * CIFAR layouts throughout (3x3 stems, no stem pooling). Adaptations for inputs that are not 32x32:
 * <ul>
 * <li>2x2 max pools on an odd size pad by one (PyTorch's ceil mode), so 28 goes 14, 7, 4, 2, 1 through VGG's
 * five pools and VGG's classifier still sees 512 features;
 * <li>LeNet-5's first convolution pads by (32 - H) / 2 (2 for 28x28), the classic MNIST trick;
 * <li>MobileNetV3-small's stem has stride 1 (not 2) on inputs of 32 or less, so the last feature map is 2x2.
 * </ul>
 * Other sizes work where every layer still fits (at least 8x8; VGG needs 32 for the CIFAR sizes to hold, but
 * any size at or above 1 after the pools is accepted).
 */
public final class ModelZoo {
    private static final List<String> NAMES = List.of("mlp", "lenet5", "vgg5", "vgg11", "vgg16", "vgg19", "vgg19-tv",
            "resnet18", "resnet50", "mobilenetv3-small");

    private ModelZoo() {
    }

    /** Model names {@link #create} knows. */
    public static List<String> names() {
        return NAMES;
    }

    /** The model {@code name} for per-sample inputs {@code input} (channels, height, width) and {@code classes}. */
    public static ModelSpec create(String name, Shape input, int classes) {
        if (input.rank() != 3 || input.dim(1) < 8 || input.dim(2) < 8) {
            throw new IllegalArgumentException("model input must be (channels, height, width) of at least 8x8, got "
                    + input + " (e.g. (1, 28, 28) for MNIST, (3, 32, 32) for CIFAR-10)");
        }
        if (classes < 2) {
            throw new IllegalArgumentException("need at least 2 classes, got " + classes);
        }
        return switch (name) {
            case "mlp" -> mlp(input, classes);
            case "lenet5" -> lenet5(input, classes);
            case "vgg5" -> vgg5(input, classes);
            case "vgg11" -> vgg(name, input, classes, new int[] {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
                    false);
            case "vgg16" -> vgg(name, input, classes, new int[] {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512,
                    0, 512, 512, 512, 0}, false);
            case "vgg19" -> vgg(name, input, classes, VGG19, false);
            case "vgg19-tv" -> vgg(name, input, classes, VGG19, true);
            case "resnet18" -> resnet18(input, classes);
            case "resnet50" -> resnet50(input, classes);
            case "mobilenetv3-small" -> mobileNetV3Small(input, classes);
            default -> throw new IllegalArgumentException("unknown model '" + name + "'; known: " + NAMES);
        };
    }

    private static final int[] VGG19 = {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512,
        512, 512, 0};

    /** Tracks the shape while blocks are added, to choose pool padding. */
    private static final class Net {
        final ModelSpec.Builder builder;
        Shape shape;

        Net(String name, Shape input, int classes) {
            this.builder = ModelSpec.builder(name, input, classes);
            this.shape = input;
        }

        void block(String label, List<LayerSpec> layers) {
            for (LayerSpec l : layers) {
                shape = l.outputShape(shape);
            }
            builder.block(label, layers);
        }

        /** A 2x2 stride-2 max pool for the current shape after {@code before}: pads by one on odd sizes. */
        static LayerSpec pool(Shape s) {
            return maxPool(2, 2, s.dim(1) % 2);
        }
    }

    /** Flatten, 512 and 256 hidden units with ReLU, then the classifier. */
    private static ModelSpec mlp(Shape input, int classes) {
        Net net = new Net("mlp", input, classes);
        net.block("flatten-fc512-relu", List.of(flatten(), linearHe(512), relu()));
        net.block("fc256-relu", List.of(linearHe(256), relu()));
        net.block("fc" + classes, List.of(linear(classes)));
        return net.builder.build();
    }

    /** LeNet-5 with ReLU and max pooling: conv6 k5, pool, conv16 k5, pool, fc120, fc84, classifier. */
    private static ModelSpec lenet5(Shape input, int classes) {
        Net net = new Net("lenet5", input, classes);
        int pad = Math.max(0, (32 - input.dim(1)) / 2);
        Shape afterConv = conv(6, 5, 1, pad).outputShape(input);
        net.block("conv6-relu-pool", List.of(conv(6, 5, 1, pad), relu(), Net.pool(afterConv)));
        Shape afterConv2 = conv(16, 5, 1, 0).outputShape(net.shape);
        net.block("conv16-relu-pool", List.of(conv(16, 5, 1, 0), relu(), Net.pool(afterConv2)));
        net.block("fc120-relu", List.of(flatten(), linearHe(120), relu()));
        net.block("fc84-relu", List.of(linearHe(84), relu()));
        net.block("fc" + classes, List.of(linear(classes)));
        return net.builder.build();
    }

    /** PiPar's VGG-5: conv32-pool, conv64-pool, conv64-pool, fc128, classifier. */
    private static ModelSpec vgg5(Shape input, int classes) {
        Net net = new Net("vgg5", input, classes);
        for (int c : new int[] {32, 64, 64}) {
            net.block("conv" + c + "-relu-pool", List.of(conv(c, 3, 1, 1), relu(), Net.pool(net.shape)));
        }
        net.block("fc128-relu", List.of(flatten(), linearHe(128), relu()));
        net.block("fc" + classes, List.of(linear(classes)));
        return net.builder.build();
    }

    /**
     * VGG: one block per 3x3 convolution with ReLU (and the 2x2 pool that follows it, marked 0 in {@code config}).
     * CIFAR head: the 512 features into the classifier. torchvision head: adaptive pool to 7x7, then 25088-4096-4096
     * with dropout 0.5, then the classifier.
     */
    private static ModelSpec vgg(String name, Shape input, int classes, int[] config, boolean torchvision) {
        Net net = new Net(name, input, classes);
        for (int i = 0; i < config.length; i++) {
            int c = config[i];
            boolean pooled = i + 1 < config.length && config[i + 1] == 0;
            Shape after = conv(c, 3, 1, 1).outputShape(net.shape);
            List<LayerSpec> layers = new ArrayList<>(List.of(conv(c, 3, 1, 1), relu()));
            if (pooled) {
                layers.add(Net.pool(after));
                i++;
            }
            net.block("conv" + c + "-relu" + (pooled ? "-pool" : ""), layers);
        }
        if (torchvision) {
            net.block("avgpool7-fc4096-relu-dropout", List.of(adaptiveAvgPool(7, 7), flatten(), linearHe(4096), relu(),
                    dropout(0.5f)));
            net.block("fc4096-relu-dropout", List.of(linearHe(4096), relu(), dropout(0.5f)));
        } else {
            net.block("flatten", List.of(flatten()));
        }
        net.builder.block("fc" + classes, List.of(linear(classes)));
        return net.builder.build();
    }

    private static void stem(Net net, int channels) {
        net.block("conv" + channels + "-bn-relu", List.of(convNoBias(channels, 3, 1, 1), batchNorm(), relu()));
    }

    private static void head(Net net, int classes) {
        net.block("gap-fc" + classes, List.of(globalAvgPool(), linear(classes)));
    }

    /** CIFAR ResNet-18: 3x3 stem, basic blocks [2, 2, 2, 2] of 64-512 channels, global pool, classifier. */
    private static ModelSpec resnet18(Shape input, int classes) {
        Net net = new Net("resnet18", input, classes);
        stem(net, 64);
        int in = 64;
        int[] widths = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; stage++) {
            for (int k = 0; k < 2; k++) {
                int stride = stage > 0 && k == 0 ? 2 : 1;
                net.block("basic" + widths[stage] + (stride == 2 ? "/2" : ""), List.of(basicBlock(in, widths[stage],
                        stride)));
                in = widths[stage];
            }
        }
        head(net, classes);
        return net.builder.build();
    }

    /** CIFAR ResNet-50: 3x3 stem, bottlenecks [3, 4, 6, 3] of widths 64-512 (outputs 256-2048), pool, classifier. */
    private static ModelSpec resnet50(Shape input, int classes) {
        Net net = new Net("resnet50", input, classes);
        stem(net, 64);
        int in = 64;
        int[] mids = {64, 128, 256, 512};
        int[] counts = {3, 4, 6, 3};
        for (int stage = 0; stage < 4; stage++) {
            for (int k = 0; k < counts[stage]; k++) {
                int stride = stage > 0 && k == 0 ? 2 : 1;
                net.block("bottleneck" + 4 * mids[stage] + (stride == 2 ? "/2" : ""), List.of(bottleneck(in, mids[stage],
                        stride)));
                in = 4 * mids[stage];
            }
        }
        head(net, classes);
        return net.builder.build();
    }

    /** PyTorch's _make_divisible(v, 8): nearest multiple of 8, at least 8, not below 90% of v. */
    static int divisible8(double v) {
        int n = Math.max(8, (int) (v + 4) / 8 * 8);
        return n < 0.9 * v ? n + 8 : n;
    }

    /** MobileNetV3-small (torchvision's table), stem stride 1 on inputs of 32x32 or less. */
    private static ModelSpec mobileNetV3Small(Shape input, int classes) {
        Net net = new Net("mobilenetv3-small", input, classes);
        int stemStride = input.dim(1) <= 32 ? 1 : 2;
        net.block("conv16-bn-hswish", List.of(convNoBias(16, 3, stemStride, 1), batchNorm(), hswish()));
        // in, kernel, expanded, out, squeeze-excite, hard-swish, stride
        int[][] table = {
            {16, 3, 16, 16, 1, 0, 2},
            {16, 3, 72, 24, 0, 0, 2},
            {24, 3, 88, 24, 0, 0, 1},
            {24, 5, 96, 40, 1, 1, 2},
            {40, 5, 240, 40, 1, 1, 1},
            {40, 5, 240, 40, 1, 1, 1},
            {40, 5, 120, 48, 1, 1, 1},
            {48, 5, 144, 48, 1, 1, 1},
            {48, 5, 288, 96, 1, 1, 2},
            {96, 5, 576, 96, 1, 1, 1},
            {96, 5, 576, 96, 1, 1, 1},
        };
        for (int[] r : table) {
            int in = r[0];
            int k = r[1];
            int exp = r[2];
            int out = r[3];
            boolean se = r[4] == 1;
            boolean hs = r[5] == 1;
            int stride = r[6];
            List<LayerSpec> main = new ArrayList<>();
            if (exp != in) {
                main.add(convNoBias(exp, 1, 1, 0));
                main.add(batchNorm());
                main.add(hs ? hswish() : relu());
            }
            main.add(groupedConv(exp, k, stride, (k - 1) / 2, exp));
            main.add(batchNorm());
            main.add(hs ? hswish() : relu());
            if (se) {
                main.add(squeezeExcite(divisible8(exp / 4.0)));
            }
            main.add(convNoBias(out, 1, 1, 0));
            main.add(batchNorm());
            String label = "inverted" + out + "-k" + k + "-x" + exp + (se ? "-se" : "") + (stride == 2 ? "/2" : "");
            if (stride == 1 && in == out) {
                net.block(label + "+res", List.of(residualLinear(main, List.of())));
            } else {
                net.block(label, main);
            }
        }
        net.block("conv576-bn-hswish", List.of(convNoBias(576, 1, 1, 0), batchNorm(), hswish()));
        net.block("gap-fc1024-hswish-dropout", List.of(globalAvgPool(), linear(1024), hswish(), dropout(0.2f)));
        net.block("fc" + classes, List.of(linear(classes)));
        return net.builder.build();
    }
}
