package dev.modelship.optimizer.fetch;

import dev.modelship.artifact.BuildEnvironment;
import java.net.URI;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The one way this module makes an S3 client. Credentials come from the SDK's default chain
 * (environment, profile files, web identity), so no secret passes through our code or logs.
 */
public final class S3Clients {
    /** Artifact-store settings of their own, so a model's bucket and the store can differ in account and endpoint. */
    public static final String ENV_STORE_ENDPOINT = BuildEnvironment.STORE_ENDPOINT;
    public static final String ENV_STORE_REGION = BuildEnvironment.STORE_REGION;
    public static final String ENV_STORE_ACCESS_KEY_ID = BuildEnvironment.STORE_ACCESS_KEY_ID;
    public static final String ENV_STORE_SECRET_ACCESS_KEY = BuildEnvironment.STORE_SECRET_ACCESS_KEY;

    private S3Clients() {
    }

    /** For model sources: {@code config}'s endpoint and region, the default credential chain. */
    public static S3Client create(FetchConfig config) {
        return build(config.s3Endpoint(), config.s3Region(), DefaultCredentialsProvider.builder().build());
    }

    /**
     * For the artifact store: when any {@code MODELSHIP_STORE_*} variable is set, those alone
     * (no endpoint: AWS S3; no region: us-east-1; no keys: the default chain), else the same as
     * {@link #create}. The operator's Job sets them because its environment may also carry the
     * model source's {@code AWS_*} settings, which must not steer the store.
     */
    public static S3Client forStore(FetchConfig config, Map<String, String> env) {
        String endpoint = env.get(ENV_STORE_ENDPOINT);
        String region = env.get(ENV_STORE_REGION);
        String keyId = env.get(ENV_STORE_ACCESS_KEY_ID);
        String secret = env.get(ENV_STORE_SECRET_ACCESS_KEY);
        if (!notBlank(endpoint) && !notBlank(region) && !notBlank(keyId) && !notBlank(secret)) {
            return create(config);
        }
        AwsCredentialsProvider credentials = notBlank(keyId) && notBlank(secret)
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(keyId, secret))
                : DefaultCredentialsProvider.builder().build();
        return build(notBlank(endpoint) ? URI.create(endpoint) : null, notBlank(region) ? region : "us-east-1",
                credentials);
    }

    private static S3Client build(URI endpoint, String region, AwsCredentialsProvider credentials) {
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(region))
                .credentialsProvider(credentials);
        if (endpoint != null) {
            // S3-compatible servers (MinIO, Ceph, moto) rarely serve virtual-host buckets, and
            // several reject the SDK's default trailing checksums; we verify sha256 ourselves.
            builder.endpointOverride(endpoint).forcePathStyle(true)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        return builder.build();
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }
}
