package io.mpsl.tensor.json;

/**
 * Malformed JSON text, or a value that cannot be written as JSON. For parse errors the message names the line,
 * column and character offset, what was expected and what was found.
 */
public final class JsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int offset;

    JsonException(String message, int offset) {
        super(message);
        this.offset = offset;
    }

    /** Character offset of the error in the parsed text (0-based), or -1 for a write error. */
    public int offset() {
        return offset;
    }
}
