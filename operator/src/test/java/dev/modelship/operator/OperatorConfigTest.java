package dev.modelship.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Quantity;
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
    assertThat(c.artifactStore()).isEqualTo(new OperatorConfig.Pvc("modelship-artifacts"));
    assertThat(c.artifactJobBackoffLimit()).isEqualTo(2);
    assertThat(c.artifactJobDeadline()).isEqualTo(Duration.ofHours(1));
    assertThat(c.artifactJobResources()).isEqualTo(new OperatorConfig.BuildResources(
        new Quantity("1"), new Quantity("1Gi"), new Quantity("4Gi")));
    assertThat(c.leaderElection()).isTrue();
    assertThat(c.leaseNamespace()).isNull();
    assertThat(c.metricsPort()).isEqualTo(8080);
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.prometheus()).as("no URL: no figures").isNull();
  }

  @Test
  void prometheusSettingsHaveTheDocumentedDefaultsAndAreRead() throws Exception {
    OperatorConfig.Prometheus p = OperatorConfig.fromEnvironment(
        Map.of("MODELSHIP_PROMETHEUS_URL", "http://prometheus.monitoring:9090")).prometheus();
    assertThat(p.url()).hasToString("http://prometheus.monitoring:9090");
    assertThat(p.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.window()).isEqualTo(Duration.ofMinutes(2));
    assertThat(p.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.bearerTokenFile()).isNull();
    assertThat(p.caFile()).isNull();

    java.nio.file.Path token = java.nio.file.Files.createTempFile("token", "");
    p = OperatorConfig.fromEnvironment(Map.of(
        "MODELSHIP_PROMETHEUS_URL", "https://user:secret@thanos.example/prometheus",
        "MODELSHIP_PROMETHEUS_INTERVAL_SECONDS", "5",
        "MODELSHIP_PROMETHEUS_WINDOW_SECONDS", "60",
        "MODELSHIP_PROMETHEUS_BEARER_TOKEN_FILE", token.toString())).prometheus();
    assertThat(p.interval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(p.window()).isEqualTo(Duration.ofMinutes(1));
    assertThat(p.timeout()).as("never longer than the interval").isEqualTo(Duration.ofSeconds(5));
    assertThat(p.bearerTokenFile()).isEqualTo(token);
    // Shown in logs, events and status: without the user information.
    assertThat(p.displayUrl()).isEqualTo("https://thanos.example/prometheus");
  }

  @Test
  void invalidPrometheusSettingsAreRefusedAtStartNamingTheVariable() {
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_PROMETHEUS_URL", "prometheus:9090")))
        .hasMessageContaining("MODELSHIP_PROMETHEUS_URL must be an http(s):// URL");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_PROMETHEUS_URL", "http://p:9090",
        "MODELSHIP_PROMETHEUS_INTERVAL_SECONDS", "0")))
        .hasMessageContaining("MODELSHIP_PROMETHEUS_INTERVAL_SECONDS must be a whole number of seconds");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_PROMETHEUS_URL", "http://p:9090",
        "MODELSHIP_PROMETHEUS_INTERVAL_SECONDS", "10", "MODELSHIP_PROMETHEUS_TIMEOUT_SECONDS", "20")))
        .hasMessageContaining("must not be longer than MODELSHIP_PROMETHEUS_INTERVAL_SECONDS");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_PROMETHEUS_URL", "http://p:9090",
        "MODELSHIP_PROMETHEUS_CA_FILE", "/nonexistent/ca.pem")))
        .hasMessageContaining("MODELSHIP_PROMETHEUS_CA_FILE names '/nonexistent/ca.pem', which is not a readable file");
  }

  @Test
  void readsEveryVariable() {
    OperatorConfig c = OperatorConfig.fromEnvironment(Map.ofEntries(
        Map.entry("MODELSHIP_NAMESPACES", " ml, team-a ,,"),
        Map.entry("MODELSHIP_INFERENCE_SERVER_IMAGE", "registry.local/is:1"),
        Map.entry("MODELSHIP_OPTIMIZER_IMAGE", "registry.local/opt:1"),
        Map.entry("MODELSHIP_ARTIFACT_PVC", "models"),
        Map.entry("MODELSHIP_ARTIFACT_JOB_BACKOFF_LIMIT", "0"),
        Map.entry("MODELSHIP_ARTIFACT_JOB_DEADLINE_SECONDS", "600"),
        Map.entry("MODELSHIP_ARTIFACT_JOB_CPU_REQUEST", "250m"),
        Map.entry("MODELSHIP_ARTIFACT_JOB_MEMORY_REQUEST", "512Mi"),
        Map.entry("MODELSHIP_ARTIFACT_JOB_MEMORY_LIMIT", "2Gi"),
        Map.entry("MODELSHIP_LEADER_ELECTION", "false"),
        Map.entry("MODELSHIP_LEADER_ELECTION_NAMESPACE", "modelship-system"),
        Map.entry("MODELSHIP_METRICS_PORT", "0"),
        Map.entry("MODELSHIP_SHUTDOWN_GRACE_SECONDS", "5")));
    assertThat(c.namespaces()).isEqualTo(Set.of("ml", "team-a"));
    assertThat(c.inferenceServerImage()).isEqualTo("registry.local/is:1");
    assertThat(c.optimizerImage()).isEqualTo("registry.local/opt:1");
    assertThat(c.artifactStore()).isEqualTo(new OperatorConfig.Pvc("models"));
    assertThat(c.artifactJobBackoffLimit()).isZero();
    assertThat(c.artifactJobDeadline()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.artifactJobResources()).isEqualTo(new OperatorConfig.BuildResources(
        new Quantity("250m"), new Quantity("512Mi"), new Quantity("2Gi")));
    assertThat(c.leaderElection()).isFalse();
    assertThat(c.leaseNamespace()).isEqualTo("modelship-system");
    assertThat(c.metricsPort()).isZero();
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aBuildResourceThatIsNoQuantityIsRefusedAtStartWithItsName() {
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_ARTIFACT_JOB_CPU_REQUEST", "one")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MODELSHIP_ARTIFACT_JOB_CPU_REQUEST").hasMessageContaining("'one'");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_ARTIFACT_JOB_MEMORY_LIMIT", "0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MODELSHIP_ARTIFACT_JOB_MEMORY_LIMIT");
  }

  @Test
  void anS3StoreTakesBucketPrefixEndpointRegionAndSecret() {
    OperatorConfig c = OperatorConfig.fromEnvironment(Map.of(
        "MODELSHIP_ARTIFACT_STORE", "S3",
        "MODELSHIP_ARTIFACT_S3_BUCKET", "ml-artifacts",
        "MODELSHIP_ARTIFACT_S3_PREFIX", "/prod/modelship/",
        "MODELSHIP_ARTIFACT_S3_ENDPOINT", "http://minio.storage:9000",
        "MODELSHIP_ARTIFACT_S3_REGION", "eu-west-1",
        "MODELSHIP_ARTIFACT_S3_SECRET", "artifact-store"));
    assertThat(c.artifactStore()).isEqualTo(new OperatorConfig.S3("ml-artifacts", "prod/modelship",
        "http://minio.storage:9000", "eu-west-1", "artifact-store"));
    assertThat(((OperatorConfig.S3) c.artifactStore()).uri()).isEqualTo("s3://ml-artifacts/prod/modelship");

    OperatorConfig minimal = OperatorConfig.fromEnvironment(Map.of(
        "MODELSHIP_ARTIFACT_STORE", "s3",
        "MODELSHIP_ARTIFACT_S3_BUCKET", "ml-artifacts",
        "MODELSHIP_ARTIFACT_S3_SECRET", "artifact-store"));
    assertThat(minimal.artifactStore()).isEqualTo(new OperatorConfig.S3("ml-artifacts", "", null, "us-east-1",
        "artifact-store"));
    assertThat(((OperatorConfig.S3) minimal.artifactStore()).uri()).isEqualTo("s3://ml-artifacts");
  }

  @Test
  void anInvalidStoreIsRefusedAtStartNamingTheVariable() {
    Map<String, String> s3 = Map.of("MODELSHIP_ARTIFACT_STORE", "s3",
        "MODELSHIP_ARTIFACT_S3_BUCKET", "ml-artifacts", "MODELSHIP_ARTIFACT_S3_SECRET", "artifact-store");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_ARTIFACT_STORE", "nfs")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MODELSHIP_ARTIFACT_STORE must be pvc or s3");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_ARTIFACT_STORE", "s3",
        "MODELSHIP_ARTIFACT_S3_SECRET", "artifact-store")))
        .hasMessageContaining("MODELSHIP_ARTIFACT_S3_BUCKET");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with(s3, "MODELSHIP_ARTIFACT_S3_BUCKET", "My_Bucket")))
        .hasMessageContaining("MODELSHIP_ARTIFACT_S3_BUCKET");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("MODELSHIP_ARTIFACT_STORE", "s3",
        "MODELSHIP_ARTIFACT_S3_BUCKET", "ml-artifacts")))
        .hasMessageContaining("MODELSHIP_ARTIFACT_S3_SECRET");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(with(s3, "MODELSHIP_ARTIFACT_S3_ENDPOINT", "minio:9000")))
        .hasMessageContaining("MODELSHIP_ARTIFACT_S3_ENDPOINT must be an http(s):// URL");
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> m = new java.util.HashMap<>(base);
    m.put(key, value);
    return m;
  }
}
