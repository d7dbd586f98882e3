package dev.modelship.operator.desired;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.TestResources;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.List;
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

  // ---------------------------------------------------------------------------------------------
  // The distill pass and its transfer set (spec.optimization.data)

  /** sha256 of the bytes "transfer rows\n" (sha256sum), a pin that looks like a real one. */
  private static final String ROWS_SHA256 = "27c54128f1264c80dc79194058fdeee4427c020182392bc50fe83d4db93a28df";

  /** A model graph-optimized, then distilled into a student that learns from the rows at {@code dataUri}. */
  private static ModelDeployment distilled(String modelUri, String dataUri, String dataSha256) {
    return TestResources.fromYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: fraud-xgb, namespace: ml}
        spec:
          model:
            uri: %s
            format: xgboost
            credentialsSecret: s3-creds
          optimization:
            passes:
              - name: graph-optimize
              - name: distill
                params: {family: trees, trees: "50", depth: "4"}
            data: {uri: %s%s}
          serving:
            batching: {maxBatchSize: 32}
            resources: {requests: {cpu: "1", memory: 1Gi}, limits: {cpu: "2", memory: 2Gi}}
          autoscaling: {minReplicas: 2, maxReplicas: 10}
        """.formatted(modelUri, dataUri, dataSha256 == null ? "" : ", sha256: \"" + dataSha256 + "\""));
  }

  @Test
  void theDistillPassGetsTheTransferSetAndItsPinOnTheCommandLine() {
    ModelDeployment md = distilled("s3://models/fraud/model.json", "s3://models/fraud/rows-2026-11.npy", ROWS_SHA256);
    Container c = ArtifactJobBuilder.build(md, config).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getArgs()).containsExactly(
        "optimize", "s3://models/fraud/model.json",
        "--out", "/artifacts",
        "--format", "xgboost",
        "--pass", "graph-optimize",
        "--pass", "distill:depth=4,family=trees,trees=50",
        "--data", "s3://models/fraud/rows-2026-11.npy",
        "--data-sha256", ROWS_SHA256,
        "--samples", "256",
        "--summary-file", "/dev/termination-log");
    // The rows are fetched with the model's credentials.
    assertThat(c.getEnvFrom()).singleElement()
        .satisfies(e -> assertThat(e.getSecretRef().getName()).isEqualTo("s3-creds"));
  }

  @Test
  void anUnpinnedTransferSetHasNoPinFlag() {
    ModelDeployment md = distilled("s3://models/fraud/model.json", "https://data.example/rows.csv", null);
    List<String> args = ArtifactJobBuilder.arguments(md.getSpec(), config);
    assertThat(args).containsSequence("--data", "https://data.example/rows.csv", "--samples")
        .doesNotContain("--data-sha256");
    // Without a transfer set, no --data at all.
    assertThat(ArtifactJobBuilder.arguments(TestResources.fraudXgb().getSpec(), config))
        .doesNotContain("--data", "--data-sha256");
  }

  @Test
  void aTransferSetOnAnotherClaimIsMountedReadOnlyBesideTheModels() {
    ModelDeployment md = distilled("pvc://training-out/run-7/model.json", "pvc://samples/prod/2026-11.csv", null);
    PodSpec pod = ArtifactJobBuilder.build(md, config).getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);

    assertThat(readOnlyClaims(pod, c)).isEqualTo(Map.of(
        "training-out", "/mnt/pvc/training-out",
        "samples", "/mnt/pvc/samples"));
    assertVolumesNamedOnceAndValidly(pod, c);
  }

  @Test
  void aTransferSetOnTheModelsClaimSharesItsVolume() {
    ModelDeployment md = distilled("pvc://training-out/run-7/model.json", "pvc://training-out/run-7/rows.npy", null);
    PodSpec pod = ArtifactJobBuilder.build(md, config).getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);

    assertThat(pod.getVolumes()).filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .extracting(v -> v.getPersistentVolumeClaim().getClaimName())
        .containsExactlyInAnyOrder("modelship-artifacts", "training-out");
    assertThat(readOnlyClaims(pod, c)).isEqualTo(Map.of("training-out", "/mnt/pvc/training-out"));
    assertVolumesNamedOnceAndValidly(pod, c);
  }

  @Test
  void aTransferSetOnAClaimIsMountedWhenTheModelIsNotOnOne() {
    ModelDeployment md = distilled("s3://models/fraud/model.json", "pvc://samples/prod/2026-11.npy", null);
    PodSpec pod = ArtifactJobBuilder.build(md, config).getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);

    assertThat(readOnlyClaims(pod, c)).isEqualTo(Map.of("samples", "/mnt/pvc/samples"));
    assertVolumesNamedOnceAndValidly(pod, c);
    // The optimizer resolves pvc://samples/prod/2026-11.npy as $MODELSHIP_PVC_ROOT/samples/prod/2026-11.npy.
    assertThat(c.getEnv())
        .anySatisfy(e -> assertThat(e).extracting("name", "value").containsExactly("MODELSHIP_PVC_ROOT", "/mnt/pvc"));
  }

  @Test
  void theTransferSetIsPartOfTheBuildKeyAndServingIsNot() {
    String model = "s3://models/fraud/model.json";
    String key = ArtifactJobBuilder.buildKey(distilled(model, "s3://models/fraud/rows-2026-11.npy", ROWS_SHA256)
        .getSpec(), config);

    assertThat(ArtifactJobBuilder.buildKey(distilled(model, "s3://models/fraud/rows-2026-12.npy", ROWS_SHA256)
        .getSpec(), config)).as("other rows").isNotEqualTo(key);
    assertThat(ArtifactJobBuilder.buildKey(distilled(model, "s3://models/fraud/rows-2026-11.npy",
        "0000000000000000000000000000000000000000000000000000000000000000").getSpec(), config))
        .as("another pin").isNotEqualTo(key);
    assertThat(ArtifactJobBuilder.buildKey(distilled(model, "s3://models/fraud/rows-2026-11.npy", null)
        .getSpec(), config)).as("the pin removed").isNotEqualTo(key);

    ModelDeployment scaled = distilled(model, "s3://models/fraud/rows-2026-11.npy", ROWS_SHA256);
    scaled.getSpec().replicas = 7;
    scaled.getSpec().autoscaling = null;
    scaled.getSpec().serving.resources.getLimits().put("memory", new Quantity("8Gi"));
    scaled.getSpec().serving.batching.maxBatchSize = 1;
    assertThat(ArtifactJobBuilder.buildKey(scaled.getSpec(), config)).as("serving changed").isEqualTo(key);
  }

  /**
   * Upgrading the operator must not rebuild every artifact: a resource without a transfer set keeps
   * its key. Computed with sha256sum over the key's inputs as the operator wrote them before the
   * field existed: printf 'uri=s3://models/fraud/model.json\nsha256=9f86...0a08\nformat=xgboost\n
   * credentialsSecret=s3-creds\npass=graph-optimize\npass=quantize-dynamic:exclude=Softmax,perChannel=true\n
   * samples=256\nmaxAbsError=0.01\noptimizerImage=ghcr.io/modelship/optimizer:0.1.0\n
   * artifactClaim=modelship-artifacts\n' | sha256sum | cut -c1-10
   */
  @Test
  void aResourceWithoutATransferSetKeepsTheKeyItHadBefore() {
    assertThat(ArtifactJobBuilder.buildKey(TestResources.fraudXgb().getSpec(), config)).isEqualTo("e54205c713");
  }

  @Test
  void theTopOneAgreementGateReachesTheOptimizerAndRebuildsWhenItChanges() {
    ModelDeployment md = distilled("s3://models/fraud/model.json", "s3://models/fraud/rows.npy", null);
    String ungated = ArtifactJobBuilder.buildKey(md.getSpec(), config);
    md.getSpec().optimization.validation = new dev.modelship.operator.api.v1alpha1.Validation();
    md.getSpec().optimization.validation.minTop1Agreement = 0.99;
    assertThat(ArtifactJobBuilder.arguments(md.getSpec(), config))
        .containsSequence("--min-top1-agreement", "0.99", "--summary-file");
    String gated = ArtifactJobBuilder.buildKey(md.getSpec(), config);
    assertThat(gated).isNotEqualTo(ungated);
    md.getSpec().optimization.validation.minTop1Agreement = 0.995;
    assertThat(ArtifactJobBuilder.buildKey(md.getSpec(), config)).isNotEqualTo(gated);
  }

  /** Claim name to mount path, for every read-only claim volume and its read-only mount. */
  private static Map<String, String> readOnlyClaims(PodSpec pod, Container c) {
    Map<String, String> out = new java.util.HashMap<>();
    for (Volume v : pod.getVolumes()) {
      if (v.getPersistentVolumeClaim() == null || !Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly())) {
        continue;
      }
      List<VolumeMount> mounts = c.getVolumeMounts().stream().filter(m -> m.getName().equals(v.getName())).toList();
      assertThat(mounts).as("mounts of volume %s", v.getName()).singleElement()
          .satisfies(m -> assertThat(m.getReadOnly()).isTrue());
      assertThat(out.put(v.getPersistentVolumeClaim().getClaimName(), mounts.get(0).getMountPath()))
          .as("claim %s mounted twice", v.getPersistentVolumeClaim().getClaimName()).isNull();
    }
    return out;
  }

  /** What the API server checks of a pod's volumes: unique DNS-1123 label names, each mount naming one. */
  private static void assertVolumesNamedOnceAndValidly(PodSpec pod, Container c) {
    List<String> names = pod.getVolumes().stream().map(Volume::getName).toList();
    assertThat(names).doesNotHaveDuplicates()
        .allSatisfy(n -> assertThat(n).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"));
    assertThat(c.getVolumeMounts()).extracting(VolumeMount::getName).allSatisfy(n -> assertThat(names).contains(n));
    assertThat(c.getVolumeMounts()).extracting(VolumeMount::getMountPath).doesNotHaveDuplicates();
  }
}
