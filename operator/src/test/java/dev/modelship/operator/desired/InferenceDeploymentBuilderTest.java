package dev.modelship.operator.desired;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.TestResources;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class InferenceDeploymentBuilderTest {

  private static final String DIGEST = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
  private final OperatorConfig config = OperatorConfig.defaults();

  @Test
  void loadsTheArtifactByDigestWithTheSpecsServingSettings() {
    Deployment d = InferenceDeploymentBuilder.build(TestResources.fraudXgb(), DIGEST, config);
    Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);

    assertThat(c.getImage()).isEqualTo("ghcr.io/modelship/inference-server:0.1.0");
    Map<String, String> env = c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    assertThat(env).isEqualTo(Map.of(
        // The directory the optimizer writes: the digest's hex, without "sha256:".
        "MODELSHIP_MODEL_PATH", "/artifacts/2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
        "MODELSHIP_MODEL_NAME", "fraud-xgb",
        "MODELSHIP_BATCHING_MAX_BATCH_SIZE", "32",
        "MODELSHIP_BATCHING_MAX_QUEUE_DELAY", "PT0.002S",
        // The operator's own log format, text by default.
        "MODELSHIP_LOG_FORMAT", "text"));
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("modelship.dev/artifact-digest", DIGEST);
    assertThat(c.getResources().getRequests()).containsEntry("cpu", new Quantity("1")).containsEntry("memory", new Quantity("1Gi"));
    assertThat(c.getResources().getLimits()).containsEntry("cpu", new Quantity("2")).containsEntry("memory", new Quantity("2Gi"));
  }

  @Test
  void queueDelayUnitsAndThreads() {
    assertThat(InferenceDeploymentBuilder.micros("750us")).isEqualTo(750);
    assertThat(InferenceDeploymentBuilder.micros("15ms")).isEqualTo(15_000);
    assertThat(InferenceDeploymentBuilder.micros("1s")).isEqualTo(1_000_000);

    ModelDeployment md = TestResources.fromYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: m, namespace: n}
        spec:
          model: {uri: "file:///models/m.onnx"}
          serving: {intraOpThreads: 4, batching: {maxBatchSize: 1, maxQueueDelay: 1s}}
        """);
    Map<String, String> env = InferenceDeploymentBuilder.env(md, DIGEST,
            OperatorConfig.fromEnvironment(Map.of("MODELSHIP_LOG_FORMAT", "json"))).stream()
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    assertThat(env).containsEntry("MODELSHIP_LOG_FORMAT", "json")
        .containsEntry("MODELSHIP_RUNTIME_INTRA_OP_THREADS", "4")
        .containsEntry("MODELSHIP_BATCHING_MAX_BATCH_SIZE", "1")
        .containsEntry("MODELSHIP_BATCHING_MAX_QUEUE_DELAY", "PT1S");
  }

  @Test
  void replicasComeFromTheSpecUnlessAnAutoscalerOwnsThem() {
    assertThat(InferenceDeploymentBuilder.build(TestResources.fraudXgb(), DIGEST, config).getSpec().getReplicas())
        .isNull();
    ModelDeployment fixed = TestResources.minimal();
    assertThat(InferenceDeploymentBuilder.build(fixed, DIGEST, config).getSpec().getReplicas()).isEqualTo(1);
    fixed.getSpec().replicas = 3;
    assertThat(InferenceDeploymentBuilder.build(fixed, DIGEST, config).getSpec().getReplicas()).isEqualTo(3);
  }

  @Test
  void probesUseTheV2HealthEndpoints() {
    Container c = InferenceDeploymentBuilder.build(TestResources.minimal(), DIGEST, config)
        .getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/v2/health/live");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/v2/health/ready");
    assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
    assertThat(c.getPorts()).extracting(p -> p.getName() + ":" + p.getContainerPort())
        .containsExactly("http:8080", "grpc:8081");
    // Defaults when the spec names no resources.
    assertThat(c.getResources().getRequests()).isEqualTo(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("512Mi")));
  }

  @Test
  void restrictedPodMountsTheArtifactsReadOnlyAndNeverDropsBelowDesiredDuringRollout() {
    Deployment d = InferenceDeploymentBuilder.build(TestResources.minimal(), DIGEST, config);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    Container c = pod.getContainers().get(0);
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(pod.getVolumes()).filteredOn(v -> v.getPersistentVolumeClaim() != null).anySatisfy(v -> {
      assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("modelship-artifacts");
      assertThat(v.getPersistentVolumeClaim().getReadOnly()).isTrue();
    });
    assertThat(c.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getMountPath()).isEqualTo("/artifacts");
      assertThat(m.getReadOnly()).isTrue();
    });
    assertThat(pod.getInitContainers()).isNullOrEmpty();
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    assertThat(d.getSpec().getSelector().getMatchLabels()).isEqualTo(Map.of(
        "app.kubernetes.io/name", "modelship",
        "app.kubernetes.io/instance", "iris",
        "app.kubernetes.io/component", "inference-server",
        "modelship.dev/model-deployment", "iris"));
    assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels())
        .containsEntry("app.kubernetes.io/managed-by", "modelship-operator");
  }

  private static final OperatorConfig S3_CONFIG = OperatorConfig.fromEnvironment(Map.of(
      "MODELSHIP_INFERENCE_SERVER_IMAGE", "registry.local/inference-server:1",
      "MODELSHIP_OPTIMIZER_IMAGE", "registry.local/optimizer:1",
      "MODELSHIP_ARTIFACT_STORE", "s3",
      "MODELSHIP_ARTIFACT_S3_BUCKET", "ml-artifacts",
      "MODELSHIP_ARTIFACT_S3_PREFIX", "prod",
      "MODELSHIP_ARTIFACT_S3_REGION", "eu-west-1",
      "MODELSHIP_ARTIFACT_S3_SECRET", "artifact-store"));
  private static final String HEX = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

  @Test
  void withAnS3StoreAnInitContainerPullsTheArtifactIntoTheReadOnlyVolumeTheServerLoads() {
    Deployment d = InferenceDeploymentBuilder.build(TestResources.fraudXgb(), DIGEST, S3_CONFIG);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Container server = pod.getContainers().get(0);
    Container pull = pod.getInitContainers().get(0);
    assertThat(pod.getInitContainers()).hasSize(1);

    assertThat(pull.getName()).isEqualTo("pull-artifact");
    assertThat(pull.getImage()).isEqualTo("registry.local/optimizer:1");
    assertThat(pull.getArgs()).containsExactly("pull", "s3://ml-artifacts/prod/" + HEX, "/artifacts/" + HEX);
    assertThat(pull.getEnv())
        .extracting(e -> e.getName() + "=" + (e.getValue() != null ? e.getValue()
            : "secret:" + e.getValueFrom().getSecretKeyRef().getName() + "/" + e.getValueFrom().getSecretKeyRef().getKey()))
        .containsExactlyInAnyOrder(
            "HOME=/tmp",
            "MODELSHIP_STORE_AWS_ACCESS_KEY_ID=secret:artifact-store/AWS_ACCESS_KEY_ID",
            "MODELSHIP_STORE_AWS_SECRET_ACCESS_KEY=secret:artifact-store/AWS_SECRET_ACCESS_KEY",
            "MODELSHIP_STORE_S3_REGION=eu-west-1");
    assertThat(pull.getVolumeMounts()).extracting(m -> m.getName() + ":" + m.getMountPath() + ":" + m.getReadOnly())
        .containsExactlyInAnyOrder("artifacts:/artifacts:null", "tmp:/tmp:null");

    // The restricted profile, exactly as the server container has it.
    assertThat(pull.getSecurityContext()).isEqualTo(server.getSecurityContext());
    assertThat(pull.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pull.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(pull.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(pull.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(pull.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

    // The server reads the pulled copy, read-only, where it always looks.
    assertThat(server.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getName()).isEqualTo("artifacts");
      assertThat(m.getMountPath()).isEqualTo("/artifacts");
      assertThat(m.getReadOnly()).isTrue();
    });
    assertThat(server.getEnv()).anySatisfy(e -> {
      assertThat(e.getName()).isEqualTo("MODELSHIP_MODEL_PATH");
      assertThat(e.getValue()).isEqualTo("/artifacts/" + HEX);
    });
    assertThat(server.getEnv()).noneMatch(e -> e.getName().contains("AWS"));
    assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("artifacts")).singleElement()
        .satisfies(v -> {
          assertThat(v.getEmptyDir()).isNotNull();
          assertThat(v.getPersistentVolumeClaim()).isNull();
        });
    assertThat(pod.getVolumes()).noneMatch(v -> v.getPersistentVolumeClaim() != null);
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("modelship.dev/artifact-digest", DIGEST);
  }

  @Test
  void aNewDigestChangesThePodTemplateSoThePodsRoll() {
    String other = "sha256:" + "fc".repeat(32);
    Deployment a = InferenceDeploymentBuilder.build(TestResources.minimal(), DIGEST, S3_CONFIG);
    Deployment b = InferenceDeploymentBuilder.build(TestResources.minimal(), other, S3_CONFIG);
    assertThat(b.getSpec().getTemplate()).isNotEqualTo(a.getSpec().getTemplate());
    assertThat(b.getSpec().getTemplate().getSpec().getInitContainers().get(0).getArgs())
        .containsExactly("pull", "s3://ml-artifacts/prod/" + "fc".repeat(32), "/artifacts/" + "fc".repeat(32));
  }
}
