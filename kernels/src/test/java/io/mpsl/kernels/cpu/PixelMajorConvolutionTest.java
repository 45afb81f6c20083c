package io.mpsl.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.ConvSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pixel-major tap convolution of small maps against the scalar oracle, on every engine and thread count. */
class PixelMajorConvolutionTest {
    private static final double TOLERANCE = 2e-5;
    /** Weight gradients sum up to batch * outH * outW products in float in another order than the oracle. */
    private static final double WEIGHT_TOLERANCE = 2e-4;

    /**
     * Shapes the pixel-major path takes: the VGG maps (2x2, 4x4, 8x8 with padding 1), odd channel counts (scalar
     * copies), planes that are a multiple of, a divisor of and neither of the vector length, a kernel reaching
     * past the whole map (taps with no valid pixel), shrinking maps (padding 0), 1x1 and 3x5 kernels.
     */
    private static List<ConvSpec> specs() {
        return List.of(
                ConvSpec.of(5, 32, 2, 2, 48, 3, 1, 1),
                ConvSpec.of(3, 48, 4, 4, 32, 3, 1, 1),
                ConvSpec.of(4, 16, 8, 8, 32, 3, 1, 1),
                ConvSpec.of(3, 17, 4, 4, 19, 3, 1, 1),
                ConvSpec.of(2, 16, 2, 3, 16, 3, 1, 1),
                ConvSpec.of(3, 32, 4, 4, 16, 5, 1, 2),
                ConvSpec.of(2, 16, 2, 2, 16, 5, 1, 4 - 1),
                ConvSpec.of(2, 32, 6, 6, 16, 3, 1, 0),
                ConvSpec.of(3, 16, 5, 7, 21, 1, 1, 0),
                ConvSpec.of(1, 16, 1, 1, 16, 3, 1, 1),
                new ConvSpec(2, 16, 6, 5, 21, 3, 5, 1, 1, 1, 2, 1));
    }

    @Test
    void shouldTakeOnlyStrideOneSingleGroupSmallMapsWithEnoughChannels() {
        assertTrue(PixelMajorConvolution.applies(ConvSpec.of(64, 512, 2, 2, 512, 3, 1, 1)));
        assertTrue(PixelMajorConvolution.applies(ConvSpec.of(64, 256, 4, 4, 512, 3, 1, 1)));
        assertTrue(PixelMajorConvolution.applies(ConvSpec.of(64, 256, 8, 8, 256, 3, 1, 1)));
        assertFalse(PixelMajorConvolution.applies(ConvSpec.of(64, 64, 16, 16, 128, 3, 1, 1)), "16x16 map");
        assertFalse(PixelMajorConvolution.applies(ConvSpec.of(64, 3, 4, 4, 64, 3, 1, 1)), "3 input channels");
        assertFalse(PixelMajorConvolution.applies(ConvSpec.of(64, 64, 4, 4, 8, 3, 1, 1)), "8 output channels");
        assertFalse(PixelMajorConvolution.applies(ConvSpec.of(64, 64, 8, 8, 64, 3, 2, 1)), "stride 2");
        assertFalse(PixelMajorConvolution.applies(ConvSpec.of(4, 64, 4, 4, 64, 3, 1, 1).withGroups(2)), "groups");
        assertFalse(PixelMajorConvolution.applies(ConvSpec.of(4, 64, 4, 4, 64, 3, 1, 3)), "pad >= kernel");
        for (ConvSpec s : specs()) {
            assertTrue(PixelMajorConvolution.applies(s), s.toString());
        }
    }

    @Test
    void shouldMatchOracleForwardDataAndWeightGradients() {
        ConvOracle.check(specs(), TOLERANCE, WEIGHT_TOLERANCE);
    }

}
