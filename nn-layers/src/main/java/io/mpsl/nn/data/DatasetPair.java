package io.mpsl.nn.data;

/** A training set and its test set. Closing closes both. */
public record DatasetPair(Dataset train, Dataset test) implements AutoCloseable {
    @Override
    public void close() {
        train.close();
        test.close();
    }
}
