package io.mpsl.launcher;

/** Bad command-line arguments: the message says which and what was expected. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
