package dev.modelship.operator.traffic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.operator.OperatorConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Instant queries against the Prometheus HTTP API ({@code POST /api/v1/query}), with the JDK's
 * HttpClient and Jackson: no maintained query client exists on Maven Central. Never puts the
 * bearer token, or user information of the URL, into a message.
 */
public final class PrometheusClient {

  /** One element of an instant vector: its labels and its value (NaN and ±Inf included). */
  public record Sample(Map<String, String> labels, double value) {}

  /** Why a query has no answer. */
  public enum Failure {
    /** No HTTP answer: connection refused, reset, timed out, TLS failed. */
    UNREACHABLE,
    /** An HTTP answer that is not a result: 4xx, 5xx, not the query API, not an instant vector. */
    QUERY_FAILED
  }

  /** A query without an answer, with a message a person can act on. */
  public static final class QueryException extends Exception {
    private final Failure failure;

    QueryException(Failure failure, String message) {
      super(message);
      this.failure = failure;
    }

    public Failure failure() {
      return failure;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final OperatorConfig.Prometheus settings;
  private final URI queryUri;
  private final HttpClient http;

  public PrometheusClient(OperatorConfig.Prometheus settings) {
    this.settings = settings;
    String base = settings.url().toString().replaceAll("/+$", "");
    this.queryUri = URI.create(base + "/api/v1/query");
    HttpClient.Builder builder = HttpClient.newBuilder()
        .connectTimeout(settings.timeout())
        // Prometheus and the proxies in front of it speak HTTP/1.1; no upgrade round trip.
        .version(HttpClient.Version.HTTP_1_1);
    if (settings.caFile() != null) {
      builder.sslContext(trusting(settings));
    }
    this.http = builder.build();
  }

  /**
   * Runs the queries concurrently and returns their answers in the same order.
   *
   * @throws QueryException for the first query that has no answer
   */
  public List<List<Sample>> query(List<String> promql) throws QueryException {
    String token = bearerToken();
    List<CompletableFuture<List<Sample>>> pending = new ArrayList<>();
    for (String q : promql) {
      pending.add(send(q, token));
    }
    List<List<Sample>> answers = new ArrayList<>();
    for (CompletableFuture<List<Sample>> f : pending) {
      try {
        answers.add(f.join());
      } catch (CompletionException e) {
        pending.forEach(p -> p.cancel(true));
        if (e.getCause() instanceof QueryException q) {
          throw q;
        }
        throw new QueryException(Failure.UNREACHABLE, "no answer from Prometheus at " + settings.displayUrl() + ": "
            + describe(e.getCause()));
      }
    }
    return answers;
  }

  private CompletableFuture<List<Sample>> send(String promql, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(queryUri)
        .timeout(settings.timeout())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(response -> {
          try {
            return parse(response.statusCode(), response.body(), settings.displayUrl());
          } catch (QueryException e) {
            throw new CompletionException(e);
          }
        });
  }

  /** The samples of an instant-vector answer. Pure, so the answers of a real Prometheus can be fed to it. */
  static List<Sample> parse(int status, byte[] body, String where) throws QueryException {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      root = null;
    }
    if (root == null || !root.isObject() || !root.has("status")) {
      throw new QueryException(Failure.QUERY_FAILED, "HTTP " + status + " from " + where
          + "/api/v1/query is not an answer of the Prometheus query API; check MODELSHIP_PROMETHEUS_URL");
    }
    if (status != 200 || !"success".equals(root.path("status").asText())) {
      throw new QueryException(Failure.QUERY_FAILED, "Prometheus at " + where + " answered HTTP " + status + " "
          + root.path("errorType").asText("") + ": " + root.path("error").asText("(no message)"));
    }
    JsonNode data = root.path("data");
    if (!"vector".equals(data.path("resultType").asText())) {
      throw new QueryException(Failure.QUERY_FAILED, "Prometheus at " + where + " answered a "
          + data.path("resultType").asText("?") + " where an instant vector was expected");
    }
    List<Sample> samples = new ArrayList<>();
    for (JsonNode element : data.path("result")) {
      Map<String, String> labels = new LinkedHashMap<>();
      element.path("metric").fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
      samples.add(new Sample(labels, value(element.path("value").path(1).asText())));
    }
    return samples;
  }

  /** Prometheus writes values as strings, with NaN, +Inf and -Inf (Java's parser knows only NaN of these). */
  static double value(String s) {
    return switch (s) {
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> {
        try {
          yield Double.parseDouble(s);
        } catch (NumberFormatException e) {
          yield Double.NaN;
        }
      }
    };
  }

  private String bearerToken() throws QueryException {
    if (settings.bearerTokenFile() == null) {
      return null;
    }
    try {
      return Files.readString(settings.bearerTokenFile()).trim();
    } catch (IOException e) {
      throw new QueryException(Failure.QUERY_FAILED, "cannot read the bearer token file "
          + settings.bearerTokenFile() + ": " + e.getClass().getSimpleName());
    }
  }

  private static String describe(Throwable t) {
    String name = t.getClass().getSimpleName();
    return t.getMessage() == null || t.getMessage().isBlank() ? name : name + " (" + t.getMessage() + ")";
  }

  private static SSLContext trusting(OperatorConfig.Prometheus settings) {
    try (InputStream in = Files.newInputStream(settings.caFile())) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, (X509Certificate) cert);
      }
      if (i == 0) {
        throw new IllegalArgumentException("MODELSHIP_PROMETHEUS_CA_FILE " + settings.caFile()
            + " holds no PEM certificate");
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("MODELSHIP_PROMETHEUS_CA_FILE " + settings.caFile()
          + " cannot be read as PEM certificates: " + e.getMessage());
    }
  }
}
