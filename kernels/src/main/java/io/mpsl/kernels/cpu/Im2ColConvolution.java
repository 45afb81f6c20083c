package io.mpsl.kernels.cpu;

import io.mpsl.kernels.ConvSpec;
import io.mpsl.kernels.Gemm;
import java.lang.foreign.MemorySegment;

/**
 * Convolution as GEMM over chunks of images, so each GEMM is large even for small deep feature maps. For a
 * chunk of b images, P = outH * outW, K = inChannels * kernelH * kernelW and per group g (K_g, O_g rows):
 * <pre>
 *   forward:          Y(O, bP)    = W(O, K_g) x cols(K, bP),  then Y -> out (NCHW)
 *   backward data:    dCols(K, bP) = W^T x dY(O, bP),          then col2im -> dIn
 *   backward weights: dW(O, K_g)  += dY(O, bP) x cols^T         (beta = 1)
 * </pre>
 * where dY is dOut gathered from NCHW into (O, bP). A chunk of one image needs no gather or scatter: the
 * GEMM reads and writes the NCHW tensors in place. Engine-side loops (im2col, col2im, layout fix-ups) run
 * on the backend's worker pool; the GEMM runs on its own threads.
 */
final class Im2ColConvolution implements AutoCloseable {
    private final long panelBudgetFloats;
    private final Gemm gemm;
    private final WorkerPool pool;
    private final Workspace panel = new Workspace();
    private final Workspace rows = new Workspace();
    private final PanelJob panelJob = new PanelJob();
    private final LayoutJob layoutJob = new LayoutJob();

    /** @param panelBudgetFloats largest column panel of a chunk, unless one image alone needs more */
    Im2ColConvolution(Gemm gemm, WorkerPool pool, long panelBudgetFloats) {
        this.panelBudgetFloats = panelBudgetFloats;
        this.gemm = gemm;
        this.pool = pool;
    }

    /** Images per chunk: chunks as even as possible, each panel within the budget. */
    int chunks(ConvSpec s) {
        long perImage = (long) s.inChannels() * s.kernelH() * s.kernelW() * s.outH() * s.outW();
        long maxImages = Math.max(1, panelBudgetFloats / perImage);
        return (int) ((s.batch() + maxImages - 1) / maxImages);
    }

    private static int chunkStart(ConvSpec s, int chunk, int chunks) {
        return (int) ((long) s.batch() * chunk / chunks);
    }

    void forward(MemorySegment out, MemorySegment in, MemorySegment weight, ConvSpec s) {
        int chunks = chunks(s);
        int p = s.outH() * s.outW();
        int k = s.inChannels() * s.kernelH() * s.kernelW();
        int maxB = chunkStart(s, 1, chunks) + 1;
        MemorySegment cols = panel.floats((long) k * maxB * p);
        MemorySegment y = chunks < s.batch() ? rows.floats((long) s.outChannels() * maxB * p) : null;
        for (int ch = 0; ch < chunks; ch++) {
            int n0 = chunkStart(s, ch, chunks);
            int b = chunkStart(s, ch + 1, chunks) - n0;
            runIm2Col(cols, in, s, n0, b);
            if (b == 1) {
                multiplyForward(out, (long) n0 * s.outChannels() * p, cols, weight, s, b);
            } else {
                multiplyForward(y, 0, cols, weight, s, b);
                runLayout(LayoutJob.SCATTER, y, out, s.outChannels(), p, n0, b);
            }
        }
    }

    void backwardData(MemorySegment dIn, MemorySegment dOut, MemorySegment weight, ConvSpec s) {
        int chunks = chunks(s);
        int p = s.outH() * s.outW();
        int k = s.inChannels() * s.kernelH() * s.kernelW();
        int maxB = chunkStart(s, 1, chunks) + 1;
        MemorySegment dCols = panel.floats((long) k * maxB * p);
        MemorySegment dY = chunks < s.batch() ? rows.floats((long) s.outChannels() * maxB * p) : null;
        int groups = s.groups();
        int kg = k / groups;
        int og = s.outChannels() / groups;
        for (int ch = 0; ch < chunks; ch++) {
            int n0 = chunkStart(s, ch, chunks);
            int b = chunkStart(s, ch + 1, chunks) - n0;
            MemorySegment g = dOut;
            long gAt = (long) n0 * s.outChannels() * p;
            if (b > 1) {
                runLayout(LayoutJob.GATHER, dY, dOut, s.outChannels(), p, n0, b);
                g = dY;
                gAt = 0;
            }
            int ld = b * p;
            for (int gr = 0; gr < groups; gr++) {
                gemm.sgemm(true, false, kg, ld, og, 1f, weight, (long) gr * og * kg, kg, g, gAt + (long) gr * og * ld,
                        ld, 0f, dCols, (long) gr * kg * ld, ld);
            }
            panelJob.set(PanelJob.COL2IM, dCols, dIn, s, n0, b);
            pool.run(panelJob, s.inChannels(), 1);
        }
    }

    void backwardWeights(MemorySegment dWeight, MemorySegment dOut, MemorySegment in, ConvSpec s) {
        int chunks = chunks(s);
        int p = s.outH() * s.outW();
        int k = s.inChannels() * s.kernelH() * s.kernelW();
        int maxB = chunkStart(s, 1, chunks) + 1;
        MemorySegment cols = panel.floats((long) k * maxB * p);
        MemorySegment dY = chunks < s.batch() ? rows.floats((long) s.outChannels() * maxB * p) : null;
        int groups = s.groups();
        int kg = k / groups;
        int og = s.outChannels() / groups;
        for (int ch = 0; ch < chunks; ch++) {
            int n0 = chunkStart(s, ch, chunks);
            int b = chunkStart(s, ch + 1, chunks) - n0;
            runIm2Col(cols, in, s, n0, b);
            MemorySegment g = dOut;
            long gAt = (long) n0 * s.outChannels() * p;
            if (b > 1) {
                runLayout(LayoutJob.GATHER, dY, dOut, s.outChannels(), p, n0, b);
                g = dY;
                gAt = 0;
            }
            int ld = b * p;
            for (int gr = 0; gr < groups; gr++) {
                gemm.sgemm(false, true, og, kg, ld, 1f, g, gAt + (long) gr * og * ld, ld, cols, (long) gr * kg * ld,
                        ld, 1f, dWeight, (long) gr * og * kg, kg);
            }
        }
    }

    private void multiplyForward(MemorySegment y, long yAt, MemorySegment cols, MemorySegment weight, ConvSpec s,
            int b) {
        int groups = s.groups();
        int kg = s.inChannels() / groups * s.kernelH() * s.kernelW();
        int og = s.outChannels() / groups;
        int ld = b * s.outH() * s.outW();
        for (int gr = 0; gr < groups; gr++) {
            gemm.sgemm(false, false, og, ld, kg, 1f, weight, (long) gr * og * kg, kg, cols, (long) gr * kg * ld, ld, 0f,
                    y, yAt + (long) gr * og * ld, ld);
        }
    }

    private void runIm2Col(MemorySegment cols, MemorySegment in, ConvSpec s, int n0, int b) {
        panelJob.set(PanelJob.IM2COL, cols, in, s, n0, b);
        pool.run(panelJob, s.inChannels() * s.kernelH() * s.kernelW(), 1);
    }

    private void runLayout(int direction, MemorySegment y, MemorySegment nchw, int channels, int p, int n0, int b) {
        layoutJob.direction = direction;
        layoutJob.rows = y;
        layoutJob.nchw = nchw;
        layoutJob.channels = channels;
        layoutJob.p = p;
        layoutJob.n0 = n0;
        layoutJob.b = b;
        pool.run(layoutJob, channels, 1);
    }

    @Override
    public void close() {
        panel.close();
        rows.close();
    }

    /** im2col over panel rows, or col2im over input channels. */
    private static final class PanelJob extends WorkerPool.Job {
        static final int IM2COL = 0;
        static final int COL2IM = 1;
        int mode;
        MemorySegment cols;
        MemorySegment image;
        ConvSpec spec;
        int n0;
        int b;

        void set(int mode, MemorySegment cols, MemorySegment image, ConvSpec spec, int n0, int b) {
            this.mode = mode;
            this.cols = cols;
            this.image = image;
            this.spec = spec;
            this.n0 = n0;
            this.b = b;
        }

        @Override
        void run(int from, int to) {
            if (mode == IM2COL) {
                Im2Col.im2col(cols, image, spec, n0, b, from, to);
            } else {
                Im2Col.col2im(image, cols, spec, n0, b, from, to);
            }
        }
    }

    /** Moves rows between (channels, b * P) and the NCHW images [n0, n0 + b), over a range of channels. */
    private static final class LayoutJob extends WorkerPool.Job {
        static final int SCATTER = 0;
        static final int GATHER = 1;
        int direction;
        MemorySegment rows;
        MemorySegment nchw;
        int channels;
        int p;
        int n0;
        int b;

        @Override
        void run(int from, int to) {
            long ld = (long) b * p;
            for (int o = from; o < to; o++) {
                for (int t = 0; t < b; t++) {
                    long r = o * ld + (long) t * p;
                    long image = ((long) (n0 + t) * channels + o) * p;
                    if (direction == SCATTER) {
                        Im2Col.copy(nchw, image, rows, r, p);
                    } else {
                        Im2Col.copy(rows, r, nchw, image, p);
                    }
                }
            }
        }
    }
}
