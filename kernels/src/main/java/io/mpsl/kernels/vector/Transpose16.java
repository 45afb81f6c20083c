package io.mpsl.kernels.vector;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transpose of a 16 x 16 float block with two-source permutes, for the packing routines that turn rows into
 * columns. Stage s (s = 8, 4, 2, 1) pairs rows i and i + s (bit s of i clear) and swaps bit s of the row and
 * column index: lo[j] = (j & s) == 0 ? r_i[j] : r_(i+s)[j - s], hi[j] = (j & s) == 0 ? r_i[j + s] :
 * r_(i+s)[j]. After the four stages element (r, c) sits at (c, r). Stages run as short loops over a 1 KiB
 * buffer (in L1) rather than fully unrolled: an unrolled version was too large for the JIT's first tier,
 * which then kept it interpreted for seconds.
 */
final class Transpose16 {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    /** Bytes of the buffer a transpose needs. */
    static final long BUFFER_BYTES = 16 * 16 * Float.BYTES;
    private static final long ROW = 16 * Float.BYTES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final VectorMask<Float> LOW8 = VectorMask.fromLong(S, 0xFFL);
    private static final VectorShuffle<Float> LO8 = shuffle(8, false);
    private static final VectorShuffle<Float> HI8 = shuffle(8, true);
    private static final VectorShuffle<Float> LO4 = shuffle(4, false);
    private static final VectorShuffle<Float> HI4 = shuffle(4, true);
    private static final VectorShuffle<Float> LO2 = shuffle(2, false);
    private static final VectorShuffle<Float> HI2 = shuffle(2, true);
    private static final VectorShuffle<Float> LO1 = shuffle(1, false);
    private static final VectorShuffle<Float> HI1 = shuffle(1, true);

    private Transpose16() {
    }

    /** Indices into the pair (r_i, r_(i+s)): 0..15 pick from r_i, 16..31 from r_(i+s). */
    private static VectorShuffle<Float> shuffle(int s, boolean hi) {
        int[] idx = new int[16];
        for (int j = 0; j < 16; j++) {
            boolean set = (j & s) != 0;
            idx[j] = hi ? (set ? 16 + j : j + s) : (set ? 16 + j - s : j);
        }
        return VectorShuffle.fromArray(S, idx, 0);
    }

    /**
     * Reads 16 rows of 16 floats (row i at srcBytes + i * srcStrideBytes), times scale, and writes the
     * transpose: column c of the block goes to dstBytes + c * dstStrideBytes as 16 consecutive floats.
     */
    static void transpose(MemorySegment dst, long dstBytes, long dstStrideBytes, MemorySegment src, long srcBytes,
            long srcStrideBytes, float scale, MemorySegment buf) {
        transposeIntoBuffer(buf, src, srcBytes, srcStrideBytes, scale);
        for (int i = 0; i < 16; i++) {
            FloatVector.fromMemorySegment(S, buf, i * ROW, ORDER).intoMemorySegment(dst, dstBytes + i * dstStrideBytes,
                    ORDER);
        }
    }

    /**
     * As {@link #transpose}, but column c is split: its first 8 floats go to dstBytes + c * dstStrideBytes
     * and its last 8 to dst2Bytes + c * dstStrideBytes (two packed panels of 8 rows).
     */
    static void transposeSplit8(MemorySegment dst, long dstBytes, long dst2Bytes, long dstStrideBytes,
            MemorySegment src, long srcBytes, long srcStrideBytes, float scale, MemorySegment buf) {
        transposeIntoBuffer(buf, src, srcBytes, srcStrideBytes, scale);
        for (int i = 0; i < 16; i++) {
            FloatVector v = FloatVector.fromMemorySegment(S, buf, i * ROW, ORDER);
            v.intoMemorySegment(dst, dstBytes + i * dstStrideBytes, ORDER, LOW8);
            v.slice(8).intoMemorySegment(dst, dst2Bytes + i * dstStrideBytes, ORDER, LOW8);
        }
    }

    private static void transposeIntoBuffer(MemorySegment buf, MemorySegment src, long srcBytes, long srcStrideBytes,
            float scale) {
        for (int i = 0; i < 8; i++) {
            FloatVector x = FloatVector.fromMemorySegment(S, src, srcBytes + i * srcStrideBytes, ORDER).mul(scale);
            FloatVector y = FloatVector.fromMemorySegment(S, src, srcBytes + (i + 8) * srcStrideBytes, ORDER)
                    .mul(scale);
            x.rearrange(LO8, y).intoMemorySegment(buf, i * ROW, ORDER);
            x.rearrange(HI8, y).intoMemorySegment(buf, (i + 8) * ROW, ORDER);
        }
        stage(buf, 4, LO4, HI4);
        stage(buf, 2, LO2, HI2);
        stage(buf, 1, LO1, HI1);
    }

    private static void stage(MemorySegment buf, int s, VectorShuffle<Float> lo, VectorShuffle<Float> hi) {
        for (int i = 0; i < 16; i++) {
            if ((i & s) == 0) {
                FloatVector x = FloatVector.fromMemorySegment(S, buf, i * ROW, ORDER);
                FloatVector y = FloatVector.fromMemorySegment(S, buf, (i + s) * ROW, ORDER);
                x.rearrange(lo, y).intoMemorySegment(buf, i * ROW, ORDER);
                x.rearrange(hi, y).intoMemorySegment(buf, (i + s) * ROW, ORDER);
            }
        }
    }
}
