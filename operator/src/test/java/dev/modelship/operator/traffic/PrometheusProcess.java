package dev.modelship.operator.traffic;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus (Debian's package, or Prometheus built with Kubernetes service discovery, both
 * by scripts/monitoring-tools.sh) as a process of a test, on a fixed port and data folder so that a stop and a start are an outage and a recovery of
 * the same server.
 */
public final class PrometheusProcess implements AutoCloseable {

  static final Path TOOLS = Path.of(System.getProperty("user.home"), ".local/share/modelship");
  /** Debian's build: everything but Kubernetes service discovery. */
  static final Path DEBIAN = TOOLS.resolve("prometheus-2.42.0/prometheus");
  /** Built from Prometheus's Go module with Kubernetes service discovery, for scrape configs that use it. */
  static final Path WITH_KUBERNETES_SD = TOOLS.resolve("prometheus-v0.316.0-kubernetes-sd/prometheus");

  public final String host;
  public final int port;
  private final Path binary;
  private final Path dir;
  private Process process;

  private PrometheusProcess(Path binary, String host, int port, Path dir) {
    this.binary = binary;
    this.host = host;
    this.port = port;
    this.dir = dir;
  }

  /** Starts Prometheus on loopback with this configuration file content and waits until it is ready. */
  public static PrometheusProcess start(String config) throws IOException, InterruptedException {
    return start(DEBIAN, config, "127.0.0.1", freePort());
  }

  /**
   * A Prometheus with Kubernetes service discovery on an address of this host, such as the node's
   * bridge, where pods reach it.
   */
  public static PrometheusProcess startWithKubernetesDiscovery(String config, String host, int port)
      throws IOException, InterruptedException {
    return start(WITH_KUBERNETES_SD, config, host, port);
  }

  private static PrometheusProcess start(Path binary, String config, String host, int port)
      throws IOException, InterruptedException {
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException(binary + " is missing: run scripts/setup.sh (scripts/monitoring-tools.sh)");
    }
    Path dir = Files.createTempDirectory("modelship-prometheus-");
    Files.writeString(dir.resolve("prometheus.yml"), config);
    PrometheusProcess p = new PrometheusProcess(binary, host, port, dir);
    p.start();
    return p;
  }

  public String url() {
    return "http://" + host + ":" + port;
  }

  /** Starts it again after {@link #stop}, on the same port and data. */
  public void start() throws IOException, InterruptedException {
    process = new ProcessBuilder(List.of(binary.toString(),
        "--config.file=" + dir.resolve("prometheus.yml"),
        "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=" + host + ":" + port))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("prometheus.log").toFile()))
        .start();
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("prometheus exited: " + Files.readString(dir.resolve("prometheus.log")));
      }
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(url() + "/-/ready")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("prometheus not ready in 60 s: " + Files.readString(dir.resolve("prometheus.log")));
  }

  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  @Override
  public void close() throws Exception {
    stop();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
