package io.mpsl.nn.data;

/**
 * How 8-bit pixels become floats: {@code x = (p / 255 - mean[c]) / std[c]} for channel {@code c}. The means
 * and standard deviations are those of each training set (the values torchvision users use), so a
 * normalized training set has about zero mean and unit variance per channel.
 *
 * @param mean per-channel mean of {@code p / 255}
 * @param std per-channel standard deviation of {@code p / 255}
 */
public record Normalization(float[] mean, float[] std) {
    /** MNIST: mean 0.1307, std 0.3081. */
    public static final Normalization MNIST = new Normalization(new float[] {0.1307f}, new float[] {0.3081f});
    /** Fashion-MNIST: mean 0.2860, std 0.3530. */
    public static final Normalization FASHION_MNIST = new Normalization(new float[] {0.2860f}, new float[] {0.3530f});
    /** CIFAR-10, red, green, blue: mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616). */
    public static final Normalization CIFAR10 = new Normalization(new float[] {0.4914f, 0.4822f, 0.4465f},
            new float[] {0.2470f, 0.2435f, 0.2616f});

    public Normalization {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("need one mean and one std per channel, got " + mean.length + " and "
                    + std.length);
        }
        mean = mean.clone();
        std = std.clone();
    }

    public int channels() {
        return mean.length;
    }

    /** The 256 normalized values of channel {@code c}: {@code table[p] = (p / 255 - mean[c]) / std[c]}. */
    public float[] table(int c) {
        float[] t = new float[256];
        for (int p = 0; p < 256; p++) {
            t[p] = (float) ((p / 255.0 - mean[c]) / std[c]);
        }
        return t;
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }
}
