package io.mpsl.kernels.cpu;

import io.mpsl.kernels.ConvSpec;
import java.lang.foreign.MemorySegment;

/**
 * Column panels for convolution as GEMM, over a chunk of {@code b} images starting at image {@code n0}.
 * The panel is (K, b * P) row-major with K = inChannels * kernelH * kernelW rows r = (c, i, j) and columns
 * t * P + y * outW + x (image t of the chunk, output pixel (y, x)):
 * cols[r, t*P + y*outW + x] = in[n0+t, c, y*strideH - padH + i, x*strideW - padW + j], zero outside the image.
 * Stride-1 "same" convolutions (outW == inW) copy whole planes shifted by one offset and then clear the
 * columns that wrapped around a row edge; other geometries go row by row.
 */
final class Im2Col {

    private Im2Col() {
    }

    /** Fills panel rows [rowFrom, rowTo) from {@code in}. */
    static void im2col(MemorySegment cols, MemorySegment in, ConvSpec s, int n0, int b, int rowFrom, int rowTo) {
        int kk = s.kernelH() * s.kernelW();
        int plane = s.inH() * s.inW();
        int p = s.outH() * s.outW();
        long ld = (long) b * p;
        for (int r = rowFrom; r < rowTo; r++) {
            int c = r / kk;
            int i = (r / s.kernelW()) % s.kernelH();
            int j = r % s.kernelW();
            for (int t = 0; t < b; t++) {
                long src = ((long) (n0 + t) * s.inChannels() + c) * plane;
                long dst = r * ld + (long) t * p;
                if (isSameStride1(s)) {
                    shiftedPlane(cols, dst, in, src, s, i, j);
                } else {
                    rowByRow(cols, dst, in, src, s, i, j);
                }
            }
        }
    }

    /**
     * Adds panel rows back into the images, for channels [cFrom, cTo): the images' planes of those channels
     * are overwritten with the sum of every panel entry that reads them. The panel is used as scratch.
     */
    static void col2im(MemorySegment dIn, MemorySegment cols, ConvSpec s, int n0, int b, int cFrom, int cTo) {
        int plane = s.inH() * s.inW();
        int p = s.outH() * s.outW();
        long ld = (long) b * p;
        for (int c = cFrom; c < cTo; c++) {
            for (int t = 0; t < b; t++) {
                long dst = ((long) (n0 + t) * s.inChannels() + c) * plane;
                VectorOps.fill(dIn, dst, plane, 0f);
                for (int i = 0; i < s.kernelH(); i++) {
                    for (int j = 0; j < s.kernelW(); j++) {
                        long src = ((long) (c * s.kernelH() + i) * s.kernelW() + j) * ld + (long) t * p;
                        if (isSameStride1(s)) {
                            addShiftedPlane(dIn, dst, cols, src, s, i, j);
                        } else {
                            addRowByRow(dIn, dst, cols, src, s, i, j);
                        }
                    }
                }
            }
        }
    }

    private static boolean isSameStride1(ConvSpec s) {
        return s.strideH() == 1 && s.strideW() == 1 && s.outW() == s.inW();
    }

    /** First output x whose tap j lands inside the row: x * stride - pad + j >= 0. */
    static int firstX(int stride, int pad, int j) {
        int need = pad - j;
        return need <= 0 ? 0 : (need + stride - 1) / stride;
    }

    /** One past the last output x whose tap j lands inside the row: x * stride - pad + j < in. */
    static int endX(int out, int in, int stride, int pad, int j) {
        int last = in - 1 + pad - j;
        return last < 0 ? 0 : Math.min(out, last / stride + 1);
    }

    /**
     * Stride 1, outW == inW: column (y, x) of tap (i, j) reads plane element y*W + x + shift with
     * shift = (i - padH) * W + (j - padW), so valid rows are one contiguous copy; the columns that crossed a
     * row edge are cleared afterwards.
     */
    private static void shiftedPlane(MemorySegment cols, long dst, MemorySegment in, long src, ConvSpec s, int i,
            int j) {
        int w = s.inW();
        int oh = s.outH();
        int y0 = firstX(1, s.padH(), i);
        int y1 = endX(oh, s.inH(), 1, s.padH(), i);
        if (y0 >= y1) {
            VectorOps.fill(cols, dst, oh * w, 0f);
            return;
        }
        int shift = (i - s.padH()) * w + (j - s.padW());
        int from = Math.max(y0 * w, -shift);
        int to = Math.min(y1 * w, s.inH() * w - shift);
        VectorOps.fill(cols, dst, from, 0f);
        copy(cols, dst + from, in, src + from + shift, to - from);
        VectorOps.fill(cols, dst + to, oh * w - to, 0f);
        clearWrappedColumns(cols, dst, s, j, y0, y1);
    }

    private static void addShiftedPlane(MemorySegment dIn, long dst, MemorySegment cols, long src, ConvSpec s,
            int i, int j) {
        int w = s.inW();
        int y0 = firstX(1, s.padH(), i);
        int y1 = endX(s.outH(), s.inH(), 1, s.padH(), i);
        if (y0 >= y1) {
            return;
        }
        int shift = (i - s.padH()) * w + (j - s.padW());
        int from = Math.max(y0 * w, -shift);
        int to = Math.min(y1 * w, s.inH() * w - shift);
        clearWrappedColumns(cols, src, s, j, y0, y1);
        VectorOps.addInto(dIn, dst + from + shift, cols, src + from, to - from);
    }

    /** Zeroes, in rows [y0, y1), the columns x whose tap j falls left or right of the image row. */
    private static void clearWrappedColumns(MemorySegment cols, long at, ConvSpec s, int j, int y0, int y1) {
        int w = s.inW();
        int x0 = firstX(1, s.padW(), j);
        int x1 = endX(s.outW(), w, 1, s.padW(), j);
        if (x0 == 0 && x1 == w) {
            return;
        }
        for (int y = y0; y < y1; y++) {
            long row = at + (long) y * w;
            for (int x = 0; x < x0; x++) {
                VectorOps.set(cols, row + x, 0f);
            }
            for (int x = x1; x < w; x++) {
                VectorOps.set(cols, row + x, 0f);
            }
        }
    }

    private static void rowByRow(MemorySegment cols, long dst, MemorySegment in, long src, ConvSpec s, int i,
            int j) {
        int ow = s.outW();
        int sw = s.strideW();
        int x0 = firstX(sw, s.padW(), j);
        int x1 = Math.max(x0, endX(ow, s.inW(), sw, s.padW(), j));
        for (int y = 0; y < s.outH(); y++) {
            long row = dst + (long) y * ow;
            int iy = y * s.strideH() - s.padH() + i;
            if (iy < 0 || iy >= s.inH() || x0 >= x1) {
                VectorOps.fill(cols, row, ow, 0f);
                continue;
            }
            long inRow = src + (long) iy * s.inW() - s.padW() + j;
            for (int x = 0; x < x0; x++) {
                VectorOps.set(cols, row + x, 0f);
            }
            if (sw == 1) {
                copy(cols, row + x0, in, inRow + x0, x1 - x0);
            } else {
                for (int x = x0; x < x1; x++) {
                    VectorOps.set(cols, row + x, VectorOps.get(in, inRow + (long) x * sw));
                }
            }
            for (int x = x1; x < ow; x++) {
                VectorOps.set(cols, row + x, 0f);
            }
        }
    }

    private static void addRowByRow(MemorySegment dIn, long dst, MemorySegment cols, long src, ConvSpec s, int i,
            int j) {
        int ow = s.outW();
        int sw = s.strideW();
        int x0 = firstX(sw, s.padW(), j);
        int x1 = endX(ow, s.inW(), sw, s.padW(), j);
        if (x0 >= x1) {
            return;
        }
        for (int y = 0; y < s.outH(); y++) {
            int iy = y * s.strideH() - s.padH() + i;
            if (iy < 0 || iy >= s.inH()) {
                continue;
            }
            long row = src + (long) y * ow;
            long inRow = dst + (long) iy * s.inW() - s.padW() + j;
            if (sw == 1) {
                VectorOps.addInto(dIn, inRow + x0, cols, row + x0, x1 - x0);
            } else {
                for (int x = x0; x < x1; x++) {
                    long at = inRow + (long) x * sw;
                    VectorOps.set(dIn, at, VectorOps.get(dIn, at) + VectorOps.get(cols, row + x));
                }
            }
        }
    }

    /**
     * Pixel-major panel rows [rowFrom, rowTo) of (b * P, K) from a channels-last chunk nhwc (b, inH, inW, C),
     * columns ordered (i, j, c): rows[t*P + y*outW + x, (i*kernelW + j)*C + c] =
     * nhwc[t, y*strideH - padH + i, x*strideW - padW + j, c], zero outside the image. With stride 1 along x,
     * the in-bounds taps of one kernel row are one contiguous copy.
     */
    static void im2row(MemorySegment rows, MemorySegment nhwc, ConvSpec s, int rowFrom, int rowTo) {
        int c = s.inChannels();
        int ow = s.outW();
        int p = s.outH() * ow;
        int kw = s.kernelW();
        long k = (long) s.kernelH() * kw * c;
        for (int r = rowFrom; r < rowTo; r++) {
            int t = r / p;
            int y = (r % p) / ow;
            int x = r % ow;
            long dst = r * k;
            int x0 = x * s.strideW() - s.padW();
            int j0 = Math.max(0, -x0);
            int j1 = Math.min(kw, s.inW() - x0);
            for (int i = 0; i < s.kernelH(); i++) {
                long rowAt = dst + (long) i * kw * c;
                int iy = y * s.strideH() - s.padH() + i;
                if (iy < 0 || iy >= s.inH() || j0 >= j1) {
                    VectorOps.fill(rows, rowAt, kw * c, 0f);
                    continue;
                }
                long src = (((long) t * s.inH() + iy) * s.inW() + x0) * c;
                VectorOps.fill(rows, rowAt, j0 * c, 0f);
                if (s.strideW() == 1 || j1 - j0 == 1) {
                    copy(rows, rowAt + (long) j0 * c, nhwc, src + (long) j0 * c, (j1 - j0) * c);
                } else {
                    for (int j = j0; j < j1; j++) {
                        copy(rows, rowAt + (long) j * c, nhwc, src + (long) j * c, c);
                    }
                }
                VectorOps.fill(rows, rowAt + (long) j1 * c, (kw - j1) * c, 0f);
            }
        }
    }

    /** dst[dstAt + i] = src[srcAt + i] for i in [0, n). */
    static void copy(MemorySegment dst, long dstAt, MemorySegment src, long srcAt, int n) {
        if (n > 0) {
            MemorySegment.copy(src, srcAt * Float.BYTES, dst, dstAt * Float.BYTES, (long) n * Float.BYTES);
        }
    }
}
