package dev.modelship.optimizer.fetch;

import dev.modelship.artifact.BuildEnvironment;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where sources come from. {@code s3Endpoint} points the S3 client at an S3-compatible
 * server (path-style addressing is then used); {@code pvcRoot} is where claims are mounted
 * ({@code pvc://claim/path} reads {@code <pvcRoot>/claim/path}).
 */
public record FetchConfig(URI s3Endpoint, String s3Region, Path pvcRoot, Duration timeout) {

    public static final String ENV_S3_ENDPOINT = BuildEnvironment.S3_ENDPOINT;
    public static final String ENV_PVC_ROOT = BuildEnvironment.PVC_ROOT;

    /** Defaults from the environment: MODELSHIP_S3_ENDPOINT (or AWS_ENDPOINT_URL_S3), AWS_REGION, MODELSHIP_PVC_ROOT. */
    public static FetchConfig fromEnvironment() {
        String endpoint = firstNonBlank(System.getenv(ENV_S3_ENDPOINT), System.getenv("AWS_ENDPOINT_URL_S3"),
                System.getenv("AWS_ENDPOINT_URL"));
        String region = firstNonBlank(System.getenv("AWS_REGION"), System.getenv("AWS_DEFAULT_REGION"), "us-east-1");
        String pvc = firstNonBlank(System.getenv(ENV_PVC_ROOT), "/pvc");
        return new FetchConfig(endpoint == null ? null : URI.create(endpoint), region, Path.of(pvc),
                Duration.ofMinutes(30));
    }

    public FetchConfig withS3Endpoint(URI endpoint) {
        return new FetchConfig(endpoint, s3Region, pvcRoot, timeout);
    }

    public FetchConfig withPvcRoot(Path root) {
        return new FetchConfig(s3Endpoint, s3Region, root, timeout);
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
