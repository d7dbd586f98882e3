package dev.modelship.artifact;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code manifest.json} of an artifact directory {@code <digest hex>/}: what was built from what,
 * how, and how it compared with the original. The optimizer writes it; the artifact puller, the
 * inference server and the optimizer's own reuse check read it with {@link #parse}, which refuses
 * a schema version it does not know.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(
        int schemaVersion,
        String digest,
        String optimizerVersion,
        String createdAt,
        Source source,
        List<PipelineStep> pipeline,
        Output output,
        Signature signature,
        Validation validation,
        Warmup warmup) {

    /** A manifest without a warm-up sample (the model was not validated). */
    public Manifest(int schemaVersion, String digest, String optimizerVersion, String createdAt, Source source,
                    List<PipelineStep> pipeline, Output output, Signature signature, Validation validation) {
        this(schemaVersion, digest, optimizerVersion, createdAt, source, pipeline, output, signature, validation, null);
    }

    public static final int SCHEMA_VERSION = 1;
    public static final String FILE = "manifest.json";
    /** A plain file name inside the artifact directory: no path, nothing hidden. */
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Source(String uri, String sha256, String format, long bytes) {
    }

    /** One pass as run: its parameters (defaults filled in), notes, duration and sizes. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PipelineStep(String name, Map<String, String> params, List<String> notes,
                               long durationMillis, long bytesBefore, long bytesAfter) {
    }

    /** The model file: its name in the directory, its sha256 (hex) and size. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Output(String file, String sha256, long bytes) {
    }

    /**
     * The model's inputs and outputs as the inference server announces them: names, Open Inference
     * Protocol (V2) datatypes, and shapes with -1 for a dynamic dimension.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Signature(List<Tensor> inputs, List<Tensor> outputs) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Tensor(String name, String datatype, List<Long> shape) {
    }

    /** Original vs result on the same samples. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
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

    /**
     * The first validation sample, a request of one row that the inference server warms the model up
     * with: input the model was shown to run on, where generated zeros or empty strings might not be.
     * Absent when the model was not validated or the sample is larger than {@link #MAX_VALUES} values.
     * An optional field of schema version 1: older readers ignore it.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Warmup(List<WarmupInput> inputs) {
        public static final int MAX_VALUES = 4096;
    }

    /** One input of the warm-up sample; values as numbers, cast to the datatype when run. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record WarmupInput(String name, String datatype, List<Long> shape, List<Double> data) {
    }

    /** Median latency of one single-row request. */
    public record Latency(double original, double optimized) {
    }

    public record Sizes(long original, long optimized) {
    }

    /** Thrown by {@link #parse} for bytes that are not a manifest this reader can trust. */
    public static final class InvalidManifestException extends RuntimeException {
        public InvalidManifestException(String message) {
            super(message);
        }
    }

    /**
     * Reads a manifest and checks what every reader relies on: the schema version, a digest, and
     * an output file with sha256 and size.
     *
     * @throws InvalidManifestException saying what is wrong
     */
    public static Manifest parse(byte[] json) {
        Manifest m;
        try {
            m = JSON.readValue(json, Manifest.class);
        } catch (IOException e) {
            throw new InvalidManifestException("not a valid manifest JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (m == null) {
            throw new InvalidManifestException("empty manifest");
        }
        if (m.schemaVersion != SCHEMA_VERSION) {
            throw new InvalidManifestException("manifest schemaVersion " + m.schemaVersion + " is not "
                    + SCHEMA_VERSION + ", the one this reader knows; use a matching optimizer and server");
        }
        if (m.digest == null || !m.digest.startsWith(Digests.PREFIX) || !Digests.isHex64(Digests.hex(m.digest))) {
            throw new InvalidManifestException("manifest has no valid digest (sha256:<64 hex>): " + m.digest);
        }
        Output o = m.output;
        if (o == null || o.file == null || !FILE_NAME.matcher(o.file).matches() || FILE.equals(o.file)
                || !Digests.isHex64(o.sha256) || o.bytes < 0) {
            throw new InvalidManifestException("manifest lacks a valid output.file, output.sha256 or output.bytes");
        }
        return m;
    }

    /**
     * {@link #parse(byte[])}, and the manifest must be the one of {@code digest}: an artifact is
     * found by its digest, and a manifest of another digest in its place is not that artifact.
     *
     * @throws InvalidManifestException saying what is wrong
     */
    public static Manifest parse(byte[] json, String digest) {
        Manifest m = parse(json);
        if (!m.digest.equals(digest)) {
            throw new InvalidManifestException("manifest is for digest " + m.digest + ", not " + digest);
        }
        return m;
    }

    /** The manifest as written into the artifact directory: indented JSON. */
    public byte[] toJson() {
        try {
            return PRETTY.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
