package dev.modelship.e2e.monitoring;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * A real Prometheus (the binary scripts/monitoring-tools.sh installs) as a process of the test: on
 * a free loopback port, with a configuration and rule files, its TSDB in a temporary directory
 * that {@link #close()} removes. Queries go through the HTTP API, answers are parsed with Jackson.
 */
public final class PrometheusServer implements AutoCloseable {

  public static final String VERSION = "2.42.0";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final Path dir;
  private final int port;

  private PrometheusServer(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /** Where prometheus and promtool are: $MODELSHIP_PROMETHEUS_HOME, else scripts/monitoring-tools.sh's folder. */
  public static Path home() {
    String env = System.getenv("MODELSHIP_PROMETHEUS_HOME");
    Path dir = env != null && !env.isBlank() ? Path.of(env)
        : Path.of(System.getProperty("user.home"), ".local", "share", "modelship", "prometheus-" + VERSION);
    for (String binary : List.of("prometheus", "promtool")) {
      if (!Files.isExecutable(dir.resolve(binary))) {
        throw new AssertionError(binary + " " + VERSION + " is missing from " + dir
            + ": run `bash scripts/setup.sh` (its scripts/monitoring-tools.sh step installs Prometheus and promtool"
            + " there), or set MODELSHIP_PROMETHEUS_HOME to a folder holding both binaries");
      }
    }
    return dir;
  }

  public static Path promtool() {
    return home().resolve("promtool");
  }

  /**
   * Starts Prometheus with these scrape configs (each a map as in prometheus.yml), scraping and
   * evaluating rules every {@code interval}, loading {@code ruleFiles}; waits until /-/ready.
   */
  public static PrometheusServer start(List<Map<String, Object>> scrapeConfigs, Duration interval, List<Path> ruleFiles)
      throws IOException, InterruptedException {
    Path binary = home().resolve("prometheus");
    Path dir = Files.createTempDirectory("modelship-prometheus-");
    Map<String, Object> config = new LinkedHashMap<>();
    String every = interval.toMillis() + "ms";
    config.put("global", Map.of("scrape_interval", every, "evaluation_interval", every, "scrape_timeout", every));
    config.put("rule_files", ruleFiles.stream().map(p -> p.toAbsolutePath().toString()).toList());
    config.put("scrape_configs", scrapeConfigs);
    Path configFile = dir.resolve("prometheus.yml");
    new YAMLMapper().writeValue(configFile.toFile(), config);

    AssertionError last = null;
    for (int attempt = 1; attempt <= 3; attempt++) { // a free port may be taken before Prometheus binds it
      int port = freePort();
      Path log = dir.resolve("prometheus-" + attempt + ".log");
      Process process = new ProcessBuilder(binary.toString(),
          "--config.file=" + configFile,
          "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.listen-address=127.0.0.1:" + port,
          "--storage.tsdb.retention.time=1h",
          "--log.level=warn")
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      PrometheusServer server = new PrometheusServer(process, dir, port);
      try {
        server.awaitReady(Duration.ofSeconds(60), log);
        return server;
      } catch (AssertionError e) {
        last = e;
        server.stopProcess();
        if (!Files.readString(log).contains("address already in use")) {
          break;
        }
      }
    }
    deleteTree(dir);
    throw last;
  }

  private void awaitReady(Duration timeout, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("prometheus exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/-/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("prometheus not ready within " + timeout + ":\n" + Files.readString(log));
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** One element of an instant vector: its labels and value ("NaN", "+Inf" and "-Inf" included). */
  public record Sample(Map<String, String> labels, double value) {
  }

  /** An instant query now. */
  public List<Sample> query(String promql) throws IOException, InterruptedException {
    return query(promql, null);
  }

  /** An instant query at {@code time} (now when null); fails on any answer but status success and a vector. */
  public List<Sample> query(String promql, Instant time) throws IOException, InterruptedException {
    JsonNode data = queryRaw(promql, time);
    if (!"vector".equals(data.path("resultType").asText())) {
      throw new AssertionError("not an instant vector for " + promql + ": " + data);
    }
    List<Sample> samples = new ArrayList<>();
    for (JsonNode r : data.path("result")) {
      Map<String, String> labels = new LinkedHashMap<>();
      r.path("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      samples.add(new Sample(labels, parseValue(r.path("value").get(1).asText())));
    }
    return samples;
  }

  /** POST /api/v1/query; returns {@code data} of a successful answer. */
  public JsonNode queryRaw(String promql, Instant time) throws IOException, InterruptedException {
    String form = "query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
        + (time == null ? "" : "&time=" + time.toEpochMilli() / 1000.0);
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/api/v1/query"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(r.body());
    if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new AssertionError("query " + promql + " answered " + r.statusCode() + ": " + r.body());
    }
    return body.path("data");
  }

  /** GET on the HTTP API (e.g. /api/v1/label/namespace/values?...), returning {@code data}. */
  public JsonNode get(String pathAndQuery) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url() + pathAndQuery))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(r.body());
    if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new AssertionError("GET " + pathAndQuery + " answered " + r.statusCode() + ": " + r.body());
    }
    return body.path("data");
  }

  /** Prometheus writes +Inf and -Inf, which Double.parseDouble rejects. */
  static double parseValue(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(s);
    };
  }

  /** Stops the process (SIGTERM, then SIGKILL after 20 s) and keeps the folder, for a restart-less stop in a test. */
  public void stopProcess() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  @Override
  public void close() throws InterruptedException, IOException {
    stopProcess();
    deleteTree(dir);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
