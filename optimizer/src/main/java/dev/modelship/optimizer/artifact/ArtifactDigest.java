package dev.modelship.optimizer.artifact;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.modelship.optimizer.passes.PassSpec;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The artifact's key: sha256 over (source bytes' sha256, format, pipeline with parameters,
 * optimizer version). Replicas or the source URI do not change it; the model or the passes do.
 */
public final class ArtifactDigest {
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private ArtifactDigest() {
    }

    /** Returns {@code sha256:<64 hex>}. */
    public static String compute(String sourceSha256, String format, List<PassSpec> pipeline, String version) {
        List<Map<String, Object>> passes = new ArrayList<>();
        for (PassSpec p : pipeline) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.name());
            m.put("params", new TreeMap<>(p.params()));
            passes.add(m);
        }
        Map<String, Object> key = new TreeMap<>();
        key.put("source", sourceSha256);
        key.put("format", format);
        key.put("pipeline", passes);
        key.put("optimizerVersion", version);
        try {
            return "sha256:" + sha256(CANONICAL.writeValueAsBytes(key));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The directory name for a digest: its hex part. */
    public static String directoryName(String digest) {
        return digest.startsWith("sha256:") ? digest.substring("sha256:".length()) : digest;
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newSha256().digest(bytes));
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
