package dev.modelship.artifact;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;

/**
 * Why an artifact build ended, with the optimizer's exit code for it. The code is what the
 * operator puts in {@code ArtifactReady}'s reason; {@link #retryable} decides whether the artifact
 * Job tries again or fails at once (its {@code podFailurePolicy}).
 */
public enum BuildReason {
    /** The artifact was written, or an intact one with this digest was reused. */
    BUILT("Built", 0, false),
    /** A defect of the optimizer, or the JVM ran out of memory: worth one more try. */
    INTERNAL_ERROR("InternalError", 1, true),
    /** A flag, pass name, pass parameter or gate the optimizer does not accept. */
    INVALID_ARGUMENTS("InvalidArguments", 2, false),
    /** The source could not be downloaded or read (network, permissions, missing object). */
    FETCH_FAILED("FetchFailed", 3, true),
    /** The model file is corrupt, truncated, or holds values no runtime can use. */
    INVALID_MODEL("InvalidModel", 4, false),
    /** A validation gate failed: the optimized model differs too much from the original. */
    VALIDATION_FAILED("ValidationFailed", 5, false),
    /** Writing or uploading the artifact failed; nothing was left behind. */
    STORE_FAILED("StoreFailed", 6, true),
    /** An artifact's files disagree with its manifest; it is never served or overwritten. */
    ARTIFACT_CORRUPT("ArtifactCorrupt", 7, false),
    /** Not a format the optimizer reads, or a feature of it that no converter supports. */
    UNSUPPORTED_FORMAT("UnsupportedFormat", 8, false),
    /** The source's sha256 is not the pinned one. */
    CHECKSUM_MISMATCH("ChecksumMismatch", 9, false);

    private final String code;
    private final int exitCode;
    private final boolean retryable;

    BuildReason(String code, int exitCode, boolean retryable) {
        this.code = code;
        this.exitCode = exitCode;
        this.retryable = retryable;
    }

    /** The CamelCase reason, as it appears in the summary and in the condition. */
    @JsonValue
    public String code() {
        return code;
    }

    public int exitCode() {
        return exitCode;
    }

    /** Whether running the same build again may succeed (an infrastructure failure). */
    public boolean retryable() {
        return retryable;
    }

    /** The reason for a code; null for one this reader does not know (a newer optimizer's). */
    @JsonCreator
    public static BuildReason ofCode(String code) {
        for (BuildReason r : values()) {
            if (r.code.equals(code)) {
                return r;
            }
        }
        return null;
    }

    /** The reason an exit code stands for; null for a code the optimizer never uses. */
    public static BuildReason ofExitCode(int exitCode) {
        for (BuildReason r : values()) {
            if (r.exitCode == exitCode) {
                return r;
            }
        }
        return null;
    }

    /** Exit codes that no retry can change: the Job fails at once on them. */
    public static List<Integer> deterministicFailureExitCodes() {
        return Arrays.stream(values()).filter(r -> r != BUILT && !r.retryable).map(BuildReason::exitCode).toList();
    }
}
