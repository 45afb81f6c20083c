package io.mpsl.tensor.io;

import java.io.IOException;

/** A file that is not a valid safetensors file, or holds something mpsl cannot load; the message names the file. */
public final class SafetensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    SafetensorsException(String message) {
        super(message);
    }

    SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
