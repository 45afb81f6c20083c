package io.mpsl.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.ConvSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The image-by-image im2col path of shallow convolutions (K = C * kh * kw <= 64) against the scalar oracle. */
class Im2ColConvolutionTest {
    private static final double TOLERANCE = 2e-5;
    /** Weight gradients sum batch * outH * outW products (up to ~5000 here) in another order than the oracle. */
    private static final double WEIGHT_TOLERANCE = 2e-4;

    /** A VGG first layer (RGB, 32x32), a 5x5 single-channel layer, strided and 1x1 ones, a batch of one. */
    private static List<ConvSpec> specs() {
        return List.of(
                ConvSpec.of(5, 3, 32, 32, 64, 3, 1, 1),
                ConvSpec.of(3, 1, 28, 28, 6, 5, 1, 2),
                ConvSpec.of(4, 3, 15, 17, 8, 3, 2, 1),
                ConvSpec.of(3, 40, 6, 6, 24, 1, 1, 0),
                ConvSpec.of(1, 7, 9, 9, 5, 3, 1, 0));
    }

    @Test
    void shouldRunOnlyShallowSingleGroupConvolutionsImageByImage() {
        assertTrue(Im2ColConvolution.byImage(ConvSpec.of(64, 3, 32, 32, 64, 3, 1, 1)));
        assertFalse(Im2ColConvolution.byImage(ConvSpec.of(64, 8, 32, 32, 64, 3, 1, 1)), "K = 72");
        assertFalse(Im2ColConvolution.byImage(ConvSpec.of(4, 4, 8, 8, 4, 3, 1, 1).withGroups(2)), "groups");
        for (ConvSpec s : specs()) {
            assertTrue(Im2ColConvolution.byImage(s), s.toString());
        }
    }

    @Test
    void shouldMatchOracleForwardDataAndWeightGradientsImageByImage() {
        ConvOracle.check(specs(), TOLERANCE, WEIGHT_TOLERANCE);
    }
}
