package io.mpsl.nn.layers;

import io.mpsl.nn.ActivationContext;
import io.mpsl.nn.Layer;
import io.mpsl.nn.LayerBuilder;
import io.mpsl.nn.LayerSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.nn.Shapes;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Adaptive average pooling to a fixed (outH, outW), PyTorch's windows: output row i averages input rows
 * [floor(i H / outH), ceil((i + 1) H / outH)), likewise for columns. When the output is larger than the input,
 * windows overlap and values are replicated (as torchvision VGG does on 32x32 inputs).
 */
public final class AdaptiveAvgPool2d implements Layer {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public record Spec(int outH, int outW) implements LayerSpec {
        @Override
        public String kind() {
            return "adaptivepool";
        }

        @Override
        public boolean keepsInput() {
            return false;
        }

        @Override
        public Shape outputShape(Shape in) {
            Shapes.requireImage(in, "adaptive average pool");
            if (outH < 1 || outW < 1) {
                throw new IllegalArgumentException("adaptive pool output must be at least 1x1, got " + outH + "x" + outW);
            }
            return Shape.of(in.dim(0), outH, outW);
        }

        @Override
        public Layer create(LayerBuilder b, Shape in) {
            return new AdaptiveAvgPool2d(b, in, this);
        }
    }

    private final Shape in;
    private final Shape out;
    private final int output;
    private final int[] rowStart;
    private final int[] rowEnd;
    private final int[] colStart;
    private final int[] colEnd;

    AdaptiveAvgPool2d(LayerBuilder b, Shape in, Spec spec) {
        this.in = in;
        this.out = spec.outputShape(in);
        this.output = b.output(out);
        int h = in.dim(1);
        int w = in.dim(2);
        rowStart = new int[spec.outH()];
        rowEnd = new int[spec.outH()];
        colStart = new int[spec.outW()];
        colEnd = new int[spec.outW()];
        for (int i = 0; i < spec.outH(); i++) {
            rowStart[i] = i * h / spec.outH();
            rowEnd[i] = ((i + 1) * h + spec.outH() - 1) / spec.outH();
        }
        for (int j = 0; j < spec.outW(); j++) {
            colStart[j] = j * w / spec.outW();
            colEnd[j] = ((j + 1) * w + spec.outW() - 1) / spec.outW();
        }
    }

    @Override
    public Shape inputShape() {
        return in;
    }

    @Override
    public Shape outputShape() {
        return out;
    }

    @Override
    public Tensor forward(ParameterState state, ActivationContext ctx, Tensor x, boolean training) {
        Tensor y = ctx.tensor(output);
        int planes = x.shape().dim(0) * in.dim(0);
        int h = in.dim(1);
        int w = in.dim(2);
        int oh = out.dim(1);
        int ow = out.dim(2);
        MemorySegment src = x.segment();
        MemorySegment dst = y.segment();
        for (int p = 0; p < planes; p++) {
            long inBase = (long) p * h * w;
            long outBase = (long) p * oh * ow;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    float sum = 0f;
                    for (int r = rowStart[i]; r < rowEnd[i]; r++) {
                        for (int c = colStart[j]; c < colEnd[j]; c++) {
                            sum += src.getAtIndex(F, inBase + (long) r * w + c);
                        }
                    }
                    int count = (rowEnd[i] - rowStart[i]) * (colEnd[j] - colStart[j]);
                    dst.setAtIndex(F, outBase + (long) i * ow + j, sum / count);
                }
            }
        }
        return y;
    }

    @Override
    public void backward(ParameterState state, ActivationContext ctx, Tensor dOut, Tensor dIn) {
        if (dIn == null) {
            return;
        }
        dIn.zero();
        int planes = dOut.shape().dim(0) * in.dim(0);
        int h = in.dim(1);
        int w = in.dim(2);
        int oh = out.dim(1);
        int ow = out.dim(2);
        MemorySegment g = dOut.segment();
        MemorySegment d = dIn.segment();
        for (int p = 0; p < planes; p++) {
            long inBase = (long) p * h * w;
            long outBase = (long) p * oh * ow;
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int count = (rowEnd[i] - rowStart[i]) * (colEnd[j] - colStart[j]);
                    float share = g.getAtIndex(F, outBase + (long) i * ow + j) / count;
                    for (int r = rowStart[i]; r < rowEnd[i]; r++) {
                        for (int c = colStart[j]; c < colEnd[j]; c++) {
                            long k = inBase + (long) r * w + c;
                            d.setAtIndex(F, k, d.getAtIndex(F, k) + share);
                        }
                    }
                }
            }
        }
    }
}
