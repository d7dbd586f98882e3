package dev.modelship.optimizer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.optimizer.artifact.Manifest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The one-line JSON result the operator reads as the Job's termination message, which
 * Kubernetes cuts at 4096 bytes: long fields are shortened until it fits.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Summary(
        String status,
        int exitCode,
        String error,
        String digest,
        String artifactDir,
        Boolean reused,
        String format,
        Long sourceBytes,
        Long outputBytes,
        String outputFile,
        List<String> passes,
        Manifest.Validation validation) {

    public static final int MAX_BYTES = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Summary ok(OptimizeResult r) {
        Manifest m = r.manifest();
        return new Summary("ok", 0, null, r.digest(), r.location(), r.reused(), m.source().format(),
                m.source().bytes(), m.output().bytes(), m.output().file(),
                m.pipeline().stream().map(Manifest.PipelineStep::name).toList(), m.validation());
    }

    public static Summary failed(OptimizerException e) {
        Manifest.Validation v = e instanceof Optimizer.ValidationGateException g ? g.validation() : null;
        return new Summary("failed", e.kind().exitCode, e.getMessage(), null, null, null, null, null, null,
                null, null, v);
    }

    public static Summary internalError(Throwable t) {
        return new Summary("failed", 1, "internal error: " + t, null, null, null, null, null, null, null, null, null);
    }

    /** Compact JSON of at most {@link #MAX_BYTES} bytes. */
    public String toJson() {
        Summary s = this;
        String json = write(s);
        if (bytes(json) > MAX_BYTES && s.error != null) {
            s = s.withError(truncate(s.error, 1024));
            json = write(s);
        }
        if (bytes(json) > MAX_BYTES && s.passes != null) {
            s = new Summary(s.status, s.exitCode, s.error, s.digest, s.artifactDir, s.reused, s.format,
                    s.sourceBytes, s.outputBytes, s.outputFile, List.of(s.passes.size() + " passes"), s.validation);
            json = write(s);
        }
        if (bytes(json) > MAX_BYTES) {
            s = new Summary(s.status, s.exitCode, s.error == null ? null : truncate(s.error, 256), s.digest,
                    truncate(s.artifactDir, 512), s.reused, s.format, s.sourceBytes, s.outputBytes,
                    s.outputFile, null, null);
            json = write(s);
        }
        return json;
    }

    private Summary withError(String e) {
        return new Summary(status, exitCode, e, digest, artifactDir, reused, format, sourceBytes, outputBytes,
                outputFile, passes, validation);
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "…";
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String write(Summary s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
