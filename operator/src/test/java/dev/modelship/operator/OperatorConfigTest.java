package dev.modelship.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatorConfigTest {

  @Test
  void defaultsAreTheDocumentedOnes() {
    OperatorConfig c = OperatorConfig.fromEnvironment(Map.of());
    assertThat(c.namespaces()).isEmpty();
    assertThat(c.inferenceServerImage()).isEqualTo("ghcr.io/modelship/inference-server:0.1.0");
    assertThat(c.optimizerImage()).isEqualTo("ghcr.io/modelship/optimizer:0.1.0");
    assertThat(c.artifactClaim()).isEqualTo("modelship-artifacts");
    assertThat(c.artifactJobBackoffLimit()).isEqualTo(2);
    assertThat(c.artifactJobDeadline()).isEqualTo(Duration.ofHours(1));
    assertThat(c.leaderElection()).isTrue();
    assertThat(c.leaseNamespace()).isNull();
    assertThat(c.metricsPort()).isEqualTo(8080);
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void readsEveryVariable() {
    OperatorConfig c = OperatorConfig.fromEnvironment(Map.of(
        "MODELSHIP_NAMESPACES", " ml, team-a ,,",
        "MODELSHIP_INFERENCE_SERVER_IMAGE", "registry.local/is:1",
        "MODELSHIP_OPTIMIZER_IMAGE", "registry.local/opt:1",
        "MODELSHIP_ARTIFACT_PVC", "models",
        "MODELSHIP_ARTIFACT_JOB_BACKOFF_LIMIT", "0",
        "MODELSHIP_ARTIFACT_JOB_DEADLINE_SECONDS", "600",
        "MODELSHIP_LEADER_ELECTION", "false",
        "MODELSHIP_LEADER_ELECTION_NAMESPACE", "modelship-system",
        "MODELSHIP_METRICS_PORT", "0",
        "MODELSHIP_SHUTDOWN_GRACE_SECONDS", "5"));
    assertThat(c.namespaces()).isEqualTo(Set.of("ml", "team-a"));
    assertThat(c.inferenceServerImage()).isEqualTo("registry.local/is:1");
    assertThat(c.optimizerImage()).isEqualTo("registry.local/opt:1");
    assertThat(c.artifactClaim()).isEqualTo("models");
    assertThat(c.artifactJobBackoffLimit()).isZero();
    assertThat(c.artifactJobDeadline()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.leaderElection()).isFalse();
    assertThat(c.leaseNamespace()).isEqualTo("modelship-system");
    assertThat(c.metricsPort()).isZero();
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
  }
}
