package dev.modelship.operator.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A load of a fixed number of V2 infer requests per second, in a process of its own so that its
 * CPU is not counted as the operator's. Args: URL, request body file, requests per second.
 */
public final class PacedLoad {

  private PacedLoad() {}

  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    byte[] body = Files.readAllBytes(Path.of(args[1]));
    int perSecond = Integer.parseInt(args[2]);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request = HttpRequest.newBuilder(url).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    var timer = Executors.newSingleThreadScheduledExecutor();
    timer.scheduleAtFixedRate(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding()),
        0, 1_000_000 / perSecond, TimeUnit.MICROSECONDS);
    Thread.currentThread().join();
  }
}
