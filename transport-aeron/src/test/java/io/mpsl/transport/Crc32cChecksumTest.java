package io.mpsl.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class Crc32cChecksumTest {
    @Test
    void shouldEqualTheJdkCrc32cForRandomLengthsAndAlignments() {
        SplittableRandom rnd = new SplittableRandom();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1 << 16);
            for (long i = 0; i < seg.byteSize(); i++) {
                seg.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
            }
            int checked = 0;
            for (int trial = 0; trial < 500; trial++) {
                int offset = rnd.nextInt(64);
                int length = trial < 20 ? trial : rnd.nextInt((1 << 16) - 64);
                CRC32C oracle = new CRC32C();
                oracle.update(seg.asSlice(offset, length).asByteBuffer());
                int got = Crc32cChecksum.compute(seg.address() + offset, length);
                assertEquals((int) oracle.getValue(), got, "offset " + offset + ", length " + length);
                checked++;
            }
            System.out.println(checked + " random slices match java.util.zip.CRC32C");
        }
    }
}
