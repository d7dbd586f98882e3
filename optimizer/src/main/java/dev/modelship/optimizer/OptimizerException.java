package dev.modelship.optimizer;

import dev.modelship.artifact.BuildReason;

/**
 * A failure the user can act on. Its {@link BuildReason} decides the command's exit code and the
 * summary's reason, so that the operator can tell a bad model from a network problem without
 * parsing text.
 */
public class OptimizerException extends RuntimeException {

    private final BuildReason reason;

    public OptimizerException(BuildReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public OptimizerException(BuildReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public BuildReason reason() {
        return reason;
    }

    public static OptimizerException badModel(String message) {
        return new OptimizerException(BuildReason.INVALID_MODEL, message);
    }

    /** A model in a format, or using a feature of one, that the optimizer does not convert. */
    public static OptimizerException unsupported(String message) {
        return new OptimizerException(BuildReason.UNSUPPORTED_FORMAT, message);
    }

    public static OptimizerException usage(String message) {
        return new OptimizerException(BuildReason.INVALID_ARGUMENTS, message);
    }
}
