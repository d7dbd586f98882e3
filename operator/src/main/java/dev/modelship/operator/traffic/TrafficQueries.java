package dev.modelship.operator.traffic;

import dev.modelship.operator.traffic.PrometheusClient.Sample;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The few grouped queries a poll runs for every ModelDeployment at once, never one per resource,
 * and how their answers combine into each model's figures. Pure.
 *
 * <p>Series carry {@code namespace} (a ServiceMonitor adds it; a plain scrape config relabels
 * {@code __meta_kubernetes_namespace} to it) and {@code model}, the ModelDeployment's name.
 */
public final class TrafficQueries {

  /** A ModelDeployment as its series name it. */
  public record ModelKey(String namespace, String model) {}

  /**
   * One model's figures over the window, as Prometheus computed them; NaN where there is nothing
   * to compute (no requests: no latency, no error ratio).
   */
  public record Figures(double requestsPerSecond, double latencyP50Seconds, double latencyP99Seconds,
      double errorRatio) {

    static final Figures IDLE = new Figures(0, Double.NaN, Double.NaN, Double.NaN);

    /** Requests in a window of this length, the amount of evidence behind the figures. */
    public double requestsIn(Duration window) {
      return requestsPerSecond * window.toMillis() / 1000.0;
    }
  }

  /** What one poll learned: which models are scraped at all, and the figures of those with traffic series. */
  public record Answer(Set<ModelKey> scraped, Map<ModelKey, Figures> figures) {

    /** A scraped model without request series yet has served nothing: zero requests per second. */
    public Figures figuresOf(ModelKey key) {
      return figures.getOrDefault(key, Figures.IDLE);
    }
  }

  /** Outcomes the server counts against itself: it answered 5xx. */
  static final Set<String> ERROR_OUTCOMES = Set.of("server_error", "rejected");

  private TrafficQueries() {}

  /** The queries of one poll, in the order {@link #combine} reads their answers. */
  public static List<String> queries(Duration window) {
    String range = "[" + window.toSeconds() + "s]";
    return List.of(
        "sum by (namespace, model, outcome) (rate(modelship_inference_requests_total" + range + "))",
        quantile(0.5, range),
        quantile(0.99, range),
        // Presence, apart from traffic: a pod that is scraped but idle has this series and no rate.
        "count by (namespace, model) (modelship_model_info)");
  }

  private static String quantile(double q, String range) {
    return "histogram_quantile(" + q + ", sum by (namespace, model, le) "
        + "(rate(modelship_inference_request_duration_seconds_bucket" + range + ")))";
  }

  /** Each model's figures from the answers to {@link #queries}, in order. */
  public static Answer combine(List<List<Sample>> answers) {
    Map<ModelKey, double[]> requests = new HashMap<>(); // [all, errors]
    for (Sample s : answers.get(0)) {
      double[] r = requests.computeIfAbsent(key(s), k -> new double[2]);
      double rate = finiteOrZero(s.value());
      r[0] += rate;
      if (ERROR_OUTCOMES.contains(s.labels().get("outcome"))) {
        r[1] += rate;
      }
    }
    Map<ModelKey, Double> p50 = byKey(answers.get(1));
    Map<ModelKey, Double> p99 = byKey(answers.get(2));
    Set<ModelKey> scraped = new HashSet<>(byKey(answers.get(3)).keySet());
    Map<ModelKey, Figures> figures = new HashMap<>();
    requests.forEach((key, r) -> figures.put(key, new Figures(r[0],
        p50.getOrDefault(key, Double.NaN), p99.getOrDefault(key, Double.NaN),
        r[0] > 0 ? r[1] / r[0] : Double.NaN)));
    return new Answer(scraped, figures);
  }

  private static Map<ModelKey, Double> byKey(List<Sample> samples) {
    Map<ModelKey, Double> out = new HashMap<>();
    for (Sample s : samples) {
      out.put(key(s), s.value());
    }
    return out;
  }

  private static ModelKey key(Sample s) {
    return new ModelKey(s.labels().getOrDefault("namespace", ""), s.labels().getOrDefault("model", ""));
  }

  private static double finiteOrZero(double v) {
    return Double.isFinite(v) ? v : 0;
  }
}
