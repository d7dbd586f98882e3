package dev.modelship.optimizer.artifact;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.modelship.artifact.Digests;
import dev.modelship.artifact.PassSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The artifact's key: sha256 over (source bytes' sha256, format, pipeline with parameters, the
 * validation's samples, the optimizer's build). Replicas or the source URI do not change it; the model,
 * the passes, the samples or the optimizer's build ({@link OptimizerBuild}: its code and runtimes) do.
 *
 * <p>The samples are in the key so that an artifact's stored validation report is exactly the
 * report a rebuild would make: a reused artifact is then checked against the current gates from
 * its report alone. The gates themselves are not in the key; tightening one re-checks, never
 * rebuilds.
 */
public final class ArtifactDigest {
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private ArtifactDigest() {
    }

    /**
     * @param samples validation samples (0: no validation)
     * @param sampleFileSha256 sha256 of the sample file, or null when samples are generated
     * @param dataSha256 sha256 of the transfer set, or null without one (then the key is as before it existed)
     * @param optimizerBuild {@link OptimizerBuild#description()}
     * @return {@code sha256:<64 hex>}
     */
    public static String compute(String sourceSha256, String format, List<PassSpec> pipeline, int samples,
                                 String sampleFileSha256, String dataSha256, String optimizerBuild) {
        List<Map<String, Object>> passes = new ArrayList<>();
        for (PassSpec p : pipeline) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.name());
            m.put("params", new TreeMap<>(p.params()));
            passes.add(m);
        }
        Map<String, Object> validation = new TreeMap<>();
        validation.put("samples", samples);
        validation.put("sampleFile", sampleFileSha256 == null ? "generated" : sampleFileSha256);
        Map<String, Object> key = new TreeMap<>();
        key.put("source", sourceSha256);
        key.put("format", format);
        key.put("pipeline", passes);
        key.put("validation", validation);
        key.put("optimizer", optimizerBuild);
        if (dataSha256 != null) {
            key.put("data", dataSha256);
        }
        try {
            return Digests.of(Digests.sha256(CANONICAL.writeValueAsBytes(key)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
