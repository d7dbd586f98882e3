package dev.modelship.operator.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.traffic.PrometheusClient.Sample;
import dev.modelship.operator.traffic.TrafficQueries.ModelKey;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficQueriesTest {

  @Test
  void onePollIsFourGroupedQueriesWhateverTheNumberOfModels() {
    List<String> q = TrafficQueries.queries(Duration.ofMinutes(2));
    assertThat(q).hasSize(4);
    assertThat(q).allSatisfy(s -> assertThat(s).contains("by (namespace, model"));
    assertThat(q.get(0)).contains("[120s]");
  }

  @Test
  void theErrorRatioCountsServerErrorsAndRejectionsAgainstAllRequests() {
    ModelKey fraud = new ModelKey("ml", "fraud");
    var answer = TrafficQueries.combine(List.of(
        List.of(rate("ml", "fraud", "success", 90), rate("ml", "fraud", "client_error", 4),
            rate("ml", "fraud", "server_error", 4), rate("ml", "fraud", "rejected", 2)),
        List.of(value("ml", "fraud", 0.002)),
        List.of(value("ml", "fraud", 0.015)),
        List.of(value("ml", "fraud", 2), value("ml", "idle", 1))));
    var f = answer.figuresOf(fraud);
    assertThat(f.requestsPerSecond()).isEqualTo(100.0);
    assertThat(f.errorRatio()).isEqualTo(0.06);
    assertThat(f.latencyP50Seconds()).isEqualTo(0.002);
    assertThat(f.latencyP99Seconds()).isEqualTo(0.015);
    // Scraped but never asked: no request series, a rate of zero.
    assertThat(answer.scraped()).containsExactlyInAnyOrder(fraud, new ModelKey("ml", "idle"));
    assertThat(answer.figuresOf(new ModelKey("ml", "idle")).requestsPerSecond()).isZero();
  }

  @Test
  void prometheusSpecialValuesAreRead() {
    assertThat(PrometheusClient.value("NaN")).isNaN();
    assertThat(PrometheusClient.value("+Inf")).isInfinite().isPositive();
    assertThat(PrometheusClient.value("-Inf")).isInfinite().isNegative();
    assertThat(PrometheusClient.value("1.5e-3")).isEqualTo(0.0015);
  }

  static Sample rate(String ns, String model, String outcome, double v) {
    return new Sample(Map.of("namespace", ns, "model", model, "outcome", outcome), v);
  }

  static Sample value(String ns, String model, double v) {
    return new Sample(Map.of("namespace", ns, "model", model), v);
  }
}
