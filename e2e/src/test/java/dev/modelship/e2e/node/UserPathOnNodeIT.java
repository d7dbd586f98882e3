package dev.modelship.e2e.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.modelship.artifact.Manifest;
import dev.modelship.e2e.cluster.ControlPlaneBinaries;
import dev.modelship.e2e.cluster.LocalControlPlane;
import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.contract.OptimizerRuns;
import dev.modelship.operator.traffic.PrometheusClient;
import dev.modelship.operator.traffic.PrometheusProcess;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A user's whole path on a real node (e2e/cluster/up.sh --node: kubelet, containerd, runc,
 * kube-proxy, CoreDNS), with the chart and the images scripts/images.sh builds: nothing here
 * plays the kubelet. helm install; ModelDeployments whose models sit on a claim in the cluster;
 * the artifact Job's pod runs the real optimizer and serving pods become Ready; a real Prometheus
 * (a host process on the node's bridge, scraping the pods with the README's scrape config) whose
 * figures the operator's pod writes into status under a paced load; Triton's own clients through
 * the Service; a rollout under load with no failed request; a failing gate that
 * keeps the previous artifact serving; pods that cannot start, and why; delete and uninstall.
 *
 * <p>Expected values come from outside the cluster: the digest from the optimizer jar run in
 * this JVM's machine on the same model and arguments, the answers from ONNX Runtime run in-process
 * on the file the cluster serves.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UserPathOnNodeIT {

  static final Path CLUSTER_DIR = LocalControlPlane.CLUSTER_DIR.resolveSibling("e2e-node-cluster");
  static final Path REPO = OptimizerRuns.repository();
  static final String SYSTEM_NS = "modelship-system";
  static final String NS = "ml";
  static final Duration READY = Duration.ofMinutes(3);
  static final Path IMAGE_VALUES = CLUSTER_DIR.resolveSibling("image-values.yaml");

  /** Prometheus on the node's bridge address, where the operator's pod reaches it, as a host process. */
  static final String PROMETHEUS_HOST = "10.244.0.1";
  static final int PROMETHEUS_PORT = 9091;

  static LocalControlPlane cluster;
  static KubernetesClient kube;
  static PrometheusProcess prometheus;
  static Map<String, String> images;
  static Path helm;

  @BeforeAll
  static void upWithImages() throws Exception {
    cluster = LocalControlPlane.start(CLUSTER_DIR, "--node");
    kube = cluster.newClient();
    // The README's scrape config, with the node's kubeconfig since this Prometheus runs outside the cluster.
    String scrape = Files.readString(REPO.resolve("examples/monitoring/prometheus-scrape.yaml"))
        .replace("    - role: pod\n", "    - role: pod\n      kubeconfig_file: " + cluster.kubeconfig() + "\n");
    prometheus = PrometheusProcess.startWithKubernetesDiscovery("global: {scrape_interval: 2s}\nscrape_configs:\n" + scrape,
        PROMETHEUS_HOST, PROMETHEUS_PORT);
    helm = ControlPlaneBinaries.directory().resolve("helm");
    // The user's own step: build the three images, push them to the node's registry, and keep
    // the chart values that name them.
    images = new LinkedHashMap<>();
    for (String line : run(Duration.ofMinutes(15), List.of("bash", REPO.resolve("scripts/images.sh").toString(),
        "--registry", "127.0.0.1:5000", "--values", IMAGE_VALUES.toString())).lines().toList()) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        images.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    assertThat(images).containsOnlyKeys("operator", "optimizer", "inference-server");
  }

  @AfterAll
  static void down() throws Exception {
    if (prometheus != null) {
      prometheus.close();
    }
    if (kube != null) {
      kube.close();
    }
    if (cluster != null) {
      LocalControlPlane.Result down = cluster.down();
      assertThat(down.exitCode()).as("down.sh: " + down.output()).isZero();
      // down.sh gave the host back: no bridge, no node chains.
      assertThat(Path.of("/sys/class/net/msbr0")).doesNotExist();
    }
  }

  @Test
  @Order(1)
  void helmInstallRunsTheOperatorWhichTakesTheLease() throws Exception {
    run(Duration.ofMinutes(4), List.of(helm.toString(), "install", "modelship", REPO.resolve("helm/modelship").toString(),
        "--kubeconfig", cluster.kubeconfig().toString(), "--namespace", SYSTEM_NS, "--create-namespace",
        "--values", IMAGE_VALUES.toString(),
        // The node has this machine's 2 CPUs: builds ask for half of one, beside the serving pods.
        "--set", "artifactJob.resources.requests.cpu=500m",
        // Traffic figures from the Prometheus on the bridge, polled often for the test's sake.
        "--set", "prometheus.url=" + prometheusUrl(), "--set", "prometheus.intervalSeconds=5",
        "--set", "prometheus.windowSeconds=30", "--set", "prometheus.timeoutSeconds=5",
        "--wait", "--timeout", "3m"));
    String operator = images.get("operator");
    List<Pod> pods = kube.pods().inNamespace(SYSTEM_NS).list().getItems();
    assertThat(pods).singleElement().satisfies(p -> {
      assertThat(p.getStatus().getPhase()).isEqualTo("Running");
      assertThat(p.getSpec().getContainers().get(0).getImage()).isEqualTo(operator);
    });
    String podName = pods.get(0).getMetadata().getName();
    await(Duration.ofMinutes(1)).untilAsserted(() -> {
      Lease lease = kube.leases().inNamespace(SYSTEM_NS).withName("modelship-operator").get();
      assertThat(lease).isNotNull();
      assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(podName);
    });
  }

  @Test
  @Order(2)
  void onnxAndXgboostModelsFromAClaimBecomeReadyWithTheDigestTheOptimizerComputes() throws Exception {
    applyYaml("""
        apiVersion: v1
        kind: Namespace
        metadata: {name: ml}
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: models, namespace: ml}
        spec: {accessModes: [ReadWriteMany], resources: {requests: {storage: 1Gi}}}
        """);
    kube.resource(Files.readString(REPO.resolve("examples/artifact-store-pvc.yaml"))).serverSideApply();
    // The models are put on the claim's volume, as a training Job would leave them there.
    Path models = hostPath("models");
    Files.copy(Path.of(OptimizerRuns.exampleModel("digits_mlp.onnx")), models.resolve("digits_mlp.onnx"));
    Files.copy(Path.of(OptimizerRuns.exampleModel("trees/xgb_multi_softprob.json")), models.resolve("softprob.json"));
    applyYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: digits, namespace: ml}
        spec:
          model: {uri: pvc://models/digits_mlp.onnx}
          optimization:
            passes: [{name: graph-optimize}]
          # The node has this machine's 2 CPUs: a quarter of one per serving pod, so that the
          # operator, both models, an artifact Job and a rollout's extra pod fit at once.
          serving: {resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {memory: 1Gi}}}
        ---
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: softprob, namespace: ml}
        spec:
          model: {uri: pvc://models/softprob.json, format: xgboost}
          optimization:
            passes: [{name: graph-optimize}]
            validation: {samples: 128, maxAbsError: 0.0001}
          serving: {resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {memory: 1Gi}}}
        """);
    ModelDeployment digits = awaitReady("digits");
    ModelDeployment softprob = awaitReady("softprob");

    OptimizerRuns.Run digitsRun = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"),
        "--pass", "graph-optimize", "--samples", "256");
    OptimizerRuns.Run softprobRun = OptimizerRuns.optimize(OptimizerRuns.exampleModel("trees/xgb_multi_softprob.json"),
        "--format", "xgboost", "--pass", "graph-optimize", "--samples", "128", "--max-abs-error", "0.0001");
    assertThat(digits.getStatus().artifact.digest).isEqualTo(digitsRun.digest());
    assertThat(softprob.getStatus().artifact.digest).isEqualTo(softprobRun.digest());
    assertThat(softprob.getStatus().artifact.format).isEqualTo("onnx");
    // The chart's build resources reached the Job the operator made.
    assertThat(kube.batch().v1().jobs().inNamespace(NS).list().getItems()).allSatisfy(job -> assertThat(
        job.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getRequests().get("cpu"))
        .isEqualTo(new io.fabric8.kubernetes.api.model.Quantity("500m")));
    for (ModelDeployment md : List.of(digits, softprob)) {
      Path served = servedModel(md);
      assertThat(md.getStatus().artifact.bytes).isEqualTo(Files.size(served));
      assertThat(md.getStatus().readyReplicas).isEqualTo(1);
    }
  }

  @Test
  @Order(3)
  void trafficFiguresReadFromPrometheusReachStatus() throws Exception {
    // Prometheus found the serving pods through the API server and labelled them by namespace.
    OperatorConfig.Prometheus settings = OperatorConfig.fromEnvironment(Map.of(
        "MODELSHIP_PROMETHEUS_URL", prometheusUrl())).prometheus();
    await(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(new PrometheusClient(settings)
        .query(List.of("count by (namespace, model) (modelship_model_info)")).get(0))
        .extracting(s -> s.labels().get("namespace") + "/" + s.labels().get("model"))
        .contains(NS + "/digits", NS + "/softprob"));

    // A paced load, so the rate status must show is known from the test's own clock.
    int perSecond = 20;
    String url = "http://" + clusterIp("digits") + ":8080/v2/models/digits/infer";
    byte[] body = Files.readAllBytes(Path.of(OptimizerRuns.exampleModel("digits_mlp.request.json")));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    AtomicLong answered = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    var load = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    long start = System.nanoTime();
    load.scheduleAtFixedRate(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete((r, e) -> (e == null && r.statusCode() == 200 ? answered : failed).incrementAndGet()),
        0, 1000 / perSecond, TimeUnit.MILLISECONDS);
    try {
      // Metrics alone are written at most once a minute: the figures of the idle pod come first.
      ModelDeployment md = await(Duration.ofMinutes(3)).until(() -> md("digits"), m -> m.getStatus().metrics != null
          && m.getStatus().metrics.requestsPerSecond != null
          && Math.abs(m.getStatus().metrics.requestsPerSecond - perSecond) <= 0.25 * perSecond);
      System.out.printf("[traffic] status showed %s requests/s (load %d/s) %.0f s after the load began%n",
          md.getStatus().metrics.requestsPerSecond, perSecond, (System.nanoTime() - start) / 1e9);
      assertThat(condition(md, "MetricsAvailable")).hasValueSatisfying(c -> {
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getMessage()).contains("read from Prometheus at " + prometheusUrl() + " every 5s");
      });
      assertThat(md.getStatus().metrics.latencyP50Seconds).isPositive()
          .isLessThanOrEqualTo(md.getStatus().metrics.latencyP99Seconds);
      assertThat(md.getStatus().metrics.errorRatio).isZero();
      assertThat(condition(md, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
    } finally {
      load.shutdownNow();
    }
    assertThat(failed.get()).as("failed requests of %d", answered.get()).isZero();
  }

  @Test
  @Order(4)
  void tritonClientsThroughTheServiceAnswerAsOnnxRuntimeInProcess() throws Exception {
    triton("digits", OptimizerRuns.exampleModel("digits_mlp.request.json"));
    triton("softprob", OptimizerRuns.exampleModel("trees/xgb_multi_softprob.inputs.npy"));
  }

  @Test
  @Order(5)
  void aChangeOfPassesRollsOutUnderLoadWithoutOneFailedRequest() throws Exception {
    String before = md("digits").getStatus().artifact.digest;
    String url = "http://" + clusterIp("digits") + ":8080/v2/models/digits/infer";
    byte[] body = Files.readAllBytes(Path.of(OptimizerRuns.exampleModel("digits_mlp.request.json")));
    // HTTP/1.1 with keep-alive, as the REST clients of Triton and KServe speak it. (Left to itself
    // the JDK's client upgrades to HTTP/2, and JDK 17's fails every stream in flight when the
    // server's GOAWAY arrives at shutdown, where the protocol has it retry those not processed.)
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    // gRPC clients too (Triton's, 2 channels): HTTP/2 keeps a client on one pod until told to leave.
    Path grpcStop = Files.createTempFile("modelship-grpc-load-", ".stop");
    Files.delete(grpcStop);
    Path grpcResult = Files.createTempFile("modelship-grpc-load-", ".json");
    Process grpcLoad = new ProcessBuilder(REPO.resolve(".venv/bin/python").toString(),
        REPO.resolve("e2e/src/test/python/rollout_load.py").toString(), "grpc", clusterIp("digits") + ":8081",
        "digits", OptimizerRuns.exampleModel("digits_mlp.request.json"), "2,0,4", grpcStop.toString(), "2")
        .redirectOutput(grpcResult.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ok = new AtomicLong();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Thread client = new Thread(() -> {
        while (!stop.get()) {
          try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200 && r.body().contains("\"data\":[2,0,4]")) {
              ok.incrementAndGet();
            } else {
              failures.add(r.statusCode() + " " + r.body());
            }
          } catch (IOException e) {
            failures.add(e.toString());
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "load-" + i);
      client.start();
      clients.add(client);
    }
    try {
      await(Duration.ofSeconds(20)).until(() -> ok.get() >= 200);   // steady load before the change
      kube.resources(ModelDeployment.class).inNamespace(NS).withName("digits").edit(md -> {
        md.getSpec().optimization.passes.add(pass("ort-format"));
        return md;
      });
      await(READY).untilAsserted(() -> {
        ModelDeployment md = md("digits");
        assertThat(md.getStatus().artifact.digest).isNotEqualTo(before);
        assertThat(md.getStatus().artifact.format).isEqualTo("ort");
        assertThat(condition(md, "Ready")).hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
        // The old pod is gone, its drain and shutdown included (terminating pods count here):
        // the load ran through all of it. Every serving pod runs the new digest.
        assertThat(servingPods("digits", true)).singleElement().satisfies(p -> assertThat(
            p.getMetadata().getAnnotations()).containsEntry("modelship.dev/artifact-digest", md.getStatus().artifact.digest));
      });
      long atRolloutEnd = ok.get();
      await(Duration.ofSeconds(20)).until(() -> ok.get() >= atRolloutEnd + 200);   // and after it
    } finally {
      stop.set(true);
      Files.createFile(grpcStop);
      for (Thread t : clients) {
        t.join(15_000);
      }
      if (!grpcLoad.waitFor(30, TimeUnit.SECONDS)) {
        grpcLoad.destroyForcibly();
      }
    }
    var grpc = kube.getKubernetesSerialization().unmarshal(Files.readString(grpcResult), Map.class);
    System.out.println("[rollout] REST " + ok.get() + " requests answered, " + failures.size() + " failed; gRPC " + grpc);
    assertThat(failures).as("failed REST requests during the rollout (of %d answered)", ok.get()).isEmpty();
    assertThat(((Number) grpc.get("answered")).longValue()).as("gRPC calls answered").isPositive();
    assertThat(((Number) grpc.get("failed")).longValue()).as("failed gRPC calls during the rollout: " + grpc).isZero();
  }

  @Test
  @Order(6)
  void aGateThatFailsSaysValidationFailedAndThePreviousArtifactKeepsServing() throws Exception {
    String serving = md("digits").getStatus().artifact.digest;
    kube.resources(ModelDeployment.class).inNamespace(NS).withName("digits").edit(md -> {
      md.getSpec().optimization.passes = new ArrayList<>(List.of(pass("graph-optimize"), pass("float16")));
      md.getSpec().optimization.validation = new dev.modelship.operator.api.v1alpha1.Validation();
      md.getSpec().optimization.validation.maxAbsError = 0.0;
      return md;
    });
    await(READY).untilAsserted(() -> assertThat(condition(md("digits"), "ArtifactReady")).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("ValidationFailed");
      assertThat(c.getMessage()).contains("max abs error");
    }));
    ModelDeployment md = md("digits");
    assertThat(md.getStatus().artifact.digest).isEqualTo(serving);
    assertThat(servingPods("digits")).allSatisfy(p -> assertThat(p.getMetadata().getAnnotations())
        .containsEntry("modelship.dev/artifact-digest", serving));
    HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://" + clusterIp("digits") + ":8080/v2/models/digits/infer"))
        .POST(HttpRequest.BodyPublishers.ofFile(Path.of(OptimizerRuns.exampleModel("digits_mlp.request.json"))))
        .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).contains("\"data\":[2,0,4]");
  }

  @Test
  @Order(7)
  void servingPodsThatCannotStartSayWhyInReady() throws Exception {
    applyYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: too-big, namespace: ml}
        spec:
          model: {uri: pvc://models/digits_mlp.onnx}
          serving:
            resources: {requests: {cpu: "64", memory: 1Gi}}
        ---
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: starved, namespace: ml}
        spec:
          model: {uri: pvc://models/digits_mlp.onnx}
          serving:
            resources: {requests: {cpu: 100m, memory: 24Mi}, limits: {memory: 24Mi}}
        """);
    await(READY).untilAsserted(() -> assertThat(condition(md("too-big"), "Ready")).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isEqualTo("Unschedulable");
      assertThat(c.getMessage()).contains("Insufficient cpu");
    }));
    await(READY).untilAsserted(() -> assertThat(condition(md("starved"), "Ready")).hasValueSatisfying(c -> {
      assertThat(c.getStatus()).isEqualTo("False");
      assertThat(c.getReason()).isIn("CrashLoopBackOff", "OOMKilled", "RunContainerError", "CreateContainerError");
      assertThat(c.getMessage()).contains("starved");
    }));
  }

  /**
   * The distill pass in the optimizer image (XGBoost's native library in a pod with a read-only
   * root filesystem), its rows on the model's claim: the student serves the teacher's signature and
   * the status carries its agreement with the teacher.
   */
  @Test
  @Order(8)
  void aModelDistilledInTheClusterServesInTheTeachersPlace() throws Exception {
    // The README's step: the model and its rows on the claim, then the example.
    String teacher = OptimizerRuns.exampleModel("trees/xgb_multi_softprob.json");
    String rows = OptimizerRuns.exampleModel("trees/xgb_multi_softprob.inputs.npy");
    Files.copy(Path.of(teacher), hostPath("models").resolve("xgb_multi_softprob.json"));
    Files.copy(Path.of(rows), hostPath("models").resolve("xgb_multi_softprob.inputs.npy"));
    kube.resource(Files.readString(REPO.resolve("examples/distilled-on-a-claim.yaml"))).serverSideApply();
    ModelDeployment md = awaitReady("softprob-small");

    OptimizerRuns.Run local = OptimizerRuns.optimize(teacher, "--format", "xgboost", "--pass",
        "distill:rows=5000,trees=10", "--data", rows, "--samples", "40", "--min-top1-agreement", "0.8");
    assertThat(md.getStatus().artifact.digest).isEqualTo(local.digest());
    assertThat(md.getStatus().artifact.validation.samples).as("a fifth of the 200 rows, held out").isEqualTo(40);
    assertThat(md.getStatus().artifact.validation.top1Agreement).isGreaterThanOrEqualTo(0.8);
    Manifest manifest = Manifest.parse(Files.readAllBytes(servedModel(md).resolveSibling("manifest.json")),
        md.getStatus().artifact.digest);
    assertThat(manifest.pipeline()).singleElement().satisfies(step -> assertThat(step.name()).isEqualTo("distill"));
    assertThat(manifest.signature()).isEqualTo(Manifest.parse(Files.readAllBytes(
        hostPath("modelship-artifacts").resolve(md("softprob").getStatus().artifact.digest.substring(7))
            .resolve("manifest.json")), md("softprob").getStatus().artifact.digest).signature());
    triton("softprob-small", rows);
    kube.resources(ModelDeployment.class).inNamespace(NS).withName("softprob-small").delete();
  }

  @Test
  @Order(9)
  void deletingAModelDeploymentRemovesAllItOwnedAndHelmUninstallRemovesTheOperator() throws Exception {
    for (String name : List.of("digits", "softprob", "too-big", "starved", "softprob-small")) {
      kube.resources(ModelDeployment.class).inNamespace(NS).withName(name).delete();
    }
    await(READY).untilAsserted(() -> {
      assertThat(kube.resources(ModelDeployment.class).inNamespace(NS).list().getItems()).isEmpty();
      assertThat(kube.apps().deployments().inNamespace(NS).list().getItems()).isEmpty();
      assertThat(kube.batch().v1().jobs().inNamespace(NS).list().getItems()).isEmpty();
      assertThat(kube.services().inNamespace(NS).list().getItems()).isEmpty();
      assertThat(kube.pods().inNamespace(NS).list().getItems()).isEmpty();
    });
    run(Duration.ofMinutes(2), List.of(helm.toString(), "uninstall", "modelship", "--kubeconfig",
        cluster.kubeconfig().toString(), "--namespace", SYSTEM_NS, "--wait", "--timeout", "90s"));
    await(Duration.ofMinutes(1)).untilAsserted(() -> {
      assertThat(kube.apps().deployments().inNamespace(SYSTEM_NS).list().getItems()).isEmpty();
      assertThat(kube.pods().inNamespace(SYSTEM_NS).list().getItems()).isEmpty();
    });
  }

  // ------------------------------------------------------------------------------------ helpers

  static ConditionFactory await(Duration atMost) {
    return Awaitility.await().atMost(atMost).pollInterval(Duration.ofSeconds(1)).ignoreExceptions();
  }

  static String prometheusUrl() {
    return "http://" + PROMETHEUS_HOST + ":" + PROMETHEUS_PORT;
  }

  static void applyYaml(String yaml) {
    kube.resourceList(yaml).forceConflicts().serverSideApply();
  }

  static ModelDeployment md(String name) {
    return kube.resources(ModelDeployment.class).inNamespace(NS).withName(name).get();
  }

  static Optional<Condition> condition(ModelDeployment md, String type) {
    return md.getStatus() == null ? Optional.empty()
        : md.getStatus().conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  static ModelDeployment awaitReady(String name) {
    AtomicReference<ModelDeployment> ready = new AtomicReference<>();
    await(READY).untilAsserted(() -> {
      ModelDeployment md = md(name);
      assertThat(condition(md, "Ready")).as(name + " conditions: " + (md.getStatus() == null ? null : md.getStatus().conditions))
          .hasValueSatisfying(c -> assertThat(c.getStatus()).isEqualTo("True"));
      ready.set(md);
    });
    return ready.get();
  }

  static dev.modelship.operator.api.v1alpha1.OptimizationPass pass(String name) {
    return kube.getKubernetesSerialization().unmarshal("{\"name\": \"" + name + "\"}",
        dev.modelship.operator.api.v1alpha1.OptimizationPass.class);
  }

  static List<Pod> servingPods(String name) {
    return servingPods(name, false);
  }

  static List<Pod> servingPods(String name, boolean withTerminating) {
    return kube.pods().inNamespace(NS).withLabel("modelship.dev/model-deployment", name)
        .withLabel("app.kubernetes.io/component", "inference-server").list().getItems().stream()
        .filter(p -> withTerminating || p.getMetadata().getDeletionTimestamp() == null).toList();
  }

  static String clusterIp(String service) {
    return kube.services().inNamespace(NS).withName(service).get().getSpec().getClusterIP();
  }

  /** The directory on this host behind a claim of namespace ml (a hostPath volume of up.sh --node). */
  static Path hostPath(String claim) {
    String volume = kube.persistentVolumeClaims().inNamespace(NS).withName(claim).get().getSpec().getVolumeName();
    return Path.of(kube.persistentVolumes().withName(volume).get().getSpec().getHostPath().getPath());
  }

  /** The model file the serving pods load, on the artifact claim's volume, verified by its manifest. */
  static Path servedModel(ModelDeployment md) throws IOException {
    String digest = md.getStatus().artifact.digest;
    Path dir = hostPath("modelship-artifacts").resolve(digest.substring("sha256:".length()));
    Manifest manifest = Manifest.parse(Files.readAllBytes(dir.resolve("manifest.json")), digest);
    return dir.resolve(manifest.output().file());
  }

  static void triton(String name, String rows) throws Exception {
    String ip = clusterIp(name);
    String out = run(Duration.ofMinutes(2), List.of(REPO.resolve(".venv/bin/python").toString(),
        REPO.resolve("e2e/src/test/python/triton_through_service.py").toString(),
        "--http", ip + ":8080", "--grpc", ip + ":8081", "--model", name,
        "--artifact-model", servedModel(md(name)).toString(), "--rows", rows));
    assertThat(out).contains("\"compared\": [\"http\", \"grpc\"]");
  }

  /** Runs a command; its stdout, or an AssertionError with all it printed. */
  static String run(Duration timeout, List<String> command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("modelship-node-", ".log");
    Path out = Files.createTempFile("modelship-node-", ".out");
    try {
      Process p = new ProcessBuilder(command).directory(REPO.toFile())
          .redirectOutput(out.toFile()).redirectError(log.toFile()).start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command + " did not finish in " + timeout + ":\n" + Files.readString(log));
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError(command + " exited " + p.exitValue() + ":\n" + Files.readString(log) + stdout);
      }
      return stdout;
    } finally {
      Files.deleteIfExists(log);
      Files.deleteIfExists(out);
    }
  }
}
