package dev.modelship.operator.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.modelship.operator.ClusterStandIn;
import dev.modelship.operator.ModelshipOperator;
import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.MetricsStatus;
import dev.modelship.operator.contract.OptimizerRuns;
import dev.modelship.operator.desired.ScaledObjectBuilder;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.processing.dependent.workflow.CRDPresentActivationCondition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.FileInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Status fed from Prometheus, with every part real: a kube-apiserver (no kubelet: the test writes
 * what the Job and Deployment controllers would), a real inference-server process serving the
 * digits model under a paced load, a real Prometheus scraping it every second with the
 * {@code namespace} and {@code pod} labels a ServiceMonitor adds, and the operator in this JVM
 * polling that Prometheus every 2 s over a 10 s window.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TrafficStatusIT {

  static final String NS = "traffic";
  static final Duration WAIT = Duration.ofSeconds(60);
  /** The load the test paces; the figure status must show, computed from the test's own clock. */
  static final int REQUESTS_PER_SECOND = 40;

  static KubeAPIServer apiServer;
  static KubernetesClient client;
  static Operator operator;
  static SimpleMeterRegistry operatorMetrics;
  static PrometheusProcess prometheus;
  static DigitsServer server;
  static ScheduledExecutorService load;
  static final AtomicLong answered = new AtomicLong();
  static final AtomicLong failed = new AtomicLong();

  @BeforeAll
  static void start() throws Exception {
    server = DigitsServer.start();

    // What a ServiceMonitor's scrape gives: the pod's series with namespace and pod labels.
    prometheus = PrometheusProcess.start("""
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        scrape_configs:
          - job_name: modelship-inference
            static_configs:
              - targets: ["127.0.0.1:%d"]
                labels: {namespace: %s, pod: digits-7d9f-abcde}
        """.formatted(server.port, NS));

    apiServer = ClusterStandIn.startApiServer();
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(apiServer.getKubeConfigYaml())).build();
    try (var crd = new FileInputStream("target/classes/META-INF/fabric8/modeldeployments.modelship.dev-v1.yml")) {
      ClusterStandIn.applyCrd(client, crd);
    }
    ClusterStandIn.namespaceWithArtifactClaim(client, NS);
    // JOSDK remembers per JVM that a CRD is present; a test class before this one may have installed
    // the ServiceMonitor CRD in its own API server. This is a new cluster: look again.
    CRDPresentActivationCondition.clearState();
    operatorMetrics = new SimpleMeterRegistry();
    operator = ModelshipOperator.create(client, config(prometheus.url()), operatorMetrics, () -> {});
    operator.start();
    // From the start, so the window is full of steady traffic when the model is first served: metrics
    // alone are written at most once a minute, and the first figures should be the steady ones.
    startPacedLoad();
  }

  /** The settings as the chart passes them, read by the operator's own parser. */
  static OperatorConfig config(String prometheusUrl) {
    return OperatorConfig.fromEnvironment(Map.of(
        "MODELSHIP_LEADER_ELECTION", "false",
        "MODELSHIP_METRICS_PORT", "0",
        "MODELSHIP_PROMETHEUS_URL", prometheusUrl,
        "MODELSHIP_PROMETHEUS_INTERVAL_SECONDS", "2",
        "MODELSHIP_PROMETHEUS_WINDOW_SECONDS", "10",
        "MODELSHIP_PROMETHEUS_TIMEOUT_SECONDS", "2"));
  }

  static String serverUrl() {
    return server.url();
  }

  @AfterAll
  static void stop() throws Exception {
    if (load != null) {
      load.shutdownNow();
    }
    if (operator != null) {
      operator.stop();
    }
    if (client != null) {
      client.close();
    }
    if (apiServer != null) {
      apiServer.stop();
    }
    if (prometheus != null) {
      prometheus.close();
    }
    if (server != null) {
      server.close();
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void figuresOfRealTrafficReachStatusAndMeetTheObjectives() throws Exception {
    // Steady traffic before the model is served: Prometheus's own rate over the operator's window
    // is the load's. (Figures alone are written at most once a minute, so the first ones should be
    // the steady ones, not a ramp.)
    PrometheusClient direct = new PrometheusClient(config(prometheus.url()).prometheus());
    await().atMost(WAIT).ignoreExceptions().until(() -> direct.query(List.of(
        "sum(rate(modelship_inference_requests_total[10s]))")).get(0).get(0).value(),
        rate -> Math.abs(rate - REQUESTS_PER_SECOND) <= 0.1 * REQUESTS_PER_SECOND);
    serve("digits", """
        slo: {latencyP99: 2s, errorRatio: 0.01}
        """);

    ModelDeployment md = await().atMost(WAIT.plusSeconds(30)).until(() -> get("digits"), m -> m.getStatus().metrics != null
        && m.getStatus().metrics.requestsPerSecond != null
        && Math.abs(m.getStatus().metrics.requestsPerSecond - REQUESTS_PER_SECOND) <= 0.2 * REQUESTS_PER_SECOND);
    assertThat(condition(md, "MetricsAvailable").getStatus()).isEqualTo("True");
    assertThat(condition(md, "MetricsAvailable").getReason()).isEqualTo("MetricsRead");
    MetricsStatus m = md.getStatus().metrics;
    assertThat(m.errorRatio).isEqualTo(0.0);
    assertThat(m.latencyP50Seconds).isPositive().isLessThanOrEqualTo(m.latencyP99Seconds);
    assertThat(m.latencyP99Seconds).isLessThan(2.0);
    assertThat(m.observedAt).isNotNull();
    // Two significant digits at most.
    assertThat(m.requestsPerSecond).isEqualTo(TrafficReading.round(m.requestsPerSecond));

    md = awaitCondition("digits", "SLOMet", "True", "WithinObjective");
    assertThat(condition(md, "SLOMet").getMessage()).contains("p99 latency within 2s").contains("error ratio within 0.01");
    assertThat(condition(md, "Ready").getStatus()).isEqualTo("True");
    assertThat(failed.get()).isZero();
  }

  @Test
  @Order(2)
  void anObjectiveMissedForTwoPollsTurnsSloMetFalseWithAnEvent() {
    patchSlo("digits", "1us");
    ModelDeployment md = awaitCondition("digits", "SLOMet", "False", "ObjectiveMissed");
    assertThat(condition(md, "SLOMet").getMessage()).contains("p99 latency").contains("is over the objective 1us");
    assertThat(condition(md, "Ready").getStatus()).isEqualTo("True");
    await().atMost(WAIT).until(() -> events("digits", "Warning", "ObjectiveMissed") == 1);

    patchSlo("digits", "2s");
    awaitCondition("digits", "SLOMet", "True", "WithinObjective");
    await().atMost(WAIT).until(() -> events("digits", "Normal", "WithinObjective") == 1);
  }

  @Test
  @Order(3)
  void withPrometheusDownTheFiguresStayAndReadyIsUnchangedThenItRecovers() throws Exception {
    prometheus.stop();
    ModelDeployment down = awaitCondition("digits", "MetricsAvailable", "False", "PrometheusUnreachable");
    assertThat(condition(down, "MetricsAvailable").getMessage())
        .contains("no answer from Prometheus at " + prometheus.url())
        .contains("the figures shown are from " + down.getStatus().metrics.observedAt);
    assertThat(condition(down, "SLOMet").getStatus()).isEqualTo("Unknown");
    assertThat(condition(down, "SLOMet").getReason()).isEqualTo("MetricsUnavailable");
    assertThat(condition(down, "Ready").getStatus()).isEqualTo("True");
    // Three more polls without an answer: the last figures stay as they were, with their time.
    Thread.sleep(6_000);
    ModelDeployment later = get("digits");
    assertThat(later.getStatus().metrics).isEqualTo(down.getStatus().metrics);
    assertThat(condition(later, "Ready").getStatus()).isEqualTo("True");
    // The operator's health check (its pod's liveness probe) does not fail because Prometheus does.
    assertThat(operator.getRuntimeInfo().allEventSourcesAreHealthy()).isTrue();
    assertThat(events("digits", "Warning", "PrometheusUnreachable")).isEqualTo(1);

    prometheus.start();
    awaitCondition("digits", "MetricsAvailable", "True", "MetricsRead");
    await().atMost(WAIT).until(() -> events("digits", "Normal", "MetricsRead") == 1);
  }

  @Test
  @Order(4)
  void aModelThatNothingScrapesIsNotScraped() throws Exception {
    serve("unscraped", "");
    ModelDeployment md = awaitCondition("unscraped", "MetricsAvailable", "False", "NotScraped");
    assertThat(condition(md, "MetricsAvailable").getMessage())
        .contains("namespace=\"" + NS + "\" and model=\"unscraped\"");
    assertThat(md.getStatus().metrics).isNull();
    assertThat(condition(md, "Ready").getStatus()).isEqualTo("True");
  }

  @Test
  @Order(5)
  void trafficScalingNeedsKedaAndThenIsAScaledObjectTheApiServerAccepts() throws Exception {
    patchAutoscaling("digits", "maxReplicas: 4\nmetric: rps\ntarget: 20");
    ModelDeployment md = awaitCondition("digits", "AutoscalerReady", "False", "KedaNotInstalled");
    assertThat(condition(md, "AutoscalerReady").getMessage()).contains("scaledobjects.keda.sh is not installed");
    assertThat(client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName("digits").get()).isNull();

    // KEDA's own CRD, from its release's module (scripts/monitoring-tools.sh): the real schema.
    Path kedaCrd = Path.of(System.getProperty("user.home"), ".local/share/modelship/keda-v2.21.0/keda.sh_scaledobjects.yaml");
    assertThat(kedaCrd).as("run scripts/setup.sh").exists();
    try (var in = Files.newInputStream(kedaCrd)) {
      ClusterStandIn.applyCrd(client, in);
    }
    // The CRD is looked up again once a minute; the test forgets the earlier look instead of waiting.
    CRDPresentActivationCondition.clearState();
    patchAutoscaling("digits", "maxReplicas: 4\nmetric: rps\ntarget: 25");

    GenericKubernetesResource so = await().atMost(WAIT).until(() -> scaledObjects().withName("digits").get(),
        x -> x != null && "25".equals(x.get("spec", "triggers", 0, "metadata", "threshold")));
    assertThat(so.<String>get("spec", "scaleTargetRef", "name")).isEqualTo("digits");
    assertThat(so.<Integer>get("spec", "maxReplicaCount")).isEqualTo(4);
    assertThat(so.<String>get("spec", "triggers", 0, "metricType")).isEqualTo("AverageValue");
    assertThat(so.<String>get("spec", "triggers", 0, "metadata", "ignoreNullValues")).isEqualTo("false");
    assertThat(so.<String>get("spec", "fallback", "behavior")).isEqualTo("currentReplicas");
    awaitCondition("digits", "AutoscalerReady", "True", "ScaledObject");

    // The query KEDA will run gives the model's request rate, here the paced load.
    String query = so.get("spec", "triggers", 0, "metadata", "query");
    assertThat(query).isEqualTo(ScaledObjectBuilder.query(get("digits")));
    // (Once its 1m range is past the outage of the test before: until then the rate is lower.)
    PrometheusClient direct = new PrometheusClient(config(prometheus.url()).prometheus());
    await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(direct.query(List.of(query)).get(0))
        .singleElement().satisfies(s -> assertThat(s.value())
            .isCloseTo(REQUESTS_PER_SECOND, org.assertj.core.data.Percentage.withPercentage(20))));

    // Back to cpu: the ScaledObject goes, an HPA comes.
    patchAutoscaling("digits", "maxReplicas: 4\nmetric: cpu");
    await().atMost(WAIT).until(() -> scaledObjects().withName("digits").get() == null
        && client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).withName("digits").get() != null);
    awaitCondition("digits", "AutoscalerReady", "True", "HorizontalPodAutoscaler");
  }

  @Test
  @Order(6)
  void theClientTellsAnAnswerThatIsNotPrometheusAndAFailedQueryApartFromNoAnswer() throws Exception {
    OperatorConfig.Prometheus settings = config(prometheus.url()).prometheus();
    // The real answers of Prometheus for NaN and +Inf.
    var values = new PrometheusClient(settings).query(List.of("vector(0/0)", "vector(1/0)", "vector(-1/0)"));
    assertThat(values.get(0).get(0).value()).isNaN();
    assertThat(values.get(1).get(0).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(values.get(2).get(0).value()).isEqualTo(Double.NEGATIVE_INFINITY);

    assertThatThrownBy(() -> new PrometheusClient(settings).query(List.of("sum by (")))
        .isInstanceOfSatisfying(PrometheusClient.QueryException.class, e -> {
          assertThat(e.failure()).isEqualTo(PrometheusClient.Failure.QUERY_FAILED);
          assertThat(e.getMessage()).contains("HTTP 400 bad_data");
        });
    // The inference server is an HTTP server, but not Prometheus.
    assertThatThrownBy(() -> new PrometheusClient(config(serverUrl()).prometheus()).query(List.of("up")))
        .isInstanceOfSatisfying(PrometheusClient.QueryException.class, e -> {
          assertThat(e.failure()).isEqualTo(PrometheusClient.Failure.QUERY_FAILED);
          assertThat(e.getMessage()).contains("is not an answer of the Prometheus query API");
        });
    String closed = "http://127.0.0.1:" + PrometheusProcess.freePort();
    assertThatThrownBy(() -> new PrometheusClient(config(closed).prometheus()).query(List.of("up")))
        .isInstanceOfSatisfying(PrometheusClient.QueryException.class, e ->
            assertThat(e.failure()).isEqualTo(PrometheusClient.Failure.UNREACHABLE));
  }

  // ---------------------------------------------------------------------------------------------

  /** A ModelDeployment built by the real optimizer and rolled out to one available pod. */
  void serve(String name, String extraSpec) {
    ModelDeployment md = Serialization.unmarshal("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: %s}
        spec:
          model: {uri: "https://models.example/digits.onnx"}
        %s""".formatted(name, extraSpec.isBlank() ? "" : "  " + extraSpec.strip().replace("\n", "\n  ")),
        ModelDeployment.class);
    md.getMetadata().setNamespace(NS);
    client.resource(md).create();
    Job job = await().atMost(WAIT).until(() -> client.batch().v1().jobs().inNamespace(NS)
        .withLabel("modelship.dev/model-deployment", name).list().getItems(), l -> l.size() == 1).get(0);
    ClusterStandIn.completeJob(client, NS, job, OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"),
        "--samples", "256"));
    await().atMost(WAIT).until(() -> client.apps().deployments().inNamespace(NS).withName(name).get(), d -> d != null);
    ClusterStandIn.setDeploymentStatus(client, NS, name, 1, 1, 1);
    awaitCondition(name, "Ready", "True", "MinimumReplicasAvailable");
  }

  /** 40 requests a second, each one row of the digits model, from the test's own clock. */
  static void startPacedLoad() throws Exception {
    String body = Files.readString(OptimizerRuns.repository().resolve("examples/models/digits_mlp.request.json"));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(serverUrl() + "/v2/models/digits/infer"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    load = Executors.newScheduledThreadPool(4);
    load.scheduleAtFixedRate(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete((r, e) -> (e == null && r.statusCode() == 200 ? answered : failed).incrementAndGet()),
        0, 1000 / REQUESTS_PER_SECOND, TimeUnit.MILLISECONDS);
  }

  static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> scaledObjects() {
    return client.genericKubernetesResources("keda.sh/v1alpha1", "ScaledObject").inNamespace(NS);
  }

  void patchSlo(String name, String latencyP99) {
    client.resources(ModelDeployment.class).inNamespace(NS).withName(name).edit(md -> {
      md.getSpec().slo.latencyP99 = latencyP99;
      return md;
    });
  }

  void patchAutoscaling(String name, String autoscaling) {
    client.resources(ModelDeployment.class).inNamespace(NS).withName(name).edit(md -> {
      md.getSpec().autoscaling = Serialization.unmarshal(autoscaling,
          dev.modelship.operator.api.v1alpha1.Autoscaling.class);
      return md;
    });
  }

  static ModelDeployment get(String name) {
    return client.resources(ModelDeployment.class).inNamespace(NS).withName(name).get();
  }

  static Condition condition(ModelDeployment md, String type) {
    return md.getStatus().conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow(
        () -> new AssertionError("no condition " + type + " in " + md.getStatus().conditions));
  }

  static ModelDeployment awaitCondition(String name, String type, String status, String reason) {
    return await().atMost(WAIT).until(() -> get(name), md -> md != null && md.getStatus() != null
        && md.getStatus().conditions.stream().anyMatch(c -> type.equals(c.getType())
            && status.equals(c.getStatus()) && reason.equals(c.getReason())));
  }

  static long events(String name, String type, String reason) {
    return client.v1().events().inNamespace(NS).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()) && type.equals(e.getType())
            && reason.equals(e.getReason()))
        .count();
  }
}
