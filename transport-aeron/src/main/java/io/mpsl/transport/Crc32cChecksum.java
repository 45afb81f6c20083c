package io.mpsl.transport;

import java.nio.ByteOrder;
import org.agrona.UnsafeApi;

/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) of off-heap memory by address, table-driven eight
 * bytes at a time ("slice-by-8"). It needs no access to the JDK's private intrinsic, so it runs without
 * extra {@code --add-opens}; about 1-2 GB/s, used for the optional per-chunk checksum.
 *
 * <p>{@code crc = ~fold(~0, bytes)}, each byte folded as {@code crc = T[(crc ^ b) & 0xFF] ^ (crc >>> 8)};
 * equal to {@link java.util.zip.CRC32C}.
 */
final class Crc32cChecksum {
    private static final int POLY = 0x82F63B78;
    private static final int[][] T = new int[8][256];
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    static {
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
            T[0][i] = c;
        }
        for (int t = 1; t < 8; t++) {
            for (int i = 0; i < 256; i++) {
                int prev = T[t - 1][i];
                T[t][i] = (prev >>> 8) ^ T[0][prev & 0xFF];
            }
        }
    }

    private Crc32cChecksum() {
    }

    /** The CRC32C of {@code length} bytes at native {@code address}. */
    static int compute(long address, int length) {
        int[] t0 = T[0], t1 = T[1], t2 = T[2], t3 = T[3], t4 = T[4], t5 = T[5], t6 = T[6], t7 = T[7];
        int crc = ~0;
        long p = address;
        long end8 = address + (length & ~7L);
        while (p < end8) {
            long v = UnsafeApi.getLong(null, p);
            if (!LITTLE_ENDIAN) {
                v = Long.reverseBytes(v);
            }
            int lo = (int) v ^ crc;
            int hi = (int) (v >>> 32);
            crc = t7[lo & 0xFF] ^ t6[(lo >>> 8) & 0xFF] ^ t5[(lo >>> 16) & 0xFF] ^ t4[lo >>> 24]
                    ^ t3[hi & 0xFF] ^ t2[(hi >>> 8) & 0xFF] ^ t1[(hi >>> 16) & 0xFF] ^ t0[hi >>> 24];
            p += 8;
        }
        long end = address + length;
        while (p < end) {
            crc = t0[(crc ^ UnsafeApi.getByte(null, p)) & 0xFF] ^ (crc >>> 8);
            p++;
        }
        return ~crc;
    }
}
