package io.mpsl.nn.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A dataset file that is missing, truncated or not in the expected format. The message names the file, says
 * what was expected and what was found, and what to do about it.
 */
public final class DataFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public DataFileException(String message) {
        super(message);
    }

    public DataFileException(String message, Throwable cause) {
        super(message, cause);
    }

    static DataFileException of(Path file, String problem, String remedy) {
        return new DataFileException(file + ": " + problem + (remedy == null || remedy.isEmpty() ? "" : "; " + remedy));
    }
}
