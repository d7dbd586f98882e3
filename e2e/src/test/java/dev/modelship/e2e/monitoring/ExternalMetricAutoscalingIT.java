package dev.modelship.e2e.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.e2e.cluster.ControlPlaneBinaries;
import dev.modelship.e2e.cluster.LocalControlPlane;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HPA + prometheus-adapter alternative to KEDA, as examples/autoscaling ships it, on the
 * shared up.sh control plane (no node): a real inference server under load, a real Prometheus
 * scraping it, a real prometheus-adapter (built by e2e/cluster/build.sh) with the example's
 * configuration behind the aggregation layer, and the example HPA, which the real
 * controller-manager runs. It scales the Deployment (whose pods cannot run: there is no node) to
 * ceil(requests per second / target), computed from this test's own count; with Prometheus
 * stopped it holds its replicas.
 */
@ExtendWith(LocalControlPlane.Extension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExternalMetricAutoscalingIT {

  static final String NS = "modelship-hpa-external";
  static final String MODEL = "digits";
  static final String APISERVICE = "v1beta1.external.metrics.k8s.io";
  static final Path EXAMPLES = InferenceServerProcess.REPO.resolve("examples/autoscaling");
  /** Requests per second this test sends, paced: with the example's target of 10 a pod, 3.5 pods. */
  static final double LOAD_RPS = 35;
  /** The example's rate window. */
  static final Duration RATE_WINDOW = Duration.ofMinutes(1);

  static LocalControlPlane cluster;
  static KubernetesClient client;
  static InferenceServerProcess server;
  static PrometheusServer prometheus;
  static Process adapter;
  static Path adapterDir;
  static Thread loadThread;
  static final AtomicBoolean loadOn = new AtomicBoolean();
  static final List<Instant> answered = Collections.synchronizedList(new ArrayList<>());
  static final List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
  static volatile Instant loadStarted;
  static HorizontalPodAutoscaler example;

  @BeforeAll
  static void setUp() throws Exception {
    Path adapterBinary = ControlPlaneBinaries.directory().resolve("prometheus-adapter");
    if (!Files.isExecutable(adapterBinary)) {
      throw new AssertionError("prometheus-adapter is missing from " + ControlPlaneBinaries.directory()
          + ": run `bash e2e/cluster/build.sh` (scripts/setup.sh runs it)");
    }
    PrometheusServer.home();
    cluster = LocalControlPlane.shared();
    client = cluster.newClient();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();

    server = InferenceServerProcess.start(MODEL, InferenceServerProcess.DIGITS);
    prometheus = PrometheusServer.start(List.of(Map.of("job_name", "modelship-serving",
        "static_configs", List.of(Map.of("targets", List.of(server.target()),
            "labels", Map.of("namespace", NS, "pod", MODEL + "-7d4b9c-q8x2p"))))), Duration.ofSeconds(1), List.of());
    // One request, scraped, so that prometheus-adapter's first listing finds the series.
    send();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (prometheus.query("modelship_inference_requests_total{namespace=\"" + NS + "\",model=\"" + MODEL + "\"}").isEmpty()) {
      assertThat(System.nanoTime()).as("the first request scraped within 30 s").isLessThan(deadline);
      Thread.sleep(200);
    }

    // prometheus-adapter with the example's configuration, as is; only the Prometheus URL (a flag) is ours.
    adapterDir = Files.createTempDirectory("modelship-prometheus-adapter-");
    int port = PrometheusServer.freePort();
    String kubeconfig = cluster.kubeconfig().toString();
    adapter = new ProcessBuilder(adapterBinary.toString(),
        "--prometheus-url=" + prometheus.url() + "/",
        "--config=" + EXAMPLES.resolve("prometheus-adapter.yaml"),
        "--metrics-relist-interval=10s",
        "--secure-port=" + port, "--bind-address=127.0.0.1", "--cert-dir=" + adapterDir.resolve("certs"),
        "--lister-kubeconfig=" + kubeconfig, "--authentication-kubeconfig=" + kubeconfig,
        "--authorization-kubeconfig=" + kubeconfig, "--v=2")
        .redirectErrorStream(true).redirectOutput(adapterDir.resolve("adapter.log").toFile()).start();

    // The aggregation layer without a node: an ExternalName Service "localhost" with the adapter's port.
    client.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata().withName("prometheus-adapter")
        .endMetadata().withNewSpec().withType("ExternalName").withExternalName("localhost")
        .addNewPort().withName("https").withPort(port).endPort().endSpec().build()).create();
    client.resource(Serialization.unmarshal("""
        apiVersion: apiregistration.k8s.io/v1
        kind: APIService
        metadata: {name: %s}
        spec:
          group: external.metrics.k8s.io
          version: v1beta1
          service: {namespace: %s, name: prometheus-adapter, port: %d}
          insecureSkipTLSVerify: true
          groupPriorityMinimum: 100
          versionPriority: 100
        """.formatted(APISERVICE, NS, port), GenericKubernetesResource.class)).create();
    await(Duration.ofSeconds(90), "APIService " + APISERVICE + " Available", () -> {
      assertThat(adapter.isAlive()).as("prometheus-adapter runs:\n%s", adapterLog()).isTrue();
      GenericKubernetesResource s = apiServices().withName(APISERVICE).get();
      Object status = s.getAdditionalProperties().get("status");
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> conditions = status instanceof Map<?, ?> m && m.get("conditions") instanceof List<?> l
          ? (List<Map<String, Object>>) l : List.of();
      assertThat(conditions).as("%s", status)
          .anyMatch(c -> "Available".equals(c.get("type")) && "True".equals(c.get("status")));
    });

    // The serving Deployment the operator would make (its pods stay Pending: no node), and the example HPA.
    client.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder().withNewMetadata().withName(MODEL)
        .endMetadata().withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", MODEL).endSelector()
        .withNewTemplate().withNewMetadata().addToLabels("app", MODEL).endMetadata().withNewSpec()
        .addNewContainer().withName("inference-server").withImage("registry.invalid/modelship/inference-server:0")
        .endContainer().endSpec().endTemplate().endSpec().build()).create();
    example = Serialization.unmarshal(Files.readString(EXAMPLES.resolve("hpa-on-requests.yaml")), HorizontalPodAutoscaler.class);
    assertThat(example.getSpec().getScaleTargetRef().getName()).isEqualTo(MODEL);
    client.resources(HorizontalPodAutoscaler.class).inNamespace(NS).resource(example).create();
  }

  @AfterAll
  static void tearDown() throws Exception {
    loadOn.set(false);
    if (loadThread != null) {
      loadThread.join(10_000);
    }
    if (client != null) {
      apiServices().withName(APISERVICE).delete();
      client.namespaces().withName(NS).delete();
      client.close();
    }
    if (adapter != null && adapter.isAlive()) {
      adapter.destroy();
      if (!adapter.waitFor(20, TimeUnit.SECONDS)) {
        adapter.destroyForcibly().waitFor();
      }
    }
    if (adapterDir != null) {
      PrometheusServer.deleteTree(adapterDir);
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
  void theHpaScalesToTheRequestRateOverTheTarget() throws Exception {
    double target = example.getSpec().getMetrics().get(0).getExternal().getTarget().getAverageValue().getNumericalAmount().doubleValue();
    startLoad();
    // Wait for a full rate window of load (and a scrape) before comparing with the test's own count.
    Thread.sleep(RATE_WINDOW.plusSeconds(5).toMillis());
    await(Duration.ofSeconds(120), "the HPA at ceil(measured rate / target)", () -> {
      assertThat(unexpected).as("answers other than 200").isEmpty();
      double measured = sentPerSecondOverRateWindow();
      // This machine must keep up with the paced load for the expected figure to be sharp.
      assertThat(measured).as("requests per second sent").isBetween(LOAD_RPS * 0.9, LOAD_RPS * 1.1);
      int expected = (int) Math.ceil(measured / target);
      // What the HPA reads: prometheus-adapter's figure agrees with the test's own count.
      double metric = externalMetricValue();
      assertThat(metric).as("modelship_requests_per_second from the external metrics API")
          .isCloseTo(measured, within(0.1 * measured));
      HorizontalPodAutoscaler hpa = client.resources(HorizontalPodAutoscaler.class).inNamespace(NS).withName(MODEL).get();
      assertThat(client.apps().deployments().inNamespace(NS).withName(MODEL).get().getSpec().getReplicas())
          .as("Deployment replicas; HPA status %s", hpa.getStatus()).isEqualTo(expected);
      assertThat(hpa.getStatus().getCurrentReplicas()).isEqualTo(expected);
    });
    int replicas = client.apps().deployments().inNamespace(NS).withName(MODEL).get().getSpec().getReplicas();
    System.err.printf("HPA scaled %s to %d replicas at %.1f requests/s sent (target %.0f a pod)%n",
        MODEL, replicas, sentPerSecondOverRateWindow(), target);
    assertThat(replicas).as("the load of 3.5 pods' worth").isEqualTo(4);
  }

  @Test
  @Order(2)
  void withPrometheusStoppedTheHpaHoldsItsReplicas() throws Exception {
    int before = client.apps().deployments().inNamespace(NS).withName(MODEL).get().getSpec().getReplicas();
    assertThat(before).as("scaled up by the first test").isGreaterThan(1);
    prometheus.stopProcess();
    Instant stopped = Instant.now();
    // The HPA controller syncs every 15 s (the controller-manager's default): after several syncs
    // it reports that it cannot read the metric, and has not moved the replicas.
    await(Duration.ofSeconds(90), "HPA condition ScalingActive False (FailedGetExternalMetric)", () -> {
      HorizontalPodAutoscaler hpa = client.resources(HorizontalPodAutoscaler.class).inNamespace(NS).withName(MODEL).get();
      assertThat(hpa.getStatus().getConditions()).as("%s", hpa.getStatus())
          .anyMatch(c -> "ScalingActive".equals(c.getType()) && "False".equals(c.getStatus())
              && "FailedGetExternalMetric".equals(c.getReason()));
    });
    while (Duration.between(stopped, Instant.now()).compareTo(Duration.ofSeconds(50)) < 0) {
      assertThat(client.apps().deployments().inNamespace(NS).withName(MODEL).get().getSpec().getReplicas())
          .as("replicas with Prometheus down").isEqualTo(before);
      Thread.sleep(1000);
    }
    HorizontalPodAutoscaler hpa = client.resources(HorizontalPodAutoscaler.class).inNamespace(NS).withName(MODEL).get();
    HorizontalPodAutoscalerCondition active = hpa.getStatus().getConditions().stream()
        .filter(c -> "ScalingActive".equals(c.getType())).findFirst().orElseThrow();
    System.err.println("with Prometheus stopped: " + active.getReason() + ": " + active.getMessage());
    assertThat(hpa.getStatus().getDesiredReplicas()).isEqualTo(before);
    loadOn.set(false);
  }

  // ---------------------------------------------------------------------------------------------

  static void startLoad() {
    loadOn.set(true);
    loadStarted = Instant.now();
    loadThread = new Thread(() -> {
      long start = System.nanoTime();
      long period = (long) (1_000_000_000L / LOAD_RPS);
      for (long i = 0; loadOn.get(); i++) {
        long wait = start + i * period - System.nanoTime();
        try {
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          send();
        } catch (InterruptedException e) {
          return;
        } catch (IOException e) {
          unexpected.add(e.toString());
        }
      }
    }, "load");
    loadThread.setDaemon(true);
    loadThread.start();
  }

  static final HttpClient HTTP = HttpClient.newHttpClient();

  static void send() throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(server.inferUri())
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofFile(InferenceServerProcess.DIGITS_REQUEST)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 200) {
      answered.add(Instant.now());
    } else {
      unexpected.add(r.statusCode() + " " + r.body());
    }
  }

  /** Answers in the last rate window, per second: the test's own figure. */
  static double sentPerSecondOverRateWindow() {
    Instant from = Instant.now().minus(RATE_WINDOW);
    synchronized (answered) {
      return answered.stream().filter(t -> t.isAfter(from)).count() / (double) RATE_WINDOW.toSeconds();
    }
  }

  /** GET /apis/external.metrics.k8s.io/v1beta1/namespaces/NS/modelship_requests_per_second?labelSelector=model=digits */
  static double externalMetricValue() throws Exception {
    String raw = client.raw("/apis/external.metrics.k8s.io/v1beta1/namespaces/" + NS
        + "/modelship_requests_per_second?labelSelector=model%3D" + MODEL);
    assertThat(raw).as("external metric").isNotNull();
    JsonNode items = new ObjectMapper().readTree(raw).path("items");
    assertThat(items).as("external metric items: %s", raw).hasSize(1);
    assertThat(items.get(0).path("metricLabels").path("model").asText()).isEqualTo(MODEL);
    return new Quantity(items.get(0).path("value").asText()).getNumericalAmount().doubleValue();
  }

  static String adapterLog() {
    try {
      String log = Files.readString(adapterDir.resolve("adapter.log"));
      return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    } catch (IOException e) {
      return e.toString();
    }
  }

  static void await(Duration timeout, String what, org.awaitility.core.ThrowingRunnable assertion) {
    Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
        .untilAsserted(assertion);
  }

  static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
      io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> apiServices() {
    return client.genericKubernetesResources("apiregistration.k8s.io/v1", "APIService");
  }
}
