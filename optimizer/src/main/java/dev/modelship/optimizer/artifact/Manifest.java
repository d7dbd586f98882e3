package dev.modelship.optimizer.artifact;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.modelship.optimizer.onnx.Signature;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of an artifact directory, the contract with the inference server
 * and the operator (see ARCHITECTURE.md). Field names are part of that contract.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(
        int schemaVersion,
        String digest,
        String optimizerVersion,
        String createdAt,
        Source source,
        List<PipelineStep> pipeline,
        Output output,
        Signature signature,
        Validation validation) {

    public static final int SCHEMA_VERSION = 1;
    public static final String FILE = "manifest.json";

    public record Source(String uri, String sha256, String format, long bytes) {
    }

    /** One pass as run: its parameters (defaults filled in), notes, duration and sizes. */
    public record PipelineStep(String name, Map<String, String> params, List<String> notes,
                               long durationMillis, long bytesBefore, long bytesAfter) {
    }

    public record Output(String file, String sha256, long bytes) {
    }

    /** Original vs result on the same samples. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Validation(
            String reference,
            String samplesFrom,
            int samples,
            double maxAbsError,
            double meanAbsError,
            Double top1Agreement,
            Latency latencyMillis,
            Sizes bytes,
            Map<String, Double> gates) {
    }

    /** Median latency of one single-row request. */
    public record Latency(double original, double optimized) {
    }

    public record Sizes(long original, long optimized) {
    }
}
