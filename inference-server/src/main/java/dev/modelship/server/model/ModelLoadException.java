package dev.modelship.server.model;

/** The model cannot be served; the message says why, for the person reading the startup log. */
public class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
