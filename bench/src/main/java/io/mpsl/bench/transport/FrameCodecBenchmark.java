package io.mpsl.bench.transport;

import io.mpsl.tensor.DType;
import io.mpsl.transport.FrameHeaderFlyweight;
import io.mpsl.transport.FrameType;
import io.mpsl.transport.FrameValidator;
import io.mpsl.transport.RejectReason;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The frame codec: writing a header, and validating a received frame (with and without the payload's
 * CRC32C). Run with the allocation profiler to see that neither allocates:
 * <pre>
 * java $FLAGS -cp 'launcher/target/lib/*' org.openjdk.jmh.Main FrameCodecBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class FrameCodecBenchmark {
    /** Payload bytes of the frame: a small control message, and a full 64 KiB-MTU chunk. */
    @Param({"256", "65344"})
    public int payloadBytes;

    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(FrameHeaderFlyweight.HEADER_LENGTH + 65_536));
    private final FrameHeaderFlyweight header = new FrameHeaderFlyweight();
    private FrameValidator validator;
    private int step;
    private int crcFrameCrc;

    @Setup
    public void setUp() {
        validator = new FrameValidator(7, 11, 64L << 20);
        for (int i = 0; i < payloadBytes; i++) {
            buffer.putByte(FrameHeaderFlyweight.HEADER_LENGTH + i, (byte) (i * 31));
        }
        encode();
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        byte[] payload = new byte[payloadBytes];
        buffer.getBytes(FrameHeaderFlyweight.HEADER_LENGTH, payload);
        crc.update(payload);
        crcFrameCrc = (int) crc.getValue();
    }

    /** Fills every header field, as the sender does for each chunk. */
    @Benchmark
    public int encode() {
        int s = step++;
        header.wrap(buffer, 0).init().frameType(FrameType.ACTIVATION).dtype(DType.F32).rank(2).flags(0).participant(3)
                .runId(7).sessionToken(11).round(1).step(s).microBatch(s & 7).sequence(s).chunkIndex(0).chunkCount(1)
                .byteOffset(0).payloadLength(payloadBytes).payloadCrc(0).timestampNs(s)
                .dim(0, payloadBytes / 64).dim(1, 16);
        return header.sequence();
    }

    /** All the stateless checks a receiver makes on a frame, without a CRC. */
    @Benchmark
    public RejectReason validate() {
        header.wrap(buffer, 0).flags(0);
        return validator.validate(buffer, 0, FrameHeaderFlyweight.HEADER_LENGTH + payloadBytes);
    }

    /** The same with the payload's CRC32C checked. */
    @Benchmark
    public RejectReason validateWithCrc() {
        header.wrap(buffer, 0).flags(FrameHeaderFlyweight.FLAG_CRC).payloadCrc(crcFrameCrc);
        return validator.validate(buffer, 0, FrameHeaderFlyweight.HEADER_LENGTH + payloadBytes);
    }
}
