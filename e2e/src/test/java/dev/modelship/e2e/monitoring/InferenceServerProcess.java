package dev.modelship.e2e.monitoring;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged inference server (inference-server/target/quarkus-app) as its own process on free
 * loopback ports, serving one model under a given name, as a pod would run it.
 */
final class InferenceServerProcess implements AutoCloseable {

  static final Path REPO = repository();
  static final Path DIGITS = REPO.resolve("examples/models/digits_mlp.onnx");
  /** A V2 request with 3 rows of examples/models/digits_mlp.onnx's input. */
  static final Path DIGITS_REQUEST = REPO.resolve("examples/models/digits_mlp.request.json");

  private final Process process;
  private final Path log;
  final String model;
  final int httpPort;

  private InferenceServerProcess(Process process, Path log, String model, int httpPort) {
    this.process = process;
    this.log = log;
    this.model = model;
    this.httpPort = httpPort;
  }

  /** Starts the server on {@code modelFile} named {@code model} and waits until it is ready. */
  static InferenceServerProcess start(String model, Path modelFile) throws IOException, InterruptedException {
    Path jar = REPO.resolve("inference-server/target/quarkus-app/quarkus-run.jar");
    if (!Files.exists(jar)) {
      throw new AssertionError(jar + " is missing: package the inference server first (./mvnw -pl inference-server package)");
    }
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) { // a free port may be taken before the server binds it
      int http = PrometheusServer.freePort();
      int grpc = PrometheusServer.freePort();
      Path log = Files.createTempFile("modelship-server-" + model + "-", ".log");
      Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx256m", "-XX:+UseSerialGC",
          "-Dquarkus.http.port=" + http, "-Dquarkus.http.host=127.0.0.1",
          "-Dquarkus.grpc.server.port=" + grpc, "-Dquarkus.grpc.server.host=127.0.0.1",
          "-Dmodelship.model.path=" + modelFile, "-Dmodelship.model.name=" + model,
          "-Dmodelship.shutdown.drain=0s", "-jar", jar.toString()))
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      InferenceServerProcess server = new InferenceServerProcess(p, log, model, http);
      try {
        server.awaitReady(Duration.ofSeconds(90));
        return server;
      } catch (IllegalStateException e) {
        last = e;
        server.close();
        if (!Files.readString(log).contains("in use")) {
          break;
        }
      }
    }
    throw new AssertionError(last.getMessage(), last);
  }

  private void awaitReady(Duration timeout) throws IOException, InterruptedException {
    HttpClient client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("inference server exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url() + "/v2/health/ready"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("inference server not ready within " + timeout + ":\n" + Files.readString(log));
  }

  String url() {
    return "http://127.0.0.1:" + httpPort;
  }

  /** host:port, as a Prometheus static target. */
  String target() {
    return "127.0.0.1:" + httpPort;
  }

  URI inferUri() {
    return URI.create(url() + "/v2/models/" + model + "/infer");
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // a temp file
    }
  }

  private static Path repository() {
    Path p = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("mvnw"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("cannot find the repository root (mvnw) above the working directory");
    }
    return p;
  }
}
