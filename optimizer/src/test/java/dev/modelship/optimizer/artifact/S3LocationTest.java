package dev.modelship.optimizer.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelship.artifact.BuildReason;
import dev.modelship.optimizer.OptimizerException;
import org.junit.jupiter.api.Test;

class S3LocationTest {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    void keysFollowTheArtifactDirectoryLayout() {
        S3Location withPrefix = S3Location.parse("s3://models/team-a/artifacts/");
        assertThat(withPrefix).isEqualTo(new S3Location("models", "team-a/artifacts"));
        assertThat(withPrefix.key(DIGEST, "model.onnx")).isEqualTo("team-a/artifacts/" + "ab".repeat(32) + "/model.onnx");
        assertThat(withPrefix.uri(DIGEST)).isEqualTo("s3://models/team-a/artifacts/" + "ab".repeat(32));

        S3Location bare = S3Location.parse("s3://models");
        assertThat(bare.key(DIGEST, "manifest.json")).isEqualTo("ab".repeat(32) + "/manifest.json");
        assertThat(bare.uri("ab".repeat(32))).isEqualTo("s3://models/" + "ab".repeat(32));
        assertThat(S3Location.isS3("/var/artifacts")).isFalse();
    }

    @Test
    void invalidBucketsAreUsageErrors() {
        for (String bad : new String[] {"s3://", "s3://UPPER/x", "s3://a/x", "s3://models/a//b"}) {
            assertThatThrownBy(() -> S3Location.parse(bad)).as(bad)
                    .isInstanceOf(OptimizerException.class)
                    .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.INVALID_ARGUMENTS);
        }
    }
}
