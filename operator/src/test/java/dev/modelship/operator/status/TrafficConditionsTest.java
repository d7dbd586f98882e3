package dev.modelship.operator.status;

import static dev.modelship.operator.status.StatusAggregatorTest.DIGEST;
import static dev.modelship.operator.status.StatusAggregatorTest.NOW;
import static dev.modelship.operator.status.StatusAggregatorTest.built;
import static dev.modelship.operator.status.StatusAggregatorTest.deployment;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.TestResources;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentStatus;
import dev.modelship.operator.traffic.TrafficQueries.Figures;
import dev.modelship.operator.traffic.TrafficReading;
import dev.modelship.operator.traffic.TrafficReading.Availability;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MetricsAvailable, SLOMet and AutoscalerReady, and the figures in status. */
class TrafficConditionsTest {

  static final OperatorConfig.Prometheus PROMETHEUS = OperatorConfig.fromEnvironment(
      Map.of("MODELSHIP_PROMETHEUS_URL", "http://prometheus.monitoring:9090")).prometheus();

  static ModelDeploymentStatus aggregate(ModelDeployment md, int available, TrafficView traffic) {
    return StatusAggregator.aggregate(md, built(DIGEST), deployment(md, DIGEST, 1, 1, available), List.of(), traffic, NOW);
  }

  static TrafficReading read(double rps) {
    return TrafficReading.next(null, new TrafficReading.Scraped(new Figures(rps, 0.002, 0.012, 0.0), NOW),
        null, PROMETHEUS.window());
  }

  static Condition condition(ModelDeploymentStatus s, String type) {
    return Conditions.find(s.conditions, type);
  }

  @Test
  void withoutPrometheusThereIsNoMetricsConditionAndObjectivesSayWhy() {
    ModelDeployment md = TestResources.fromYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: m, namespace: ml, generation: 1}
        spec:
          model: {uri: "https://x/m.onnx"}
          slo: {latencyP99: 50ms}
        """);
    ModelDeploymentStatus s = aggregate(md, 1, TrafficView.NONE);
    assertThat(condition(s, "MetricsAvailable")).isNull();
    assertThat(condition(s, "SLOMet").getStatus()).isEqualTo("Unknown");
    assertThat(condition(s, "SLOMet").getReason()).isEqualTo("PrometheusNotConfigured");
    assertThat(s.metrics).isNull();
  }

  @Test
  void figuresReadAreShownAndMetricsAvailableSaysFromWhere() {
    ModelDeployment md = TestResources.minimal();
    ModelDeploymentStatus s = aggregate(md, 1, new TrafficView(PROMETHEUS, read(41.7), false));
    assertThat(s.metrics.requestsPerSecond).isEqualTo(42.0);
    assertThat(condition(s, "MetricsAvailable").getStatus()).isEqualTo("True");
    assertThat(condition(s, "MetricsAvailable").getMessage())
        .isEqualTo("figures over the last 120s, read from Prometheus at http://prometheus.monitoring:9090 every 30s");
    assertThat(condition(s, "Ready").getStatus()).isEqualTo("True");
  }

  @Test
  void withoutServingPodsMetricsAreUnknown() {
    ModelDeploymentStatus s = aggregate(TestResources.minimal(), 0, new TrafficView(PROMETHEUS, read(0), false));
    assertThat(condition(s, "MetricsAvailable").getStatus()).isEqualTo("Unknown");
    assertThat(condition(s, "MetricsAvailable").getReason()).isEqualTo("NoServingPods");
  }

  @Test
  void anOutageKeepsTheLastFiguresAndLeavesReadyAlone() {
    ModelDeployment md = TestResources.minimal();
    ModelDeploymentStatus before = aggregate(md, 1, new TrafficView(PROMETHEUS, read(41.7), false));
    md.setStatus(before);
    TrafficReading down = new TrafficReading(Availability.UNREACHABLE,
        "no answer from Prometheus at http://prometheus.monitoring:9090: ConnectException", read(41.7).figures(), null);
    ModelDeploymentStatus s = aggregate(md, 1, new TrafficView(PROMETHEUS, down, false));
    assertThat(s.metrics).isEqualTo(before.metrics);
    assertThat(condition(s, "MetricsAvailable").getStatus()).isEqualTo("False");
    assertThat(condition(s, "MetricsAvailable").getReason()).isEqualTo("PrometheusUnreachable");
    assertThat(condition(s, "MetricsAvailable").getMessage()).endsWith("the figures shown are from " + NOW);
    assertThat(condition(s, "Ready")).isEqualTo(condition(before, "Ready"));
  }

  @Test
  void withoutPrometheusAnyMoreTheFiguresAndTheirConditionGo() {
    ModelDeployment md = TestResources.minimal();
    md.setStatus(aggregate(md, 1, new TrafficView(PROMETHEUS, read(41.7), false)));
    ModelDeploymentStatus s = aggregate(md, 1, TrafficView.NONE);
    assertThat(s.metrics).isNull();
    assertThat(condition(s, "MetricsAvailable")).isNull();
  }

  @Test
  void onlyAChangeOfFiguresIsAMetricsOnlyDifference() {
    ModelDeployment md = TestResources.minimal();
    ModelDeploymentStatus a = aggregate(md, 1, new TrafficView(PROMETHEUS, read(40), false));
    md.setStatus(a);
    ModelDeploymentStatus b = aggregate(md, 1, new TrafficView(PROMETHEUS, read(80), false));
    assertThat(StatusAggregator.onlyMetricsDiffer(a, b)).isTrue();
    ModelDeploymentStatus c = aggregate(md, 0, new TrafficView(PROMETHEUS, read(80), false));
    assertThat(StatusAggregator.onlyMetricsDiffer(a, c)).as("readyReplicas changed too").isFalse();
    assertThat(StatusAggregator.onlyMetricsDiffer(a, a)).as("no difference at all").isFalse();
  }

  @Test
  void trafficScalingSaysWhenKedaOrPrometheusIsMissing() {
    ModelDeployment md = TestResources.fromYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: m, namespace: ml, generation: 1}
        spec:
          model: {uri: "https://x/m.onnx"}
          autoscaling: {maxReplicas: 8, metric: rps, target: 200}
        """);
    Condition noKeda = condition(aggregate(md, 1, new TrafficView(PROMETHEUS, null, false)), "AutoscalerReady");
    assertThat(noKeda.getStatus()).isEqualTo("False");
    assertThat(noKeda.getReason()).isEqualTo("KedaNotInstalled");
    Condition noPrometheus = condition(aggregate(md, 1, new TrafficView(null, null, true)), "AutoscalerReady");
    assertThat(noPrometheus.getReason()).isEqualTo("PrometheusNotConfigured");
    Condition ok = condition(aggregate(md, 1, new TrafficView(PROMETHEUS, null, true)), "AutoscalerReady");
    assertThat(ok.getStatus()).isEqualTo("True");
    assertThat(ok.getMessage()).isEqualTo("KEDA ScaledObject m keeps requests per second per pod near 200, between 1 and 8 pods");

    md.getSpec().autoscaling.metric = dev.modelship.operator.api.v1alpha1.ScalingMetric.EXTERNAL;
    Condition external = condition(aggregate(md, 1, new TrafficView(null, null, false)), "AutoscalerReady");
    assertThat(external.getStatus()).isEqualTo("True");
    assertThat(external.getReason()).isEqualTo("External");

    md.setStatus(aggregate(md, 1, new TrafficView(PROMETHEUS, null, true)));
    md.getSpec().autoscaling = null;
    assertThat(condition(aggregate(md, 1, new TrafficView(PROMETHEUS, null, true)), "AutoscalerReady"))
        .as("removed with spec.autoscaling").isNull();
  }
}
