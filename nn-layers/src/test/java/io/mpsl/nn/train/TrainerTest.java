package io.mpsl.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.kernels.Backend;
import io.mpsl.kernels.scalar.ScalarBackend;
import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.data.Dataset;
import io.mpsl.nn.data.SyntheticDataset;
import io.mpsl.nn.zoo.ModelZoo;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Shape;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.io.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static final TrainListener QUIET = new TrainListener() {
    };
    private final MemoryAccount account = MemoryAccount.root("test");
    private final Backend backend = new ScalarBackend();

    @TempDir
    Path dir;

    @AfterEach
    void closeBackend() {
        backend.close();
    }

    private static TrainConfig config(String model, String optimizer) {
        return new TrainConfig().model(model).dataset("synthetic").epochs(2).batch(16).optimizer(optimizer).seed(3)
                .conclude();
    }

    /** Every parameter, buffer and optimizer tensor, copied out. */
    private static Map<String, float[]> snapshot(Trainer t) {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : t.state().namedTensors().entrySet()) {
            m.put(e.getKey(), e.getValue().toFloatArray());
        }
        for (Map.Entry<String, Tensor> e : t.state().namedOptimizerState().entrySet()) {
            m.put("optimizer." + e.getKey(), e.getValue().toFloatArray());
        }
        return m;
    }

    private void assertResumeIsExact(String model, String optimizer, Shape sample) throws IOException {
        ModelSpec spec = ModelZoo.create(model, sample, 10);
        Path file = dir.resolve(model + ".safetensors");
        try (Dataset train = SyntheticDataset.create("train", sample, 10, 50, 1, account);
                Dataset test = SyntheticDataset.create("test", sample, 10, 16, 2, account)) {
            Map<String, float[]> straight;
            Map<String, float[]> initial;
            try (Trainer t = new Trainer(spec, backend, config(model, optimizer), account)) {
                initial = snapshot(t);
                t.fit(train, test, 2, QUIET);
                straight = snapshot(t);
            }
            try (Trainer t = new Trainer(spec, backend, config(model, optimizer).checkpoint(file), account)) {
                t.fit(train, test, 1, QUIET);
            }
            Safetensors.Header h = Safetensors.check(file);
            assertEquals("1", h.metadata().get("epoch"));
            assertEquals("0", h.metadata().get("batch"));
            assertEquals("4", h.metadata().get("optimizer_steps")); // ceil(50 / 16) steps per epoch, the last of 2
            assertEquals(model, h.metadata().get("model"));
            assertEquals("[" + sample.dim(0) + "," + sample.dim(1) + "," + sample.dim(2) + "]",
                    h.metadata().get("input_shape"));
            try (Trainer t = new Trainer(spec, backend, config(model, optimizer), account)) {
                Checkpoint.Position p = t.resume(file);
                assertEquals(1, p.epoch());
                TrainResult r = t.fit(train, test, 2, QUIET);
                assertEquals(1, r.epochs().size());
                assertEquals(1, r.epochs().get(0).epoch());
                Map<String, float[]> resumed = snapshot(t);
                assertEquals(straight.keySet(), resumed.keySet());
                assertTrue(straight.keySet().stream().anyMatch(k -> k.startsWith("optimizer.")), "optimizer state");
                for (String k : straight.keySet()) {
                    assertArrayEquals(straight.get(k), resumed.get(k), k + " differs after resuming");
                }
                String first = initial.keySet().iterator().next();
                assertFalse(Arrays.equals(initial.get(first), straight.get(first)), "training changed nothing");
            }
        }
    }

    @Test
    void shouldResumeSgdWithMomentumBitForBit() throws IOException {
        assertResumeIsExact("mlp", "sgd", Shape.of(1, 8, 8));
    }

    @Test
    void shouldResumeAdamOnAConvNetBitForBit() throws IOException {
        assertResumeIsExact("vgg5", "adam", Shape.of(3, 8, 8));
    }

    @Test
    void shouldLearnALearnableDataset() throws IOException {
        Shape sample = Shape.of(1, 8, 8);
        ModelSpec spec = ModelZoo.create("mlp", sample, 4);
        try (Dataset train = SyntheticDataset.create("train", sample, 4, 256, 1, account);
                Dataset test = SyntheticDataset.create("test", sample, 4, 128, 1, account);
                Trainer t = new Trainer(spec, backend, new TrainConfig().model("mlp").dataset("synthetic").epochs(3)
                        .batch(32).learningRate(0.02f).conclude(), account)) {
            TrainResult r = t.fit(train, test, 3, QUIET);
            for (EpochResult e : r.epochs()) {
                System.out.printf("epoch %d train loss %.4f test accuracy %.3f%n", e.epoch(), e.trainLoss(),
                        e.testAccuracy());
            }
            assertTrue(r.epochs().get(2).trainLoss() < r.epochs().get(0).trainLoss() * 0.5, "loss did not fall");
            assertTrue(r.testAccuracy() > 0.9, "test accuracy " + r.testAccuracy());
            assertEquals(r.testAccuracy(), t.evaluate(test).accuracy());
        }
    }

    @Test
    void shouldRefuseToResumeWithAnotherBatchSize() throws IOException {
        Shape sample = Shape.of(1, 8, 8);
        ModelSpec spec = ModelZoo.create("mlp", sample, 10);
        Path file = dir.resolve("c.safetensors");
        try (Dataset train = SyntheticDataset.create("train", sample, 10, 40, 1, account)) {
            try (Trainer t = new Trainer(spec, backend, config("mlp", "sgd").checkpoint(file), account)) {
                t.fit(train, train, 1, QUIET);
            }
            try (Trainer t = new Trainer(spec, backend, new TrainConfig().model("mlp").dataset("synthetic").epochs(2)
                    .batch(8).seed(3).conclude(), account)) {
                IOException e = assertThrows(IOException.class, () -> t.resume(file));
                assertTrue(e.getMessage().contains("checkpoint was written with batch_size 16 but this run has 8"),
                        e.getMessage());
            }
            try (Trainer t = new Trainer(spec, backend, config("mlp", "adam"), account)) {
                IOException e = assertThrows(IOException.class, () -> t.resume(file));
                assertTrue(e.getMessage().contains("checkpoint has optimizer sgd but this run has adam"), e.getMessage());
            }
        }
    }

    @Test
    void shouldDecayTheLearningRateBySchedule() {
        assertEquals(0.1f, LrSchedule.COSINE.at(0.1f, 0, 100));
        assertEquals(0.05f, LrSchedule.COSINE.at(0.1f, 50, 100), 1e-7f);
        assertEquals(0.05f, LrSchedule.LINEAR.at(0.1f, 50, 100), 1e-7f);
        assertEquals(0.1f, LrSchedule.CONSTANT.at(0.1f, 99, 100));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.of("step"));
        assertEquals(0.025f, LrSchedule.CONSTANT.at(0.1f, 0, 100, 4), 1e-7f); // warm-up: (0 + 1) / 4 of the rate
        assertEquals(0.1f, LrSchedule.CONSTANT.at(0.1f, 3, 100, 4), 1e-7f);
        assertEquals(LrSchedule.COSINE.at(0.1f, 10, 100), LrSchedule.COSINE.at(0.1f, 10, 100, 4));
    }
}
