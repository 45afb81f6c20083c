package io.mpsl.nn.train;

import io.mpsl.nn.ModelSpec;
import io.mpsl.nn.ParameterState;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.Tensor;
import io.mpsl.tensor.TensorArena;
import io.mpsl.tensor.io.Safetensors;
import io.mpsl.tensor.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint as one safetensors file, written atomically: the model's parameters and buffers under
 * their stable names ("block3.conv.weight"), the optimizer state under {@value #OPTIMIZER_PREFIX} plus its
 * name ("optimizer.momentum.block3.conv.weight"), and in the metadata the model spec (name, input shape,
 * classes), the position (next epoch and batch), the optimizer's step count and learning rate, the counter
 * that seeds dropout masks, and the run's settings that fix the data order (dataset, batch, seed, limit).
 * Python reads it with {@code safetensors.torch.load_file}.
 */
public final class Checkpoint {
    public static final String FORMAT = "mpsl-checkpoint/1";
    public static final String OPTIMIZER_PREFIX = "optimizer.";

    private Checkpoint() {
    }

    /**
     * Where a checkpoint left off, with the settings of the run that wrote it.
     *
     * @param epoch the epoch to continue with (0-based)
     * @param batch the batch of that epoch to continue with
     * @param metadata every metadata entry of the file
     */
    public record Position(int epoch, int batch, Map<String, String> metadata) {
    }

    /** Writes {@code state} and the position atomically to {@code file}. */
    public static void save(Path file, ModelSpec spec, ParameterState state, int epoch, int batch,
            Map<String, String> settings) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>(state.namedTensors());
        for (Map.Entry<String, Tensor> e : state.namedOptimizerState().entrySet()) {
            tensors.put(OPTIMIZER_PREFIX + e.getKey(), e.getValue());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("model", spec.name());
        meta.put("input_shape", Json.write(dims(spec)));
        meta.put("classes", Integer.toString(spec.classes()));
        meta.put("epoch", Integer.toString(epoch));
        meta.put("batch", Integer.toString(batch));
        meta.put("optimizer_steps", Integer.toString(state.steps()));
        meta.put("training_forwards", Long.toString(state.trainingForwards()));
        meta.put("learning_rate", Float.toString(state.learningRate()));
        meta.put("optimizer", state.optimizer().kind().name().toLowerCase(java.util.Locale.ROOT));
        meta.putAll(settings);
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Loads a checkpoint into {@code state}, after checking that it was written for the same model; returns where
     * training continues. Every parameter, buffer and optimizer tensor of {@code state} must be in the file.
     */
    public static Position load(Path file, ModelSpec spec, ParameterState state) throws IOException {
        try (TensorArena arena = new TensorArena(MemoryAccount.root("checkpoint"))) {
            Safetensors.Contents c = Safetensors.read(file, arena);
            Map<String, String> meta = c.metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw new IOException(file + ": not an mpsl checkpoint (metadata format is " + meta.get("format")
                        + ", expected " + FORMAT + ")");
            }
            expect(file, meta, "model", spec.name());
            expect(file, meta, "input_shape", Json.write(dims(spec)));
            expect(file, meta, "classes", Integer.toString(spec.classes()));
            expect(file, meta, "optimizer", state.optimizer().kind().name().toLowerCase(java.util.Locale.ROOT));
            Map<String, Tensor> model = new LinkedHashMap<>();
            Map<String, Tensor> optimizer = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
                if (e.getKey().startsWith(OPTIMIZER_PREFIX)) {
                    optimizer.put(e.getKey().substring(OPTIMIZER_PREFIX.length()), e.getValue());
                } else {
                    model.put(e.getKey(), e.getValue());
                }
            }
            requireAll(file, state.namedTensors(), model, "");
            requireAll(file, state.namedOptimizerState(), optimizer, OPTIMIZER_PREFIX);
            state.load(model);
            for (Map.Entry<String, Tensor> e : state.namedOptimizerState().entrySet()) {
                e.getValue().copyFrom(optimizer.get(e.getKey()));
            }
            state.restoreCounters(integer(file, meta, "optimizer_steps"), Long.parseLong(meta.getOrDefault(
                    "training_forwards", "0")));
            state.setLearningRate(Float.parseFloat(meta.getOrDefault("learning_rate",
                    Float.toString(state.learningRate()))));
            return new Position(integer(file, meta, "epoch"), integer(file, meta, "batch"), meta);
        }
    }

    private static List<Integer> dims(ModelSpec spec) {
        List<Integer> d = new ArrayList<>();
        for (int x : spec.inputShape().dims()) {
            d.add(x);
        }
        return d;
    }

    private static void expect(Path file, Map<String, String> meta, String key, String expected) throws IOException {
        String v = meta.get(key);
        if (!expected.equals(v)) {
            throw new IOException(file + ": checkpoint has " + key + " " + v + " but this run has " + expected
                    + "; resume with the same model and optimizer, or start afresh without --resume");
        }
    }

    private static void requireAll(Path file, Map<String, Tensor> needed, Map<String, Tensor> have, String prefix)
            throws IOException {
        for (Map.Entry<String, Tensor> e : needed.entrySet()) {
            Tensor t = have.get(e.getKey());
            if (t == null) {
                throw new IOException(file + ": checkpoint lacks tensor " + prefix + e.getKey());
            }
            if (!t.shape().equals(e.getValue().shape())) {
                throw new IOException(file + ": tensor " + prefix + e.getKey() + " has shape " + t.shape()
                        + ", the model expects " + e.getValue().shape());
            }
        }
    }

    static int integer(Path file, Map<String, String> meta, String key) throws IOException {
        String v = meta.get(key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": checkpoint metadata " + key + " is " + v + ", expected an integer", e);
        }
    }
}
