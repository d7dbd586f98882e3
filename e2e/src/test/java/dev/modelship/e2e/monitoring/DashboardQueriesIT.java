package dev.modelship.e2e.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.modelship.e2e.monitoring.PrometheusServer.Sample;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the recording rules against a real Prometheus scraping two real
 * inference servers (two models in two namespaces) every second under real load: every query of
 * every panel returns data for each model, the template variables list what is served, every
 * recording rule produces series, and the request counts and rates agree with what this test sent.
 */
class DashboardQueriesIT {

  static final Path MONITORING = InferenceServerProcess.REPO.resolve("helm/modelship/files/monitoring");
  static final Duration SCRAPE = Duration.ofSeconds(1);
  static final Duration LOAD = Duration.ofSeconds(20);
  /** Good requests per second per server, paced. */
  static final int RATE = 20;
  /**
   * What Grafana substitutes: $__interval for a 1 h range drawn with ~240 points is 15 s;
   * $__rate_interval = max($__interval + scrape interval, 4 x scrape interval) = 16 s.
   */
  static final String INTERVAL = "15s";
  static final String RATE_INTERVAL = "16s";

  record Served(String namespace, String pod, String model) {
  }

  static final List<Served> SERVED = List.of(new Served("ml", "digits-5d9c7b-x2x9q", "digits"),
      new Served("ml-staging", "digits-canary-6f8b9-k4j2m", "digits-canary"));

  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  static final Map<String, InferenceServerProcess> servers = new LinkedHashMap<>();
  static final Map<String, Load> loads = new LinkedHashMap<>();
  static PrometheusServer prometheus;
  static Instant serversStarted;
  static Instant loadEnded;

  /** What the test sent one server and what it answered. */
  static final class Load {
    int good;
    int bad;
    final List<String> unexpected = new ArrayList<>();
    /** When each good or bad request was answered. */
    final List<Instant> answered = Collections.synchronizedList(new ArrayList<>());
  }

  @BeforeAll
  static void serveLoadAndScrape() throws Exception {
    PrometheusServer.home(); // fail first, with the message naming scripts/setup.sh
    serversStarted = Instant.now();
    for (Served s : SERVED) {
      servers.put(s.model, InferenceServerProcess.start(s.model, InferenceServerProcess.DIGITS));
    }
    List<Map<String, Object>> scrapeConfigs = new ArrayList<>();
    for (Served s : SERVED) {
      // What the ServiceMonitor or the relabelling of a plain scrape config gives each series.
      scrapeConfigs.add(Map.of("job_name", "modelship-" + s.model, "metrics_path", "/metrics",
          "static_configs", List.of(Map.of("targets", List.of(servers.get(s.model).target()),
              "labels", Map.of("namespace", s.namespace, "pod", s.pod)))));
    }
    prometheus = PrometheusServer.start(scrapeConfigs, SCRAPE, List.of(MONITORING.resolve("rules.yaml")));

    // One good and one bad request each, scraped before the load starts: the series of both
    // outcomes then exist from a known value (1), so their 5m rates see the whole load.
    for (Served s : SERVED) {
      Load load = new Load();
      loads.put(s.model, load);
      send(servers.get(s.model), load, true);
      send(servers.get(s.model), load, false);
    }
    for (Served s : SERVED) {
      awaitQuery("count(modelship_inference_requests_total{namespace=\"" + s.namespace + "\",model=\"" + s.model
          + "\",outcome=~\"success|client_error\"} == 1) == 2");
    }

    ExecutorService pool = Executors.newFixedThreadPool(SERVED.size());
    try {
      List<Future<?>> running = new ArrayList<>();
      for (Served s : SERVED) {
        running.add(pool.submit(() -> {
          runLoad(servers.get(s.model), loads.get(s.model));
          return null;
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    loadEnded = Instant.now();
    // Two more scrapes and rule evaluations, so the last requests are in every series.
    Thread.sleep(SCRAPE.multipliedBy(3).toMillis());
    for (Load load : loads.values()) {
      assertThat(load.unexpected).as("answers other than 200 and 400").isEmpty();
    }
  }

  @AfterAll
  static void stopAll() throws Exception {
    if (prometheus != null) {
      prometheus.close();
    }
    for (InferenceServerProcess s : servers.values()) {
      s.close();
    }
  }

  /** RATE good requests a second for LOAD, with a bad one (a 4xx) every 4 s: 400 good and 5 bad. */
  static void runLoad(InferenceServerProcess server, Load load) throws Exception {
    long start = System.nanoTime();
    long period = 1_000_000_000L / RATE;
    int total = (int) (LOAD.toSeconds() * RATE);
    for (int i = 0; i < total; i++) {
      long wait = start + i * period - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      send(server, load, true);
      if (i % (4 * RATE) == 2 * RATE) {
        send(server, load, false);
      }
    }
  }

  static void send(InferenceServerProcess server, Load load, boolean good) throws IOException, InterruptedException {
    HttpRequest.BodyPublisher body = good
        ? HttpRequest.BodyPublishers.ofFile(InferenceServerProcess.DIGITS_REQUEST)
        // 3 values where the model takes 64 per row: the server answers 400.
        : HttpRequest.BodyPublishers.ofString("{\"inputs\":[{\"name\":\"input\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}");
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(server.inferUri())
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30)).POST(body).build(),
        HttpResponse.BodyHandlers.ofString());
    load.answered.add(Instant.now());
    if (good && r.statusCode() == 200) {
      load.good++;
    } else if (!good && r.statusCode() == 400) {
      load.bad++;
    } else {
      load.unexpected.add(r.statusCode() + " " + r.body());
    }
  }

  static void awaitQuery(String promql) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (prometheus.query(promql).isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no answer to " + promql + " within 30 s");
      }
      Thread.sleep(200);
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void everyQueryOfEveryPanelReturnsDataForEachModel() throws Exception {
    JsonNode dashboard = JSON.readTree(MONITORING.resolve("dashboard.json").toFile());
    List<String> titles = new ArrayList<>();
    int queries = 0;
    // Inside the load, so every rate window of $__rate_interval is full of requests.
    Instant at = loadEnded.minusSeconds(2);
    for (JsonNode panel : dashboard.path("panels")) {
      titles.add(panel.path("title").asText());
      assertThat(panel.path("targets")).as("targets of panel %s", panel.path("title")).isNotEmpty();
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
        for (Served s : SERVED) {
          String expr = substitute(target.path("expr").asText(), s);
          List<Sample> result = prometheus.query(expr, at);
          assertThat(result).as("panel \"%s\" query %s for %s/%s:\n%s", panel.path("title").asText(),
              target.path("refId").asText(), s.namespace, s.model, expr).isNotEmpty();
          assertThat(result).as("values of panel \"%s\" query %s:\n%s", panel.path("title").asText(),
              target.path("refId").asText(), expr).allSatisfy(r -> assertThat(r.value()).isFinite());
          queries++;
        }
      }
    }
    assertThat(titles).contains("Requests per second by outcome", "Latency p50 / p90 / p99", "Error ratio",
        "Errors by outcome", "Batch size p50 / p99", "Queue time p99 vs compute time p99", "Serving pods",
        "Model served");
    assertThat(queries).as("queries run").isGreaterThanOrEqualTo(2 * 13);
  }

  @Test
  void panelsShowWhatWasSent() throws Exception {
    JsonNode dashboard = JSON.readTree(MONITORING.resolve("dashboard.json").toFile());
    Instant at = loadEnded.minusSeconds(2);
    for (Served s : SERVED) {
      Load load = loads.get(s.model);
      // Requests per second by outcome over the 16 s before `at`: the test's own count of answers
      // in that window, divided by 16 s. Prometheus sees the counters once a second, and rate()
      // extrapolates the first and last samples to the window's edges: up to a scrape interval of
      // requests (21) may be counted in or out, 21 / (16 x 21) = 6 %; allowed 10 %.
      List<Sample> byOutcome = prometheus.query(substitute(expr(dashboard, "Requests per second by outcome", "A"), s), at);
      double rps = byOutcome.stream().mapToDouble(Sample::value).sum();
      long answeredInWindow = load.answered.stream()
          .filter(t -> t.isAfter(at.minusSeconds(16)) && !t.isAfter(at)).count();
      assertThat(rps).as("requests per second of %s", s.model).isCloseTo(answeredInWindow / 16.0,
          within(0.10 * answeredInWindow / 16.0));
      assertThat(byOutcome).extracting(r -> r.labels().get("outcome")).containsExactlyInAnyOrder("success", "client_error");

      // Serving pods: one. Model served: digits_mlp.onnx's sha256, format onnx.
      assertThat(prometheus.query(substitute(expr(dashboard, "Serving pods", "A"), s), at))
          .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(1.0));
      String sha256 = sha256(InferenceServerProcess.DIGITS);
      assertThat(prometheus.query(substitute(expr(dashboard, "Model served", "A"), s), at)).singleElement()
          .satisfies(r -> assertThat(r.labels()).containsEntry("digest", "sha256:" + sha256)
              .containsEntry("format", "onnx").containsEntry("model", s.model).containsEntry("namespace", s.namespace));
      // Error ratio: no 5xx was answered, 4xx do not count.
      assertThat(prometheus.query(substitute(expr(dashboard, "Error ratio", "A"), s), at))
          .singleElement().satisfies(r -> assertThat(r.value()).isZero());
    }
  }

  @Test
  void templateVariablesListTheServedNamespacesAndModels() throws Exception {
    // Grafana's label_values(modelship_model_info, namespace) and
    // label_values(modelship_model_info{namespace=~"$namespace"}, model) are these API calls.
    JsonNode namespaces = prometheus.get("/api/v1/label/namespace/values?match[]="
        + URLEncoder.encode("modelship_model_info", StandardCharsets.UTF_8));
    assertThat(namespaces).extracting(JsonNode::asText).containsExactlyInAnyOrder("ml", "ml-staging");
    for (Served s : SERVED) {
      JsonNode models = prometheus.get("/api/v1/label/model/values?match[]="
          + URLEncoder.encode("modelship_model_info{namespace=~\"" + s.namespace + "\"}", StandardCharsets.UTF_8));
      assertThat(models).extracting(JsonNode::asText).containsExactly(s.model);
    }
  }

  @Test
  void everyRecordingRuleHasSeriesForEachModel() throws Exception {
    JsonNode rules = new YAMLMapper().readTree(MONITORING.resolve("rules.yaml").toFile());
    List<String> records = new ArrayList<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        if (rule.has("record")) {
          records.add(rule.path("record").asText());
        }
      }
    }
    assertThat(records).hasSize(11);
    for (String record : records) {
      for (Served s : SERVED) {
        String selector = record + "{namespace=\"" + s.namespace + "\",model=\"" + s.model + "\"}";
        assertThat(prometheus.query(selector)).as(selector).singleElement()
            .satisfies(r -> assertThat(r.value()).isFinite());
      }
    }
  }

  @Test
  void requestCountsAndRateAgreeWithWhatWasSent() throws Exception {
    assertThat(Duration.between(serversStarted, Instant.now())).as("the servers' whole life fits in a 5m window")
        .isLessThan(Duration.ofMinutes(4));
    for (Served s : SERVED) {
      Load load = loads.get(s.model);
      String sel = "{namespace=\"" + s.namespace + "\",model=\"" + s.model + "\"";
      // The counters themselves, exactly: 1 + 400 good, 1 + 5 bad.
      assertThat(load.good).isEqualTo(1 + LOAD.toSeconds() * RATE);
      assertThat(load.bad).isEqualTo(1 + 5);
      assertThat(prometheus.query("sum(modelship_inference_requests_total" + sel + ",outcome=\"success\"})"))
          .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(load.good));
      assertThat(prometheus.query("sum(modelship_inference_requests_total" + sel + ",outcome=\"client_error\"})"))
          .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(load.bad));

      // The recording rule's requests per second over 5 minutes, which hold the servers' whole life:
      // everything sent / 300 s. rate() misses the first sample's value (the 2 priming requests,
      // scraped before the load) and extrapolates past the last sample by under a scrape
      // interval (no requests then) over a sampled interval of > 20 s: under 5 % plus 2 requests.
      int sent = load.good + load.bad;
      double expected = sent / 300.0;
      assertThat(prometheus.query("namespace_model:modelship_inference_requests:rate5m" + sel + "}"))
          .singleElement().satisfies(r -> assertThat(r.value()).as("rate5m of %s", s.model)
              .isCloseTo(expected, within(0.05 * expected + 2 / 300.0)));
    }
  }

  static String expr(JsonNode dashboard, String title, String refId) {
    for (JsonNode panel : dashboard.path("panels")) {
      if (panel.path("title").asText().equals(title)) {
        for (JsonNode t : panel.path("targets")) {
          if (t.path("refId").asText().equals(refId)) {
            return t.path("expr").asText();
          }
        }
      }
    }
    throw new AssertionError("no panel \"" + title + "\" with query " + refId);
  }

  static String substitute(String expr, Served s) {
    return expr.replace("$namespace", s.namespace).replace("$model", s.model)
        .replace("$__rate_interval", RATE_INTERVAL).replace("$__interval", INTERVAL)
        .replace("${datasource}", "prometheus").replace("$datasource", "prometheus");
  }

  static String sha256(Path file) throws Exception {
    return java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
