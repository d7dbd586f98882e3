package dev.modelship.operator.desired;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.TestResources;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArtifactJobBuilderTest {

  private final OperatorConfig config = OperatorConfig.defaults();

  @Test
  void runsTheOptimizerWithTheSpecsSourceAndPipeline() {
    Job job = ArtifactJobBuilder.build(TestResources.fraudXgb(), config);
    Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);

    assertThat(c.getImage()).isEqualTo("ghcr.io/modelship/optimizer:0.1.0");
    // Parameters appear sorted by key, whatever their order in the YAML.
    assertThat(c.getArgs()).containsExactly(
        "optimize", "s3://models/fraud/model.json",
        "--out", "/artifacts",
        "--format", "xgboost",
        "--sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "--pass", "graph-optimize",
        "--pass", "quantize-dynamic:exclude=Softmax,perChannel=true",
        "--samples", "256",
        "--max-abs-error", "0.01",
        "--summary-file", "/dev/termination-log");
    assertThat(c.getTerminationMessagePath()).isEqualTo("/dev/termination-log");
    assertThat(c.getTerminationMessagePolicy()).isEqualTo("FallbackToLogsOnError");
    assertThat(c.getEnvFrom()).singleElement()
        .satisfies(e -> assertThat(e.getSecretRef().getName()).isEqualTo("s3-creds"));
  }

  @Test
  void theBuildPodAsksForTheConfiguredResourcesAndHasNoCpuLimit() {
    OperatorConfig small = OperatorConfig.fromEnvironment(Map.of("MODELSHIP_ARTIFACT_JOB_CPU_REQUEST", "250m",
        "MODELSHIP_ARTIFACT_JOB_MEMORY_REQUEST", "512Mi", "MODELSHIP_ARTIFACT_JOB_MEMORY_LIMIT", "2Gi"));
    Container c = ArtifactJobBuilder.build(TestResources.minimal(), small)
        .getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getResources().getRequests()).isEqualTo(Map.of("cpu", new Quantity("250m"),
        "memory", new Quantity("512Mi")));
    assertThat(c.getResources().getLimits()).isEqualTo(Map.of("memory", new Quantity("2Gi")));
  }

  @Test
  void minimalSpecGetsDefaultSamplesAndNoOptionalFlags() {
    Container c = ArtifactJobBuilder.build(TestResources.minimal(), config)
        .getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getArgs()).containsExactly(
        "optimize", "https://example.org/iris.onnx", "--out", "/artifacts",
        "--samples", "256", "--summary-file", "/dev/termination-log");
    assertThat(c.getEnvFrom()).isEmpty();
  }

  @Test
  void isNamedAfterTheModelDeploymentAndItsBuildKeyAndLabelled() {
    ModelDeployment md = TestResources.fraudXgb();
    Job job = ArtifactJobBuilder.build(md, config);
    String name = job.getMetadata().getName();
    assertThat(name).matches("fraud-xgb-artifact-[0-9a-f]{10}");
    assertThat(name.length()).isLessThanOrEqualTo(63);
    assertThat(job.getMetadata().getNamespace()).isEqualTo("ml");
    Map<String, String> expected = Map.of(
        "app.kubernetes.io/name", "modelship",
        "app.kubernetes.io/instance", "fraud-xgb",
        "app.kubernetes.io/component", "artifact-builder",
        "app.kubernetes.io/managed-by", "modelship-operator",
        "modelship.dev/model-deployment", "fraud-xgb",
        "modelship.dev/artifact-key", name.substring(name.length() - 10));
    assertThat(job.getMetadata().getLabels()).isEqualTo(expected);
    assertThat(job.getSpec().getTemplate().getMetadata().getLabels()).isEqualTo(expected);
  }

  @Test
  void servingChangesKeepTheKeyModelAndPipelineChangesMakeANewOne() {
    ModelDeployment base = TestResources.fraudXgb();
    String key = ArtifactJobBuilder.buildKey(base.getSpec(), config);

    ModelDeployment scaled = TestResources.fraudXgb();
    scaled.getSpec().replicas = 7;
    scaled.getSpec().autoscaling = null;
    scaled.getSpec().serving.resources.getLimits().put("memory", new Quantity("8Gi"));
    scaled.getSpec().serving.batching.maxBatchSize = 1;
    assertThat(ArtifactJobBuilder.buildKey(scaled.getSpec(), config)).isEqualTo(key);

    ModelDeployment newModel = TestResources.fraudXgb();
    newModel.getSpec().model.uri = "s3://models/fraud/model-v2.json";
    assertThat(ArtifactJobBuilder.buildKey(newModel.getSpec(), config)).isNotEqualTo(key);

    ModelDeployment fewerPasses = TestResources.fraudXgb();
    fewerPasses.getSpec().optimization.passes.remove(1);
    assertThat(ArtifactJobBuilder.buildKey(fewerPasses.getSpec(), config)).isNotEqualTo(key);

    ModelDeployment otherParam = TestResources.fraudXgb();
    otherParam.getSpec().optimization.passes.get(1).params.put("perChannel", "false");
    assertThat(ArtifactJobBuilder.buildKey(otherParam.getSpec(), config)).isNotEqualTo(key);

    OperatorConfig newOptimizer = new OperatorConfig(config.namespaces(), config.inferenceServerImage(),
        "ghcr.io/modelship/optimizer:0.2.0", config.artifactStore(), config.artifactJobBackoffLimit(),
        config.artifactJobDeadline(), config.artifactJobResources(), config.leaderElection(), config.leaseNamespace(), config.metricsPort(),
        config.shutdownGrace(), "text", null);
    assertThat(ArtifactJobBuilder.buildKey(base.getSpec(), newOptimizer)).isNotEqualTo(key);
  }

  @Test
  void podIsRestrictedBoundedAndWritesTheArtifactClaim() {
    Job job = ArtifactJobBuilder.build(TestResources.fraudXgb(), config);
    assertThat(job.getSpec().getBackoffLimit()).isEqualTo(2);
    assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(3600L);
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    Container c = pod.getContainers().get(0);
    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(pod.getVolumes()).filteredOn(v -> v.getPersistentVolumeClaim() != null).anySatisfy(v -> {
      assertThat(v.getName()).isEqualTo("artifacts");
      assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("modelship-artifacts");
    });
    assertThat(c.getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getMountPath()).isEqualTo("/artifacts");
      assertThat(m.getReadOnly()).isNotEqualTo(Boolean.TRUE);
    });
  }

  @Test
  void pvcSourceIsMountedReadOnly() {
    ModelDeployment md = TestResources.minimal();
    md.getSpec().model.uri = "pvc://training-out/run-7/model.onnx";
    PodSpec pod = ArtifactJobBuilder.build(md, config).getSpec().getTemplate().getSpec();
    assertThat(pod.getVolumes()).filteredOn(v -> v.getPersistentVolumeClaim() != null).anySatisfy(v -> {
      assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("training-out");
      assertThat(v.getPersistentVolumeClaim().getReadOnly()).isTrue();
    });
    assertThat(pod.getContainers().get(0).getVolumeMounts()).anySatisfy(m -> {
      assertThat(m.getMountPath()).isEqualTo("/mnt/pvc/training-out");
      assertThat(m.getReadOnly()).isTrue();
    });
    // The optimizer resolves pvc://<claim>/<path> under $MODELSHIP_PVC_ROOT (optimizer/README.md).
    assertThat(pod.getContainers().get(0).getEnv())
        .anySatisfy(e -> assertThat(e).extracting("name", "value").containsExactly("MODELSHIP_PVC_ROOT", "/mnt/pvc"));
    assertThat(ArtifactJobBuilder.sourceClaim("s3://b/k")).isNull();
  }

  @Test
  void passValuesThatWouldBreakTheCommandLineAreFound() {
    ModelDeployment md = TestResources.fraudXgb();
    assertThat(ArtifactJobBuilder.invalidPassParameter(md.getSpec())).isNull();
    md.getSpec().optimization.passes.get(1).params.put("exclude", "Softmax,perChannel=false");
    assertThat(ArtifactJobBuilder.invalidPassParameter(md.getSpec()))
        .isEqualTo("spec.optimization.passes[1].params.exclude: the value must be set, must not contain ',' or '=',"
            + " and must not start or end with a space");
  }

  @Test
  void deterministicOptimizerFailuresFailTheJobAtOnceAndEvictionsDoNotCount() {
    var policy = ArtifactJobBuilder.build(TestResources.fraudXgb(), config).getSpec().getPodFailurePolicy();
    assertThat(policy.getRules()).hasSize(2);
    var failJob = policy.getRules().get(0);
    assertThat(failJob.getAction()).isEqualTo("FailJob");
    assertThat(failJob.getOnExitCodes().getContainerName()).isEqualTo("optimizer");
    assertThat(failJob.getOnExitCodes().getOperator()).isEqualTo("In");
    // optimizer/README.md's exit codes: bad flags 2, bad model 4, failed gate 5, damaged artifact 7,
    // unsupported format 8, pin mismatch 9. Fetch (3), store (6) and internal (1) failures retry.
    assertThat(failJob.getOnExitCodes().getValues()).containsExactlyInAnyOrder(2, 4, 5, 7, 8, 9);
    var ignore = policy.getRules().get(1);
    assertThat(ignore.getAction()).isEqualTo("Ignore");
    assertThat(ignore.getOnPodConditions()).singleElement()
        .satisfies(c -> assertThat(c.getType()).isEqualTo("DisruptionTarget"));
  }

  private static final OperatorConfig S3_CONFIG = OperatorConfig.fromEnvironment(Map.of(
      "MODELSHIP_ARTIFACT_STORE", "s3",
      "MODELSHIP_ARTIFACT_S3_BUCKET", "ml-artifacts",
      "MODELSHIP_ARTIFACT_S3_PREFIX", "prod",
      "MODELSHIP_ARTIFACT_S3_ENDPOINT", "http://minio.storage:9000",
      "MODELSHIP_ARTIFACT_S3_REGION", "eu-west-1",
      "MODELSHIP_ARTIFACT_S3_SECRET", "artifact-store"));

  @Test
  void withAnS3StoreTheJobPublishesToTheBucketWithCredentialsByReference() {
    Job job = ArtifactJobBuilder.build(TestResources.fraudXgb(), S3_CONFIG);
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertThat(c.getArgs()).containsExactly(
        "optimize", "s3://models/fraud/model.json",
        "--out", "s3://ml-artifacts/prod",
        "--format", "xgboost",
        "--sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "--pass", "graph-optimize",
        "--pass", "quantize-dynamic:exclude=Softmax,perChannel=true",
        "--samples", "256",
        "--max-abs-error", "0.01",
        "--summary-file", "/dev/termination-log");
    assertThat(c.getEnv()).filteredOn(e -> e.getName().startsWith("MODELSHIP_STORE_"))
        .extracting(e -> e.getName() + "=" + (e.getValue() != null ? e.getValue()
            : "secret:" + e.getValueFrom().getSecretKeyRef().getName() + "/" + e.getValueFrom().getSecretKeyRef().getKey()))
        .containsExactlyInAnyOrder(
            "MODELSHIP_STORE_AWS_ACCESS_KEY_ID=secret:artifact-store/AWS_ACCESS_KEY_ID",
            "MODELSHIP_STORE_AWS_SECRET_ACCESS_KEY=secret:artifact-store/AWS_SECRET_ACCESS_KEY",
            "MODELSHIP_STORE_S3_REGION=eu-west-1",
            "MODELSHIP_STORE_S3_ENDPOINT=http://minio.storage:9000");
    // The model's own credentials still come whole from its Secret, under their usual names.
    assertThat(c.getEnvFrom()).singleElement()
        .satisfies(e -> assertThat(e.getSecretRef().getName()).isEqualTo("s3-creds"));
    // Built under /tmp and uploaded: no artifact claim.
    assertThat(pod.getVolumes()).noneMatch(v -> v.getPersistentVolumeClaim() != null);
    assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).containsExactly("/tmp");
    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
  }

  @Test
  void theStoreIsPartOfTheBuildKey() {
    ModelDeployment md = TestResources.fraudXgb();
    String pvcKey = ArtifactJobBuilder.buildKey(md.getSpec(), config);
    String s3Key = ArtifactJobBuilder.buildKey(md.getSpec(), S3_CONFIG);
    assertThat(s3Key).isNotEqualTo(pvcKey);
    OperatorConfig otherBucket = new OperatorConfig(config.namespaces(), config.inferenceServerImage(),
        config.optimizerImage(), new OperatorConfig.S3("other-artifacts", "prod", "http://minio.storage:9000",
            "eu-west-1", "artifact-store"), 2, config.artifactJobDeadline(), config.artifactJobResources(), false, null,
        0, config.shutdownGrace(), "text", null);
    assertThat(ArtifactJobBuilder.buildKey(md.getSpec(), otherBucket)).isNotEqualTo(s3Key);
    // The Secret's name says how to reach the store, not where the artifact is: the same build.
    OperatorConfig otherSecret = new OperatorConfig(config.namespaces(), config.inferenceServerImage(),
        config.optimizerImage(), new OperatorConfig.S3("ml-artifacts", "prod", "http://minio.storage:9000",
            "eu-west-1", "rotated-keys"), 2, config.artifactJobDeadline(), config.artifactJobResources(), false, null,
        0, config.shutdownGrace(), "text", null);
    assertThat(ArtifactJobBuilder.buildKey(md.getSpec(), otherSecret)).isEqualTo(s3Key);
  }
}
