package dev.modelship.artifact;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The one-line JSON the optimizer prints last and writes to the artifact Job's termination
 * message, which the operator turns into {@code status.artifact} and {@code ArtifactReady}.
 * Kubernetes keeps at most {@value #MAX_BYTES} bytes of it, so {@link #toJson} shortens long fields
 * until it fits.
 *
 * @param reason why the build ended; {@link BuildReason#BUILT} when an artifact is there
 * @param exitCode the optimizer's exit code, the reason's
 * @param message what happened, for a person: the artifact, or what failed and what to do
 * @param location where the artifact is: a directory or {@code s3://bucket/prefix/<hex>}
 * @param format the served model file's format: {@code onnx} or {@code ort}
 * @param sourceFormat the source's format: {@code onnx}, {@code xgboost} or {@code lightgbm}
 * @param bytes size of the model file in the artifact
 * @param file the model file's name in the artifact directory
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BuildSummary(
        BuildReason reason,
        int exitCode,
        String message,
        String digest,
        String location,
        Boolean reused,
        String format,
        String sourceFormat,
        Long sourceBytes,
        Long bytes,
        String file,
        List<String> passes,
        Manifest.Validation validation) {

    public static final int MAX_BYTES = 4096;
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** An artifact written now, or found intact under its digest ({@code reused}). */
    public static BuildSummary built(Manifest m, String location, boolean reused, Manifest.Validation validation) {
        String message = (reused ? "reused " : "built ") + m.digest() + " at " + location + ": " + m.output().file()
                + ", " + m.output().bytes() + " bytes from a " + m.source().bytes() + "-byte " + m.source().format()
                + " source";
        String format = m.output().file().endsWith(".ort") ? "ort" : "onnx";
        return new BuildSummary(BuildReason.BUILT, 0, message, m.digest(), location, reused, format,
                m.source().format(), m.source().bytes(), m.output().bytes(), m.output().file(),
                m.pipeline().stream().map(Manifest.PipelineStep::name).toList(), validation);
    }

    /** A failed build; {@code validation} is the report that failed a gate, if that is why. */
    public static BuildSummary failed(BuildReason reason, String message, Manifest.Validation validation) {
        return new BuildSummary(reason, reason.exitCode(), message, null, null, null, null, null, null, null, null,
                null, validation);
    }

    /** Whether an artifact is there to serve. */
    @JsonIgnore
    public boolean isBuilt() {
        return reason == BuildReason.BUILT && digest != null;
    }

    /**
     * Reads a termination message: the summary file, or the log's tail that Kubernetes keeps when
     * the file is empty ({@code FallbackToLogsOnError}), whose last line is the summary. Empty when
     * it holds no summary with a reason this reader knows, for example when the optimizer never
     * started.
     */
    public static Optional<BuildSummary> parse(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String trimmed = text.strip();
        Optional<BuildSummary> whole = read(trimmed);
        if (whole.isPresent()) {
            return whole;
        }
        return read(trimmed.substring(trimmed.lastIndexOf('\n') + 1));
    }

    private static Optional<BuildSummary> read(String json) {
        try {
            BuildSummary s = JSON.readValue(json, BuildSummary.class);
            return s == null || s.reason == null ? Optional.empty() : Optional.of(s);
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** Compact JSON of at most {@link #MAX_BYTES} UTF-8 bytes. */
    public String toJson() {
        BuildSummary s = this;
        String json = write(s);
        if (bytes(json) > MAX_BYTES) {
            s = s.with(truncate(s.message, 1024), s.location, s.passes, s.validation);
            json = write(s);
        }
        if (bytes(json) > MAX_BYTES && s.passes != null) {
            s = s.with(s.message, s.location, List.of(s.passes.size() + " passes"), s.validation);
            json = write(s);
        }
        if (bytes(json) > MAX_BYTES) {
            s = s.with(truncate(s.message, 256), truncate(s.location, 512), null, null);
            json = write(s);
        }
        return json;
    }

    private BuildSummary with(String message, String location, List<String> passes, Manifest.Validation validation) {
        return new BuildSummary(reason, exitCode, message, digest, location, reused, format, sourceFormat, sourceBytes,
                bytes, file, passes, validation);
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "…";
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String write(BuildSummary s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
