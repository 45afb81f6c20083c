package io.mpsl.bench.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.tensor.Shape;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class TrainThroughputTest {

    @Test
    void shouldRunTheRequestedStepsAndCountSamples() {
        try (Backend backend = new ScalarBackend()) {
            TrainThroughput.Result r = TrainThroughput.measure("mlp", Shape.of(1, 8, 8), 4, backend, 1, 0, 3, 0, 7);
            assertEquals(3, r.stepMs().length);
            assertEquals(4, r.batch());
            assertTrue(r.samplesPerSecond() > 0 && r.medianStepMs() > 0, r.toString());
            assertEquals("scalar", r.backend());
        }
    }

    @Test
    void shouldChooseAndParseInputShapes() {
        assertEquals(Shape.of(1, 28, 28), TrainThroughput.defaultInput("lenet5"));
        assertEquals(Shape.of(3, 32, 32), TrainThroughput.defaultInput("vgg11"));
        assertEquals(Shape.of(3, 64, 48), TrainThroughput.parseShape("3x64X48"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainThroughput.parseShape("32x32"));
        assertEquals("input shape 32x32 is not CxHxW, e.g. 3x32x32", e.getMessage());
    }

    @Test
    void shouldFindThePeerScriptAndTakeMedians() throws Exception {
        assertTrue(Files.readString(TorchPeerRunner.findScript()).contains("nn.Linear(512, classes)"));
        assertEquals(2.0, TorchPeerRunner.median(new double[] {3, 1, 2}));
        assertEquals(2.5, TorchPeerRunner.median(new double[] {4, 1, 2, 3}));
    }
}
