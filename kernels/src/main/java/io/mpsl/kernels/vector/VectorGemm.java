package io.mpsl.kernels.vector;

import io.mpsl.kernels.Gemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * A blocked single-precision GEMM in pure Java with the Vector API (the GotoBLAS/BLIS scheme).
 *
 * <p>C = alpha * op(A) * op(B) + beta * C is computed in blocks: rows of op(A) in blocks of {@link #MC} and
 * depth in slices of {@link #KC} are packed (times alpha) into micro-panels of {@link #MR} rows; columns of
 * op(B) in blocks of {@link #NC} are packed into micro-panels of {@link #NR} columns (the packed B block,
 * KC x NC floats, stays in L2; one A micro-panel, MR x KC, stays in L1). A register-blocked micro-kernel then
 * computes each MR x NR tile of C from one A and one B micro-panel with {@code MR * NR / lanes} vector
 * accumulators held in registers: acc[r][c] = sum_p Apanel[p][r] * Bpanel[p][c], written to a small tile
 * buffer; the tile then goes into C with beta applied (only the valid part at the right and bottom edges).
 * 8 x 32 with 512-bit vectors (16 accumulators) measured best on this AVX-512 Xeon: 12 x 32, 6 x 48 and
 * 4 x 32 ran at 0.5-0.7 of it. SPECIES_512 is chosen deliberately, not SPECIES_PREFERRED: on a CPU without
 * AVX-512 this engine would run emulated and slow, and the OpenBLAS provider is the one to use. Packed panels are 64-byte aligned and kept per thread, grown
 * when a larger call needs them, never allocated per call after warm-up.
 *
 * <p>Threads: a fixed {@link WorkerPool} created by the constructor; the calling thread works too. A call
 * splits C into one block of rows (or of columns, if C is wider than tall) per thread, each computed
 * independently; small products run on the calling thread alone. With more than one thread the segments must
 * be readable from other threads (shared, global or automatic arenas, as {@code TensorArena}'s are).
 */
public final class VectorGemm implements Gemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    static final int LANES = 16;
    /** The first eight lanes: one packed row of an A micro-panel (one species only: mixing them slows C2). */
    static final VectorMask<Float> LOW8 = VectorMask.fromLong(S, 0xFFL);
    static final long VBYTES = 64;
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Rows of a micro-tile (broadcast from packed A). */
    static final int MR = 8;
    /** Columns of a micro-tile (vectors of packed B). */
    static final int NR = 2 * LANES;
    /** Depth of a packed slice. */
    static final int KC = 256;
    /** Rows of op(A) packed at once. */
    static final int MC = 1024;
    /**
     * Columns of op(B) packed at once: the packed block (KC x NC, 512 KiB) then leaves room in the 2 MiB L2 for
     * C tiles and the next A panels. On this Xeon, n = 1024 on one thread (CPU time, best of 20, alternating with
     * OpenBLAS): 0.87-0.96x OpenBLAS with 512, 0.80-0.91x with 1024, 0.86x with 256.
     */
    static final int NC = 512;
    /** Products with fewer multiply-adds than this run on one thread. */
    static final long PARALLEL_MIN_FMAS = 1L << 18;
    private static final long ALIGN = 64;

    private final int threads;
    private final WorkerPool pool;
    private final Arena arena = Arena.ofShared();
    private final Scratch[] scratch;
    private final Call call = new Call();
    private boolean closed;

    /** Packed panels of one thread. */
    private static final class Scratch {
        MemorySegment a = MemorySegment.NULL;
        MemorySegment b = MemorySegment.NULL;
        MemorySegment tile;
        MemorySegment transpose;
    }

    /** The arguments of the call in progress, shared with the workers. */
    private final class Call implements WorkerPool.Task {
        boolean transA;
        boolean transB;
        int m;
        int n;
        int k;
        float alpha;
        MemorySegment a;
        long aOffset;
        int lda;
        MemorySegment b;
        long bOffset;
        int ldb;
        float beta;
        MemorySegment c;
        long cOffset;
        int ldc;

        @Override
        public void runPart(int part, int parts) {
            if (m >= n) {
                int rows = ceilDiv(ceilDiv(m, parts), MR) * MR;
                int i0 = Math.min(m, part * rows);
                int i1 = Math.min(m, i0 + rows);
                if (i1 > i0) {
                    compute(scratch[part], transA, transB, i1 - i0, n, k, alpha, a,
                            aOffset + (transA ? i0 : (long) i0 * lda), lda, b, bOffset, ldb, beta, c,
                            cOffset + (long) i0 * ldc, ldc);
                }
            } else {
                int cols = ceilDiv(ceilDiv(n, parts), NR) * NR;
                int j0 = Math.min(n, part * cols);
                int j1 = Math.min(n, j0 + cols);
                if (j1 > j0) {
                    compute(scratch[part], transA, transB, m, j1 - j0, k, alpha, a, aOffset, lda, b,
                            bOffset + (transB ? (long) j0 * ldb : j0), ldb, beta, c, cOffset + j0, ldc);
                }
            }
        }
    }

    /** An engine with {@code threads} threads (the caller and threads - 1 workers). */
    public VectorGemm(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.pool = new WorkerPool(threads, "mpsl-gemm");
        this.scratch = new Scratch[threads];
        for (int i = 0; i < threads; i++) {
            scratch[i] = new Scratch();
            scratch[i].tile = arena.allocate((long) MR * NR * Float.BYTES, ALIGN);
            scratch[i].transpose = arena.allocate(Transpose16.BUFFER_BYTES, ALIGN);
        }
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a,
            long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset,
            int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative dimension m=" + m + " n=" + n + " k=" + k);
        }
        if (ldc < n || lda < (transA ? m : k) || ldb < (transB ? k : n)) {
            throw new IllegalArgumentException("leading dimension too small: lda=" + lda + " ldb=" + ldb + " ldc="
                    + ldc + " for m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " transB=" + transB);
        }
        if (m == 0 || n == 0) {
            return;
        }
        int parts = (long) m * n * k < PARALLEL_MIN_FMAS ? 1
                : Math.min(threads, m >= n ? ceilDiv(m, MR) : ceilDiv(n, NR));
        if (parts == 1) {
            compute(scratch[0], transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset,
                    ldc);
            return;
        }
        Call t = call;
        t.transA = transA;
        t.transB = transB;
        t.m = m;
        t.n = n;
        t.k = k;
        t.alpha = alpha;
        t.a = a;
        t.aOffset = aOffset;
        t.lda = lda;
        t.b = b;
        t.bOffset = bOffset;
        t.ldb = ldb;
        t.beta = beta;
        t.c = c;
        t.cOffset = cOffset;
        t.ldc = ldc;
        try {
            pool.run(t, parts);
        } finally {
            t.a = null;
            t.b = null;
            t.c = null;
        }
    }

    @Override
    public void sgemmPart(int part, boolean transA, boolean transB, int m, int n, int k, float alpha,
            MemorySegment a, long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c,
            long cOffset, int ldc) {
        if (part < 0 || part >= threads) {
            throw new IllegalArgumentException("part " + part + " outside [0, " + threads + ")");
        }
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative dimension m=" + m + " n=" + n + " k=" + k);
        }
        if (ldc < n || lda < (transA ? m : k) || ldb < (transB ? k : n)) {
            throw new IllegalArgumentException("leading dimension too small: lda=" + lda + " ldb=" + ldb + " ldc="
                    + ldc + " for m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " transB=" + transB);
        }
        if (m == 0 || n == 0) {
            return;
        }
        compute(scratch[part], transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset,
                ldc);
    }

    /** The whole product on one thread with its scratch. */
    private void compute(Scratch s, boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a,
            long aOffset, int lda, MemorySegment b, long bOffset, int ldb, float beta, MemorySegment c, long cOffset,
            int ldc) {
        if (k == 0 || alpha == 0f) {
            scale(c, cOffset, ldc, m, n, beta);
            return;
        }
        long ldcBytes = (long) ldc * Float.BYTES;
        for (int i0 = 0; i0 < m; i0 += MC) {
            int mc = Math.min(MC, m - i0);
            int mPanels = ceilDiv(mc, MR);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                float betaNow = p0 == 0 ? beta : 1f;
                MemorySegment ap = ensureA(s, (long) mPanels * MR * kc);
                packA(ap, a, aOffset, lda, transA, alpha, i0, p0, mc, kc, s.transpose);
                for (int j0 = 0; j0 < n; j0 += NC) {
                    int nc = Math.min(NC, n - j0);
                    int nPanels = ceilDiv(nc, NR);
                    MemorySegment bp = ensureB(s, (long) nPanels * NR * kc);
                    packB(bp, b, bOffset, ldb, transB, p0, j0, kc, nc, s.transpose);
                    for (int ip = 0; ip < mPanels; ip++) {
                        int rows = Math.min(MR, mc - ip * MR);
                        long ai = (long) ip * MR * kc * Float.BYTES;
                        long cRow = (cOffset + (long) (i0 + ip * MR) * ldc + j0) * Float.BYTES;
                        for (int jp = 0; jp < nPanels; jp++) {
                            int cols = Math.min(NR, nc - jp * NR);
                            long bi = (long) jp * NR * kc * Float.BYTES;
                            kernel(ap, ai, bp, bi, kc, s.tile);
                            if (rows == MR && cols == NR) {
                                storeTile(c, cRow + (long) jp * NR * Float.BYTES, ldcBytes, s.tile, betaNow);
                            } else {
                                mergeTile(c, cRow / Float.BYTES + (long) jp * NR, ldc, s.tile, rows, cols, betaNow);
                            }
                        }
                    }
                }
            }
        }
    }

    /** C = tile + beta * C for a full MR x NR tile at byte offset cBytes (C unread when beta == 0). */
    static void storeTile(MemorySegment c, long cBytes, long ldcBytes, MemorySegment tile, float beta) {
        if (beta == 0f) {
            for (int r = 0; r < MR; r++) {
                for (int v = 0; v < NR; v += LANES) {
                    FloatVector.fromMemorySegment(S, tile, ((long) r * NR + v) * Float.BYTES, ORDER)
                            .intoMemorySegment(c, cBytes + r * ldcBytes + (long) v * Float.BYTES, ORDER);
                }
            }
        } else {
            FloatVector b = FloatVector.broadcast(S, beta);
            for (int r = 0; r < MR; r++) {
                for (int v = 0; v < NR; v += LANES) {
                    long at = cBytes + r * ldcBytes + (long) v * Float.BYTES;
                    FloatVector.fromMemorySegment(S, c, at, ORDER).fma(b,
                            FloatVector.fromMemorySegment(S, tile, ((long) r * NR + v) * Float.BYTES, ORDER))
                            .intoMemorySegment(c, at, ORDER);
                }
            }
        }
    }

    /** C[r][c] = tile[r][c] + beta * C[r][c] for the valid part of an edge tile (C unread when beta == 0). */
    private static void mergeTile(MemorySegment c, long cIndex, int ldc, MemorySegment tile, int rows, int cols,
            float beta) {
        for (int r = 0; r < rows; r++) {
            long row = cIndex + (long) r * ldc;
            for (int j = 0; j < cols; j++) {
                float t = tile.getAtIndex(F32, (long) r * NR + j);
                c.setAtIndex(F32, row + j, beta == 0f ? t : t + beta * c.getAtIndex(F32, row + j));
            }
        }
    }

    /** C = beta * C (C = 0 when beta == 0, whatever it held). */
    private static void scale(MemorySegment c, long cOffset, int ldc, int m, int n, float beta) {
        for (int i = 0; i < m; i++) {
            long row = cOffset + (long) i * ldc;
            for (int j = 0; j < n; j++) {
                c.setAtIndex(F32, row + j, beta == 0f ? 0f : beta * c.getAtIndex(F32, row + j));
            }
        }
    }

    /**
     * Packs alpha * op(A)[i0 : i0 + mc, p0 : p0 + kc] into micro-panels of MR rows: dst[q][p][r] =
     * alpha * op(A)[i0 + q * MR + r][p0 + p], zero past the last row. Rows of A (no transpose) are turned
     * into columns 16 x 16 at a time in registers ({@link Transpose16}).
     */
    static void packA(MemorySegment dst, MemorySegment a, long aOffset, int lda, boolean transA, float alpha, int i0,
            int p0, int mc, int kc, MemorySegment buf) {
        long panelFloats = (long) MR * kc;
        int i = 0;
        if (!transA) {
            // two full panels (16 rows) at a time, 16 depth steps per transpose
            int kc16 = kc & ~15;
            for (; i + 2 * MR <= mc; i += 2 * MR) {
                long base = (long) (i / MR) * panelFloats;
                long src = aOffset + (long) (i0 + i) * lda + p0;
                for (int p = 0; p < kc16; p += 16) {
                    Transpose16.transposeSplit8(dst, (base + (long) p * MR) * Float.BYTES,
                            (base + panelFloats + (long) p * MR) * Float.BYTES, (long) MR * Float.BYTES, a,
                            (src + p) * Float.BYTES, (long) lda * Float.BYTES, alpha, buf);
                }
                for (int r = 0; r < 2 * MR; r++) {
                    long row = src + (long) r * lda;
                    long d = base + (r / MR) * panelFloats + r % MR;
                    for (int p = kc16; p < kc; p++) {
                        dst.setAtIndex(F32, d + (long) p * MR, alpha * a.getAtIndex(F32, row + p));
                    }
                }
            }
        }
        for (; i < mc; i += MR) {
            int rows = Math.min(MR, mc - i);
            long base = (long) (i / MR) * panelFloats;
            if (transA) {
                // op(A)[i][p] = A[p][i]: each depth step reads MR consecutive floats
                for (int p = 0; p < kc; p++) {
                    long src = aOffset + (long) (p0 + p) * lda + i0 + i;
                    long d = base + (long) p * MR;
                    if (rows == MR) {
                        FloatVector.fromMemorySegment(S, a, src * Float.BYTES, ORDER, LOW8).mul(alpha)
                                .intoMemorySegment(dst, d * Float.BYTES, ORDER, LOW8);
                    } else {
                        for (int r = 0; r < rows; r++) {
                            dst.setAtIndex(F32, d + r, alpha * a.getAtIndex(F32, src + r));
                        }
                        for (int r = rows; r < MR; r++) {
                            dst.setAtIndex(F32, d + r, 0f);
                        }
                    }
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    long src = aOffset + (long) (i0 + i + r) * lda + p0;
                    for (int p = 0; p < kc; p++) {
                        dst.setAtIndex(F32, base + (long) p * MR + r, alpha * a.getAtIndex(F32, src + p));
                    }
                }
                for (int r = rows; r < MR; r++) {
                    for (int p = 0; p < kc; p++) {
                        dst.setAtIndex(F32, base + (long) p * MR + r, 0f);
                    }
                }
            }
        }
    }

    /**
     * Packs op(B)[p0 : p0 + kc, j0 : j0 + nc] into micro-panels of NR columns: dst[q][p][c] =
     * op(B)[p0 + p][j0 + q * NR + c], zero past the last column. Rows of B (transposed) are turned into
     * columns 16 x 16 at a time in registers ({@link Transpose16}).
     */
    static void packB(MemorySegment dst, MemorySegment b, long bOffset, int ldb, boolean transB, int p0, int j0,
            int kc, int nc, MemorySegment buf) {
        int kc16 = kc & ~15;
        for (int q = 0, j = 0; j < nc; q++, j += NR) {
            int cols = Math.min(NR, nc - j);
            long base = (long) q * NR * kc;
            if (!transB) {
                for (int p = 0; p < kc; p++) {
                    long src = (bOffset + (long) (p0 + p) * ldb + j0 + j) * Float.BYTES;
                    long d = (base + (long) p * NR) * Float.BYTES;
                    if (cols == NR) {
                        for (int v = 0; v < NR; v += LANES) {
                            FloatVector.fromMemorySegment(S, b, src + (long) v * Float.BYTES, ORDER)
                                    .intoMemorySegment(dst, d + (long) v * Float.BYTES, ORDER);
                        }
                    } else {
                        for (int c = 0; c < cols; c++) {
                            dst.set(F32, d + (long) c * Float.BYTES, b.get(F32, src + (long) c * Float.BYTES));
                        }
                        for (int c = cols; c < NR; c++) {
                            dst.set(F32, d + (long) c * Float.BYTES, 0f);
                        }
                    }
                }
            } else {
                // op(B)[p][j] = B[j][p]: each column of the panel is a contiguous row of B
                int c = 0;
                if (cols == NR) {
                    for (; c < NR; c += 16) {
                        long src = bOffset + (long) (j0 + j + c) * ldb + p0;
                        for (int p = 0; p < kc16; p += 16) {
                            Transpose16.transpose(dst, (base + (long) p * NR + c) * Float.BYTES,
                                    (long) NR * Float.BYTES, b, (src + p) * Float.BYTES, (long) ldb * Float.BYTES, 1f, buf);
                        }
                        for (int cc = c; cc < c + 16; cc++) {
                            long row = bOffset + (long) (j0 + j + cc) * ldb + p0;
                            for (int p = kc16; p < kc; p++) {
                                dst.setAtIndex(F32, base + (long) p * NR + cc, b.getAtIndex(F32, row + p));
                            }
                        }
                    }
                }
                for (; c < cols; c++) {
                    long src = bOffset + (long) (j0 + j + c) * ldb + p0;
                    for (int p = 0; p < kc; p++) {
                        dst.setAtIndex(F32, base + (long) p * NR + c, b.getAtIndex(F32, src + p));
                    }
                }
                for (; c < NR; c++) {
                    for (int p = 0; p < kc; p++) {
                        dst.setAtIndex(F32, base + (long) p * NR + c, 0f);
                    }
                }
            }
        }
    }

    private MemorySegment ensureA(Scratch s, long floats) {
        if (s.a.byteSize() < floats * Float.BYTES) {
            s.a = grow(floats, (long) MC * KC);
        }
        return s.a;
    }

    private MemorySegment ensureB(Scratch s, long floats) {
        if (s.b.byteSize() < floats * Float.BYTES) {
            s.b = grow(floats, (long) KC * ceilDiv(NC, NR) * NR);
        }
        return s.b;
    }

    /** A new panel buffer of at least floats, doubled to cap growth steps; old ones are freed by close(). */
    private MemorySegment grow(long floats, long maxFloats) {
        long size = Math.min(Math.max(floats, 2 * floats), Math.max(floats, maxFloats));
        synchronized (arena) {
            return arena.allocate(size * Float.BYTES, ALIGN);
        }
    }

    static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    /**
     * The micro-kernel: tile[r][c] = sum_p Apanel[p][r] * Bpanel[p][c] for one 8 x 32 tile, 16 accumulators in
     * registers. The tile goes to a small aligned buffer rather than to C so that this method stays small
     * enough for the JIT's first tier to compile quickly (a kernel that also updated C took C1 tens of seconds
     * and held back the C2 compile); {@link #storeTile} then applies beta.
     */
    static void kernel(MemorySegment ap, long ai, MemorySegment bp, long bi, int kc, MemorySegment tile) {
        FloatVector c00 = FloatVector.zero(S); FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S); FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S); FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S); FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S); FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S); FloatVector c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S); FloatVector c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S); FloatVector c71 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, bp, bi, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(S, bp, bi + VBYTES, ORDER);
            FloatVector a0 = FloatVector.broadcast(S, ap.get(F32, ai));
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap.get(F32, ai + 4));
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap.get(F32, ai + 8));
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap.get(F32, ai + 12));
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap.get(F32, ai + 16));
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap.get(F32, ai + 20));
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, ap.get(F32, ai + 24));
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, ap.get(F32, ai + 28));
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            ai += MR * Float.BYTES;
            bi += NR * Float.BYTES;
        }
        c00.intoMemorySegment(tile, 0, ORDER);
        c01.intoMemorySegment(tile, 64, ORDER);
        c10.intoMemorySegment(tile, 128, ORDER);
        c11.intoMemorySegment(tile, 192, ORDER);
        c20.intoMemorySegment(tile, 256, ORDER);
        c21.intoMemorySegment(tile, 320, ORDER);
        c30.intoMemorySegment(tile, 384, ORDER);
        c31.intoMemorySegment(tile, 448, ORDER);
        c40.intoMemorySegment(tile, 512, ORDER);
        c41.intoMemorySegment(tile, 576, ORDER);
        c50.intoMemorySegment(tile, 640, ORDER);
        c51.intoMemorySegment(tile, 704, ORDER);
        c60.intoMemorySegment(tile, 768, ORDER);
        c61.intoMemorySegment(tile, 832, ORDER);
        c70.intoMemorySegment(tile, 896, ORDER);
        c71.intoMemorySegment(tile, 960, ORDER);
    }


    /** Stops the workers and frees the packed panels; no call may be in flight. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            pool.close();
            arena.close();
        }
    }
}
