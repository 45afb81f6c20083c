package io.mpsl.bench.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TransportBenchTest {
    @Test
    void shouldWriteTheJsonShapeTheIssueAsksFor() {
        String json = TransportBench.toJson(
                List.of(new TransportBench.Transfer("aeron-udp", 1048576, 2000.04, 500.0, 900.26, 0.5),
                        new TransportBench.Transfer("tcp", 65536, 1.0, 2.0, 3.0, 0.1)),
                List.of(new TransportBench.Shaped(10, 9.9)));
        assertEquals("""
                {"transfers": [
                  {"transport": "aeron-udp", "size_bytes": 1048576, "goodput_mb_s": 2000.0, "p50_us": 500.0, "p99_us": 900.3},
                  {"transport": "tcp", "size_bytes": 65536, "goodput_mb_s": 1.0, "p50_us": 2.0, "p99_us": 3.0}],
                 "shaped": [
                  {"rate_mbit": 10, "measured_mbit": 9.90}]}
                """, json);
    }

    @Test
    void shouldTakeTheMiddleValueOrTheMeanOfTheTwoMiddleOnes() {
        assertEquals(3.0, TransportBench.median(new double[] {5, 1, 3}));
        assertEquals(2.5, TransportBench.median(new double[] {4, 1, 3, 2}));
        double[] unsorted = {2, 1};
        TransportBench.median(unsorted);
        assertEquals(2.0, unsorted[0], "median must not reorder the caller's values");
    }
}
