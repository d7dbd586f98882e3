package dev.modelship.optimizer.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Which settings steer the artifact store's client: the model source's must not, once the store has its own. */
class S3ClientsTest {
    private static final FetchConfig SOURCE = new FetchConfig(URI.create("http://minio.sources:9000"), "eu-west-1",
            Path.of("/pvc"), Duration.ofSeconds(10));

    @Test
    void withoutStoreSettingsTheStoreUsesTheSourceSettings() {
        try (S3Client s3 = S3Clients.forStore(SOURCE, Map.of())) {
            assertThat(s3.serviceClientConfiguration().endpointOverride()).contains(URI.create("http://minio.sources:9000"));
            assertThat(s3.serviceClientConfiguration().region()).isEqualTo(Region.EU_WEST_1);
        }
    }

    @Test
    void storeSettingsReplaceTheSourceSettingsAsAWhole() {
        try (S3Client s3 = S3Clients.forStore(SOURCE, Map.of(
                "MODELSHIP_STORE_AWS_ACCESS_KEY_ID", "AKIDSTORE",
                "MODELSHIP_STORE_AWS_SECRET_ACCESS_KEY", "store-secret"))) {
            // No store endpoint: AWS S3, not the sources' MinIO; no store region: us-east-1.
            assertThat(s3.serviceClientConfiguration().endpointOverride()).isEmpty();
            assertThat(s3.serviceClientConfiguration().region()).isEqualTo(Region.US_EAST_1);
            AwsCredentialsIdentity id = s3.serviceClientConfiguration().credentialsProvider()
                    .resolveIdentity().join();
            assertThat(id.accessKeyId()).isEqualTo("AKIDSTORE");
            assertThat(id.secretAccessKey()).isEqualTo("store-secret");
        }
        try (S3Client s3 = S3Clients.forStore(SOURCE, Map.of(
                "MODELSHIP_STORE_S3_ENDPOINT", "http://minio.artifacts:9000",
                "MODELSHIP_STORE_S3_REGION", "ap-south-1"))) {
            assertThat(s3.serviceClientConfiguration().endpointOverride()).contains(URI.create("http://minio.artifacts:9000"));
            assertThat(s3.serviceClientConfiguration().region()).isEqualTo(Region.AP_SOUTH_1);
        }
    }
}
