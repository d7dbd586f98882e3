package dev.modelship.optimizer;

/**
 * A failure the user can act on. Its {@link Kind} decides the command's exit code, so
 * that the operator can tell a bad model from a network problem without parsing text.
 */
public class OptimizerException extends RuntimeException {

    /** What went wrong, and the documented exit code for it. */
    public enum Kind {
        USAGE(2),
        FETCH(3),
        BAD_MODEL(4),
        VALIDATION_GATE(5),
        IO(6),
        /** An artifact's files disagree with its manifest (sha256, size, digest): never served. */
        INTEGRITY(7);

        public final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    private final Kind kind;

    public OptimizerException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public OptimizerException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static OptimizerException badModel(String message) {
        return new OptimizerException(Kind.BAD_MODEL, message);
    }

    public static OptimizerException usage(String message) {
        return new OptimizerException(Kind.USAGE, message);
    }
}
