package dev.modelship.operator.traffic;

import dev.modelship.operator.contract.OptimizerRuns;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged inference server serving the digits model as {@code digits} on loopback, as a
 * process of its own: the real producer of the series Prometheus scrapes in these tests.
 */
public final class DigitsServer implements AutoCloseable {

  public final int port;
  private final Process process;

  private DigitsServer(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  /** Starts it and waits until it answers ready. */
  public static DigitsServer start() throws IOException, InterruptedException {
    Path repo = OptimizerRuns.repository();
    int port = PrometheusProcess.freePort();
    Path log = Files.createTempFile("modelship-server-", ".log");
    Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
        "-Dquarkus.grpc.server.port=" + PrometheusProcess.freePort(), "-Dquarkus.grpc.server.host=127.0.0.1",
        "-Dmodelship.model.path=" + repo.resolve("examples/models/digits_mlp.onnx"),
        "-Dmodelship.model.name=digits", "-Dmodelship.shutdown.drain=0s",
        "-jar", repo.resolve("inference-server/target/quarkus-app/quarkus-run.jar").toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    DigitsServer server = new DigitsServer(port, process);
    HttpClient http = HttpClient.newHttpClient();
    for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < deadline; ) {
      if (!process.isAlive()) {
        throw new IllegalStateException("server exited: " + Files.readString(log));
      }
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(server.url() + "/v2/health/ready")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return server;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    server.close();
    throw new IllegalStateException("server not ready in 60 s: " + Files.readString(log));
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor(30, TimeUnit.SECONDS);
  }
}
