package dev.modelship.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.contract.OptimizerRuns.Run;
import dev.modelship.operator.contract.OptimizerRuns;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.processing.dependent.workflow.CRDPresentActivationCondition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator, running in this JVM, against a real kube-apiserver and etcd (fabric8 kube-api-test,
 * binaries in ~/.kubeapitest, built by e2e/cluster). No kubelet or controller-manager runs, so the
 * test writes the Job, pod and Deployment status those would write.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModelDeploymentIT {

  static final String K8S_VERSION = KubernetesRelease.VERSION;
  static final Duration WAIT = Duration.ofSeconds(30);

  static KubeAPIServer apiServer;
  /** The test's own client, for what a user and the kubelet would do. */
  static KubernetesClient client;
  /** The operator's client: every request it sends that is not a read is counted. */
  static KubernetesClient operatorClient;
  static final java.util.List<String> operatorWrites = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
  static Operator operator;
  static final OperatorConfig CONFIG = new OperatorConfig(java.util.Set.of(),
      "ghcr.io/modelship/inference-server:test", "ghcr.io/modelship/optimizer:test", new OperatorConfig.Pvc("modelship-artifacts"),
      2, Duration.ofHours(1), OperatorConfig.BuildResources.DEFAULT, false, null, 0, Duration.ofSeconds(5), "text", null);

  /** The same operator with an S3-compatible bucket as its artifact store. */
  static final OperatorConfig S3_CONFIG = new OperatorConfig(CONFIG.namespaces(), CONFIG.inferenceServerImage(),
      CONFIG.optimizerImage(), new OperatorConfig.S3("ml-artifacts", "prod", "http://minio.storage:9000", "eu-west-1",
          "artifact-store"),
      CONFIG.artifactJobBackoffLimit(), CONFIG.artifactJobDeadline(), CONFIG.artifactJobResources(), false, null, 0,
      CONFIG.shutdownGrace(), "text", null);

  String ns;

  @BeforeAll
  static void startApiServerAndOperator() throws Exception {
    apiServer = ClusterStandIn.startApiServer();
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(apiServer.getKubeConfigYaml())).build();
    operatorClient = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(apiServer.getKubeConfigYaml()))
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count-writes", new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if (!"GET".equals(request.method())) {
              operatorWrites.add(request.method() + " " + request.uri().getPath());
            }
          }
        }))
        .build();
    try (var crd = new FileInputStream("target/classes/META-INF/fabric8/modeldeployments.modelship.dev-v1.yml")) {
      ClusterStandIn.applyCrd(client, crd);
    }
    operator = startOperator();
  }

  static io.fabric8.kubernetes.client.dsl.MixedOperation<GenericKubernetesResource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> serviceMonitors() {
    return client.genericKubernetesResources("monitoring.coreos.com/v1", "ServiceMonitor");
  }

  static Operator startOperator() {
    operatorMetrics = new SimpleMeterRegistry();
    Operator op = ModelshipOperator.create(operatorClient, CONFIG, operatorMetrics, () -> {});
    op.start();
    return op;
  }

  /** The running operator's JOSDK metrics: what it reconciled, and what it is reconciling now. */
  static SimpleMeterRegistry operatorMetrics;

  /**
   * Waits until the operator has finished at least {@code count} reconciles more than
   * {@code before} and has none running or queued: the moment after which a write it was going to
   * make would already have been seen.
   */
  static void awaitReconciles(double before, int count) {
    OperatorActivity activity = new OperatorActivity(operatorMetrics);
    activity.awaitIdleWhen(WAIT, () -> activity.reconcilesFinished() >= before + count);
  }

  @AfterAll
  static void stop() {
    if (operator != null) {
      operator.stop();
    }
    if (operatorClient != null) {
      operatorClient.close();
    }
    if (client != null) {
      client.close();
    }
    if (apiServer != null) {
      apiServer.stop();
    }
  }

  @BeforeEach
  void namespaceWithArtifactStore() {
    ns = "it-" + UUID.randomUUID().toString().substring(0, 8);
    ClusterStandIn.namespaceWithArtifactClaim(client, ns);
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void buildsTheArtifactThenServesItAndIsReadyOnlyWhenPodsAreAvailable() {
    apply("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: fraud}
        spec:
          model: {uri: "s3://models/fraud/model.json", format: xgboost}
          optimization:
            passes: [{name: graph-optimize}, {name: quantize-dynamic, params: {perChannel: "true"}}]
          replicas: 2
        """);

    Job job = awaitOne(Job.class);
    assertThat(job.getMetadata().getName()).startsWith("fraud-artifact-");
    assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).containsExactly(
        "optimize", "s3://models/fraud/model.json", "--out", "/artifacts", "--format", "xgboost",
        "--pass", "graph-optimize", "--pass", "quantize-dynamic:perChannel=true",
        // 256: the schema's default, applied by the API server.
        "--samples", "256", "--summary-file", "/dev/termination-log");
    assertThat(job.getMetadata().getOwnerReferences()).singleElement()
        .satisfies(o -> assertThat(o.getKind()).isEqualTo("ModelDeployment"));
    awaitCondition("fraud", "ArtifactReady", "False", "Building");
    awaitCondition("fraud", "Ready", "False", "ArtifactNotReady");
    assertThat(client.apps().deployments().inNamespace(ns).withName("fraud").get()).isNull();
    // The Service exists from the start, so clients can resolve the name while the first build runs.
    assertThat(client.services().inNamespace(ns).withName("fraud").get().getSpec().getPorts())
        .extracting(p -> p.getName() + ":" + p.getPort()).containsExactly("http:8080", "grpc:8081", "metrics:9090");

    // The real optimizer's summary of a real build, as the pod's termination message.
    String source = OptimizerRuns.exampleModel("trees/xgb_regression.json");
    Run build = OptimizerRuns.optimize(source, "--format", "xgboost", "--pass", "graph-optimize", "--samples", "256");
    String digest = build.digest();
    completeJob(job, build);

    ModelDeployment md = awaitCondition("fraud", "ArtifactReady", "True", "Built");
    assertThat(md.getStatus().artifact.digest).isEqualTo(digest);
    assertThat(md.getStatus().artifact.format).isEqualTo("onnx");
    assertThat(md.getStatus().artifact.bytes).isEqualTo(fileSize(build.artifactDirectory().resolve("model.onnx")));
    assertThat(md.getStatus().artifact.sourceBytes).isEqualTo(fileSize(Path.of(source)));
    assertThat(md.getStatus().artifact.validation.samples).isEqualTo(256);
    assertThat(md.getStatus().artifact.validation.maxAbsError)
        .isEqualTo(manifest(build).at("/validation/maxAbsError").asDouble());

    Deployment d = await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(ns).withName("fraud").get(),
        x -> x != null);
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("modelship.dev/artifact-digest", digest);
    assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
        .extracting(EnvVar::getName, EnvVar::getValue)
        .contains(org.assertj.core.groups.Tuple.tuple("MODELSHIP_MODEL_PATH", "/artifacts/" + digest.substring(7)));
    assertThat(client.policy().v1().podDisruptionBudget().inNamespace(ns).withName("fraud").get()).isNotNull();
    assertThat(client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).withName("fraud").get()).isNull();

    // The deployment controller has not reported yet: not ready.
    awaitCondition("fraud", "Ready", "False", "RolloutInProgress");
    setDeploymentStatus("fraud", 2, 2, 1);
    md = awaitCondition("fraud", "Ready", "False", "ReplicasUnavailable");
    assertThat(md.getStatus().readyReplicas).isEqualTo(1);
    setDeploymentStatus("fraud", 2, 2, 2);
    md = awaitCondition("fraud", "Ready", "True", "MinimumReplicasAvailable");
    assertThat(md.getStatus().readyReplicas).isEqualTo(2);
    assertThat(md.getStatus().replicas).isEqualTo(2);
    assertThat(md.getStatus().observedGeneration).isEqualTo(md.getMetadata().getGeneration());
    assertThat(md.getStatus().url).isEqualTo("http://fraud." + ns + ".svc:8080/v2/models/fraud");
  }

  @Test
  void aModelChangeBuildsANewArtifactAndRollsToItWhileTheOldOneServes() {
    apply("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: churn}
        spec:
          model: {uri: "https://models.example/churn-v1.onnx"}
        """);
    Job first = awaitOne(Job.class);
    Run build1 = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--samples", "256");
    String v1 = build1.digest();
    completeJob(first, build1);
    awaitCondition("churn", "ArtifactReady", "True", "Built");
    setDeploymentStatusWhenPresent("churn", v1, 1);
    awaitCondition("churn", "Ready", "True", "MinimumReplicasAvailable");

    // A replica change is not a model change: no new Job.
    patchSpec("churn", m -> m.getSpec().replicas = 2);
    await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(ns).withName("churn").get()
        .getSpec().getReplicas() == 2);
    assertThat(jobs()).hasSize(1);
    setDeploymentStatus("churn", 2, 2, 2);
    awaitCondition("churn", "Ready", "True", "MinimumReplicasAvailable");
    ModelDeployment md = get("churn");
    md.getSpec().model.uri = "https://models.example/churn-v2.onnx";
    client.resource(md).update();

    Job second = await().atMost(WAIT).until(() -> jobs().stream()
        .filter(j -> !j.getMetadata().getName().equals(first.getMetadata().getName())).findFirst().orElse(null),
        j -> j != null);
    assertThat(second.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
        .contains("https://models.example/churn-v2.onnx");
    md = awaitCondition("churn", "Ready", "False", "ServingPreviousArtifact");
    assertThat(md.getStatus().artifact.digest).isEqualTo(v1);
    assertThat(deploymentDigest("churn")).isEqualTo(v1);

    Run build2 = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--pass", "graph-optimize",
        "--samples", "256");
    String v2 = build2.digest();
    assertThat(v2).isNotEqualTo(v1);
    completeJob(second, build2);
    awaitCondition("churn", "ArtifactReady", "True", "Built");
    await().atMost(WAIT).until(() -> v2.equals(deploymentDigest("churn")));
    awaitCondition("churn", "Ready", "False", "RolloutInProgress");
    setDeploymentStatusWhenPresent("churn", v2, 2);
    md = awaitCondition("churn", "Ready", "True", "MinimumReplicasAvailable");
    assertThat(md.getStatus().artifact.digest).isEqualTo(v2);
    assertThat(jobs()).hasSize(2);
  }

  @Test
  void aFailedBuildIsAConditionWithTheOptimizersReasonAndAnEvent() {
    apply("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: bad}
        spec:
          model: {uri: "https://models.example/bad.json", format: xgboost}
          optimization: {validation: {maxAbsError: 0.001}}
        """);
    Job job = awaitOne(Job.class);
    // The real optimizer failing this gate: float16 weights cannot meet a max abs error of 0.
    Run failed = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--pass", "float16",
        "--samples", "64", "--max-abs-error", "0");
    assertThat(failed.exitCode()).isEqualTo(5);
    failJob(job, failed);
    ModelDeployment md = awaitCondition("bad", "ArtifactReady", "False", "ValidationFailed");
    assertThat(Stream.of(md.getStatus().conditions.toArray(new Condition[0])))
        .anySatisfy(c -> assertThat(c.getMessage()).contains("validation gate failed: max abs error")
            .contains("> allowed 0.0").contains(job.getMetadata().getName()));
    await().atMost(WAIT).untilAsserted(() -> assertThat(client.v1().events().inNamespace(ns).list().getItems())
        .anySatisfy(e -> {
          assertThat(e.getReason()).isEqualTo("ValidationFailed");
          assertThat(e.getType()).isEqualTo("Warning");
          assertThat(e.getInvolvedObject().getName()).isEqualTo("bad");
        }));
    assertThat(client.apps().deployments().inNamespace(ns).withName("bad").get()).isNull();
  }

  @Test
  void aMissingSecretIsAConditionAndNoJobIsCreated() {
    apply("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: secretive}
        spec:
          model: {uri: "s3://models/x.onnx", credentialsSecret: s3-creds}
        """);
    ModelDeployment md = awaitCondition("secretive", "ArtifactReady", "False", "SecretNotFound");
    assertThat(md.getStatus().conditions).anySatisfy(c -> assertThat(c.getMessage()).contains("s3-creds"));
    assertThat(jobs()).isEmpty();
  }

  @Test
  void withAnS3StoreTheJobPublishesToTheBucketAndEachPodPullsTheArtifact() {
    // This case needs the operator configured for S3: the default one stands aside meanwhile.
    operator.stop();
    Operator s3Operator = ModelshipOperator.create(operatorClient, S3_CONFIG, new SimpleMeterRegistry(), () -> {});
    s3Operator.start();
    try {
      // No claim is needed with an S3 store.
      client.persistentVolumeClaims().inNamespace(ns).withName("modelship-artifacts").delete();

      // The store's Secret is missing: a condition, and no Job that would fail to start.
      apply("""
          apiVersion: modelship.dev/v1alpha1
          kind: ModelDeployment
          metadata: {name: early}
          spec:
            model: {uri: "https://models.example/early.onnx"}
          """);
      ModelDeployment early = awaitCondition("early", "ArtifactReady", "False", "SecretNotFound");
      assertThat(early.getStatus().conditions).anySatisfy(c -> assertThat(c.getMessage())
          .contains("artifact-store").contains("s3://ml-artifacts/prod"));
      assertThat(jobs()).isEmpty();

      client.secrets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
          .withNewMetadata().withName("artifact-store").endMetadata()
          .addToStringData("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
          .addToStringData("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
          .build()).create();
      apply("""
          apiVersion: modelship.dev/v1alpha1
          kind: ModelDeployment
          metadata: {name: fraud}
          spec:
            model: {uri: "s3://models/fraud/model.json", format: xgboost}
          """);
      Job job = await().atMost(WAIT).until(() -> jobs().stream()
          .filter(j -> j.getMetadata().getName().startsWith("fraud-artifact-")).findFirst().orElse(null), j -> j != null);
      var jobPod = job.getSpec().getTemplate().getSpec();
      assertThat(jobPod.getContainers().get(0).getArgs()).containsExactly(
          "optimize", "s3://models/fraud/model.json", "--out", "s3://ml-artifacts/prod", "--format", "xgboost",
          "--samples", "256", "--summary-file", "/dev/termination-log");
      assertThat(jobPod.getContainers().get(0).getEnv()).anySatisfy(e -> {
        assertThat(e.getName()).isEqualTo("MODELSHIP_STORE_AWS_SECRET_ACCESS_KEY");
        assertThat(e.getValue()).isNull();
        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("artifact-store");
        assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("AWS_SECRET_ACCESS_KEY");
      });
      assertThat(Serialization.asYaml(job)).as("no credential value in the Job")
          .doesNotContain("AKIDEXAMPLE").doesNotContain("EXAMPLEKEY");
      assertThat(jobPod.getVolumes()).noneMatch(v -> v.getPersistentVolumeClaim() != null);

      Run build = OptimizerRuns.optimize(OptimizerRuns.exampleModel("trees/xgb_regression.json"), "--format",
          "xgboost", "--samples", "256");
      String digest = build.digest();
      String hex = digest.substring(7);
      completeJob(job, build);
      awaitCondition("fraud", "ArtifactReady", "True", "Built");
      Deployment d = await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(ns).withName("fraud").get(),
          x -> x != null);
      var pod = d.getSpec().getTemplate().getSpec();
      assertThat(pod.getInitContainers()).singleElement().satisfies(pull -> {
        assertThat(pull.getName()).isEqualTo("pull-artifact");
        assertThat(pull.getImage()).isEqualTo("ghcr.io/modelship/optimizer:test");
        assertThat(pull.getArgs()).containsExactly("pull", "s3://ml-artifacts/prod/" + hex, "/artifacts/" + hex);
        assertThat(pull.getSecurityContext()).isEqualTo(pod.getContainers().get(0).getSecurityContext());
        assertThat(pull.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/artifacts"));
      });
      assertThat(pod.getContainers().get(0).getVolumeMounts()).anySatisfy(m -> {
        assertThat(m.getMountPath()).isEqualTo("/artifacts");
        assertThat(m.getReadOnly()).isTrue();
      });
      assertThat(pod.getVolumes()).filteredOn(v -> "artifacts".equals(v.getName())).singleElement()
          .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
      assertThat(pod.getContainers().get(0).getEnv()).extracting(EnvVar::getName, EnvVar::getValue)
          .contains(org.assertj.core.groups.Tuple.tuple("MODELSHIP_MODEL_PATH", "/artifacts/" + hex));
      assertThat(Serialization.asYaml(d)).as("no credential value in the Deployment")
          .doesNotContain("AKIDEXAMPLE").doesNotContain("EXAMPLEKEY");
      setDeploymentStatusWhenPresent("fraud", digest, 1);
      awaitCondition("fraud", "Ready", "True", "MinimumReplicasAvailable");
    } finally {
      // Leave nothing the default operator (which wants a claim) would act on.
      client.resources(ModelDeployment.class).inNamespace(ns).delete();
      await().atMost(WAIT).until(() -> client.resources(ModelDeployment.class).inNamespace(ns).list().getItems().isEmpty());
      s3Operator.stop();
      operator = startOperator();
    }
  }

  @Test
  void autoscalingMakesAnHpaAndLeavesReplicasToIt() {
    apply("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: scaled}
        spec:
          model: {uri: "https://models.example/m.onnx"}
          autoscaling: {maxReplicas: 5}
        """);
    completeJob(awaitOne(Job.class), OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"),
        "--samples", "256"));
    var hpa = await().atMost(WAIT).until(
        () -> client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).withName("scaled").get(), h -> h != null);
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(1);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(5);
    assertThat(hpa.getSpec().getMetrics().get(0).getResource().getTarget().getAverageUtilization()).isEqualTo(70);
    Deployment d = await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(ns).withName("scaled").get(),
        x -> x != null);
    assertThat(d.getMetadata().getManagedFields())
        .filteredOn(f -> f.getFieldsV1() != null && String.valueOf(f.getFieldsV1().getAdditionalProperties()).contains("f:replicas"))
        .isEmpty();
    // One pod at most: no disruption budget.
    assertThat(client.policy().v1().podDisruptionBudget().inNamespace(ns).withName("scaled").get()).isNull();
  }

  @Test
  void aSteadyStateCausesNoWritesEvenAfterAnOperatorRestart() throws Exception {
    apply("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: steady}
        spec:
          model: {uri: "https://models.example/steady.onnx"}
          serving:
            resources: {requests: {cpu: "1000m", memory: 1Gi}, limits: {memory: 2048Mi}}
          replicas: 3
        """);
    Run build = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--samples", "256");
    String digest = build.digest();
    completeJob(awaitOne(Job.class), build);
    setDeploymentStatusWhenPresent("steady", digest, 3);
    awaitCondition("steady", "Ready", "True", "MinimumReplicasAvailable");
    new OperatorActivity(operatorMetrics).awaitIdleWhen(WAIT, () -> true);
    int writesBefore = operatorWrites.size();
    // The counter sees the operator's writes: it created the Job, Deployment, Service and status.
    assertThat(operatorWrites).anyMatch(w -> w.contains("/namespaces/" + ns + "/jobs"));

    // An event that changes nothing the operator cares about still makes it reconcile.
    double reconcilesBefore = new OperatorActivity(operatorMetrics).reconcilesFinished();
    Pod anyPod = terminatedPodsOf("steady").get(0);
    anyPod.getMetadata().setAnnotations(Map.of("touched-by-test", "yes"));
    client.pods().inNamespace(ns).resource(anyPod).update();
    awaitReconciles(reconcilesBefore, 1);
    Map<String, String> versionsBeforeRestart = resourceVersions();
    // A full resync: a fresh operator lists everything and reconciles every resource once.
    operator.stop();
    operator = startOperator();
    awaitReconciles(0, client.resources(ModelDeployment.class).inAnyNamespace().list().getItems().size());

    assertThat(operatorWrites.subList(writesBefore, operatorWrites.size())).as("requests other than GET").isEmpty();
    assertThat(resourceVersions()).isEqualTo(versionsBeforeRestart);
  }

  @Test
  void invalidResourcesAreRejectedByTheApiServerWithTheSchemasMessages() {
    assertRejected("""
        metadata: {name: ftp}
        spec: {model: {uri: "ftp://host/model.onnx"}}
        """, "model.uri must start with one of file://, http://, https://, s3://, pvc://");
    assertRejected("""
        metadata: {name: pvc}
        spec: {model: {uri: "pvc://no-path"}}
        """, "a pvc:// model.uri must be pvc://<claim-name>/<path inside the claim>");
    assertRejected("""
        metadata: {name: scale}
        spec: {model: {uri: "s3://b/k"}, autoscaling: {minReplicas: 5, maxReplicas: 2}}
        """, "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas");
    assertRejected("""
        metadata: {name: rps}
        spec: {model: {uri: "s3://b/k"}, autoscaling: {maxReplicas: 4, metric: rps}}
        """, "autoscaling.target is required for metric rps");
    assertRejected("""
        metadata: {name: cpu}
        spec: {model: {uri: "s3://b/k"}, autoscaling: {maxReplicas: 4, target: 250}}
        """, "autoscaling.target for metric cpu is a utilization in percent of the CPU request, at most 100");
    assertRejected("""
        metadata: {name: pass}
        spec: {model: {uri: "s3://b/k"}, optimization: {passes: [{name: make-it-faster}]}}
        """, "Unsupported value: \"make-it-faster\"");
    assertRejected("""
        metadata: {name: fmt}
        spec: {model: {uri: "s3://b/k", format: pickle}}
        """, "Unsupported value: \"pickle\"");
    assertRejected("""
        metadata: {name: nomodel}
        spec: {replicas: 1}
        """, "spec.model: Required value");
    assertRejected("""
        metadata: {name: delay}
        spec: {model: {uri: "s3://b/k"}, serving: {batching: {maxQueueDelay: "2 minutes"}}}
        """, "spec.serving.batching.maxQueueDelay");
    assertRejected("""
        metadata: {name: a-model-deployment-name-that-is-far-too-long}
        spec: {model: {uri: "s3://b/k"}}
        """, "metadata.name must be a DNS-1035 label of at most 40 characters");
  }

  @Test
  void theDistillPassIsRefusedWithoutATransferSetAndTheTransferSetIsCheckedLikeTheModel() {
    // The API server's field error: <path>: Required value: <the rule's message>.
    assertRejected("""
        metadata: {name: nodata}
        spec: {model: {uri: "s3://b/k"}, optimization: {passes: [{name: graph-optimize}, {name: distill}]}}
        """, "spec.optimization.data: Required value: "
        + "the distill pass needs spec.optimization.data: the rows the student learns from");
    assertRejected("""
        metadata: {name: ftpdata}
        spec: {model: {uri: "s3://b/k"}, optimization: {passes: [{name: distill}], data: {uri: "ftp://host/rows.npy"}}}
        """, "optimization.data.uri must start with one of file://, http://, https://, s3://, pvc://");
    assertRejected("""
        metadata: {name: pvcdata}
        spec: {model: {uri: "s3://b/k"}, optimization: {passes: [{name: distill}], data: {uri: "pvc://rows.npy"}}}
        """, "a pvc:// optimization.data.uri must be pvc://<claim-name>/<path inside the claim>");
    assertRejected("""
        metadata: {name: nouri}
        spec: {model: {uri: "s3://b/k"}, optimization: {passes: [{name: distill}], data: {sha256: "%s"}}}
        """.formatted("a".repeat(64)), "spec.optimization.data.uri: Required value");
    assertRejected("""
        metadata: {name: shortpin}
        spec: {model: {uri: "s3://b/k"}, optimization: {passes: [{name: distill}], data: {uri: "s3://b/rows.npy", sha256: "abc"}}}
        """, "spec.optimization.data.sha256: Invalid value: \"abc\"");

    // With its rows, distill is accepted, alone or among other passes; without distill, no rows are needed.
    assertAccepted("""
        metadata: {name: distilled}
        spec:
          model: {uri: "pvc://training-out/run-7/model.json", format: xgboost}
          optimization:
            passes: [{name: graph-optimize}, {name: distill, params: {family: trees, trees: "50", depth: "4"}}]
            data: {uri: "pvc://training-out/run-7/rows.npy", sha256: "%s"}
        """.formatted("0123456789abcdef".repeat(4)));
    assertAccepted("""
        metadata: {name: plain}
        spec: {model: {uri: "s3://b/k"}, optimization: {passes: [{name: graph-optimize}]}}
        """);
  }

  @Test
  void aMissingTransferSetClaimIsAConditionAndNoJobIsCreated() {
    apply("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: student}
        spec:
          model: {uri: "https://models.example/teacher.onnx"}
          optimization:
            passes: [{name: distill}]
            data: {uri: "pvc://transfer-rows/prod/2026-11.npy"}
        """);
    ModelDeployment md = awaitCondition("student", "ArtifactReady", "False", "SourceClaimNotFound");
    assertThat(md.getStatus().conditions).anySatisfy(c -> assertThat(c.getMessage())
        .isEqualTo("PersistentVolumeClaim transfer-rows named in spec.optimization.data.uri does not exist in namespace "
            + ns));
    assertThat(jobs()).isEmpty();
  }

  @Test
  @Order(Integer.MAX_VALUE) // last: every other test runs without the CRD, as most clusters are
  void aServiceMonitorAppearsOnceThePrometheusOperatorsCrdIsInstalled() {
    // The Prometheus Operator's CRD, reduced to what the API server needs, so the optional
    // ServiceMonitor dependent switches on.
    client.resource(Serialization.unmarshal("""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: servicemonitors.monitoring.coreos.com}
        spec:
          group: monitoring.coreos.com
          scope: Namespaced
          names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """, io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class)).serverSideApply();
    await().atMost(WAIT).until(() -> client.apiextensions().v1().customResourceDefinitions()
        .withName("servicemonitors.monitoring.coreos.com").get().getStatus().getConditions().stream()
        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())));
    // No restart: the CRD is looked up again at a reconcile once a minute has passed since the last
    // look (ServiceMonitorDependent.CrdInstalled). The test forgets the earlier looks instead of
    // waiting out that minute; the first reconcile of "watched" looks.
    CRDPresentActivationCondition.clearState();
    apply("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: watched}
        spec:
          model: {uri: "https://models.example/w.onnx"}
        """);
    GenericKubernetesResource monitor = await().atMost(WAIT)
        .until(() -> serviceMonitors().inNamespace(ns).withName("watched").get(), x -> x != null);
    assertThat(monitor.<String>get("spec", "endpoints", 0, "port")).isEqualTo("metrics");
    assertThat(monitor.<Map<String, String>>get("spec", "selector", "matchLabels"))
        .containsEntry("modelship.dev/model-deployment", "watched");
  }

  @Test
  void theExamplesAreValidResources() throws Exception {
    List<Path> examples;
    try (var files = Files.list(Path.of("../examples"))) {
      examples = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    int checked = 0;
    for (Path example : examples) {
      try (var in = Files.newInputStream(example)) {
        for (HasMetadata o : client.load(in).items()) {
          if (!(o instanceof GenericKubernetesResource g) || !"ModelDeployment".equals(g.getKind())) {
            continue;
          }
          g.getMetadata().setNamespace(ns);
          // Server-side dry run: the API server validates against the CRD and stores nothing.
          client.resource(g).dryRun().create();
          checked++;
        }
      }
    }
    assertThat(checked).as("ModelDeployments found in examples/").isGreaterThanOrEqualTo(3);
  }

  // ---------------------------------------------------------------------------------------------

  void assertRejected(String body, String expectedMessage) {
    // Untyped, as kubectl sends it: the typed classes could not even hold an unknown enum value.
    String yaml = "apiVersion: modelship.dev/v1alpha1\nkind: ModelDeployment\n" + body;
    GenericKubernetesResource md = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    md.getMetadata().setNamespace(ns);
    assertThatThrownBy(() -> client.resource(md).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining(expectedMessage);
  }

  void assertAccepted(String body) {
    String yaml = "apiVersion: modelship.dev/v1alpha1\nkind: ModelDeployment\n" + body;
    GenericKubernetesResource md = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    md.getMetadata().setNamespace(ns);
    // Server-side dry run: validated against the CRD, stored nowhere, so the operator never sees it.
    client.resource(md).dryRun().create();
  }

  void apply(String yaml) {
    ModelDeployment md = Serialization.unmarshal(yaml, ModelDeployment.class);
    md.getMetadata().setNamespace(ns);
    client.resource(md).create();
  }

  ModelDeployment get(String name) {
    return client.resources(ModelDeployment.class).inNamespace(ns).withName(name).get();
  }

  void patchSpec(String name, java.util.function.Consumer<ModelDeployment> change) {
    ModelDeployment md = get(name);
    change.accept(md);
    client.resource(md).update();
  }

  List<Job> jobs() {
    return client.batch().v1().jobs().inNamespace(ns).list().getItems();
  }

  <T extends HasMetadata> T awaitOne(Class<T> type) {
    return await().atMost(WAIT).until(() -> {
      var items = client.resources(type).inNamespace(ns).list().getItems();
      return items.size() == 1 ? items.get(0) : null;
    }, x -> x != null);
  }

  ModelDeployment awaitCondition(String name, String type, String status, String reason) {
    return await().atMost(WAIT).until(() -> get(name), md -> md != null && md.getStatus() != null
        && md.getStatus().conditions.stream().anyMatch(c -> type.equals(c.getType())
            && status.equals(c.getStatus()) && reason.equals(c.getReason())));
  }

  String deploymentDigest(String name) {
    Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
    return d == null ? null : d.getSpec().getTemplate().getMetadata().getAnnotations().get("modelship.dev/artifact-digest");
  }

  /** The artifact's manifest.json as the optimizer wrote it, read without the contract's classes. */
  static com.fasterxml.jackson.databind.JsonNode manifest(Run build) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(
          build.artifactDirectory().resolve("manifest.json").toFile());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static long fileSize(Path file) {
    try {
      return Files.size(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** What the Job controller and the kubelet write when the optimizer exits 0 with its summary. */
  void completeJob(Job job, Run build) {
    ClusterStandIn.completeJob(client, ns, job, build);
  }

  /** What the Job controller and the kubelet write when the optimizer fails deterministically. */
  void failJob(Job job, Run build) {
    ClusterStandIn.failJob(client, ns, job, build);
  }


  void setDeploymentStatusWhenPresent(String name, String digest, int replicas) {
    await().atMost(WAIT).until(() -> digest.equals(deploymentDigest(name)));
    setDeploymentStatus(name, replicas, replicas, replicas);
  }

  /** What the deployment controller writes once it has rolled out the current template. */
  void setDeploymentStatus(String name, int replicas, int updated, int available) {
    ClusterStandIn.setDeploymentStatus(client, ns, name, replicas, updated, available);
  }

  List<GenericKubernetesResource> serviceMonitorsIfInstalled() {
    return client.apiextensions().v1().customResourceDefinitions().withName("servicemonitors.monitoring.coreos.com").get() == null
        ? List.of() : serviceMonitors().inNamespace(ns).list().getItems();
  }

  List<Pod> terminatedPodsOf(String md) {
    return client.pods().inNamespace(ns).withLabel("modelship.dev/model-deployment", md).list().getItems();
  }

  /** Every object in the namespace that the operator could write, by kind/name → resourceVersion. */
  Map<String, String> resourceVersions() {
    Map<String, String> rv = new TreeMap<>();
    Stream.<List<? extends HasMetadata>>of(
            client.resources(ModelDeployment.class).inNamespace(ns).list().getItems(),
            jobs(),
            client.apps().deployments().inNamespace(ns).list().getItems(),
            client.services().inNamespace(ns).list().getItems(),
            client.policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems(),
            client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).list().getItems(),
            client.v1().events().inNamespace(ns).list().getItems(),
            serviceMonitorsIfInstalled(),
            client.pods().inNamespace(ns).list().getItems())
        .flatMap(List::stream)
        .forEach(o -> rv.put(o.getClass().getSimpleName() + "/" + o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getResourceVersion()));
    return rv.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
  }
}
