package dev.modelship.server.protocol;

/**
 * A request the server will not or cannot answer, with the HTTP status that says why
 * and a message naming the problem. The gRPC adapter maps the same status to a code.
 */
public class InferenceException extends RuntimeException {

    public static final int BAD_REQUEST = 400;
    public static final int NOT_FOUND = 404;
    public static final int PAYLOAD_TOO_LARGE = 413;
    public static final int UNSUPPORTED_MEDIA_TYPE = 415;
    public static final int INTERNAL = 500;
    public static final int UNAVAILABLE = 503;

    private final int status;

    public InferenceException(int status, String message) {
        super(message);
        this.status = status;
    }

    public InferenceException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public static InferenceException badRequest(String format, Object... args) {
        return new InferenceException(BAD_REQUEST, String.format(format, args));
    }

    /**
     * The failure as the client should see it: an InferenceException as it is (unwrapped
     * from a CompletionException), anything else as a 500 that carries its message.
     */
    public static InferenceException of(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof InferenceException ie ? ie
                : new InferenceException(INTERNAL, "internal error: " + cause.getMessage(), cause);
    }

    /** A server fault worth a log line; client errors and load shedding are not. */
    public boolean isServerFault() {
        return status >= 500 && status != UNAVAILABLE;
    }

    public int status() {
        return status;
    }

    public boolean isClientError() {
        return status >= 400 && status < 500;
    }
}
