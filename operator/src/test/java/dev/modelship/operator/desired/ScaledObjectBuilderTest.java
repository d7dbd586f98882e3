package dev.modelship.operator.desired;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.TestResources;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.keda.ScaledObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScaledObjectBuilderTest {

  static final OperatorConfig.Prometheus PROMETHEUS = OperatorConfig.fromEnvironment(
      Map.of("MODELSHIP_PROMETHEUS_URL", "http://prometheus.monitoring:9090/")).prometheus();

  static ModelDeployment scaledOn(String metric) {
    return TestResources.fromYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: fraud, namespace: ml}
        spec:
          model: {uri: "https://x/m.onnx"}
          autoscaling: {minReplicas: 2, maxReplicas: 10, metric: %s, target: 150}
        """.formatted(metric));
  }

  @Test
  void requestsPerSecondArePerPodOnTheModelsOwnSeries() {
    ScaledObject so = ScaledObjectBuilder.build(scaledOn("rps"), PROMETHEUS);
    assertThat(so.getMetadata().getName()).isEqualTo("fraud");
    assertThat(so.getMetadata().getLabels()).containsEntry("modelship.dev/model-deployment", "fraud");
    assertThat(so.getSpec().scaleTargetRef).isEqualTo(new ScaledObject.TargetRef("apps/v1", "Deployment", "fraud"));
    assertThat(so.getSpec().minReplicaCount).isEqualTo(2);
    assertThat(so.getSpec().maxReplicaCount).isEqualTo(10);
    assertThat(so.getSpec().fallback).isEqualTo(new ScaledObject.Fallback(3, 2, "currentReplicas"));
    ScaledObject.Trigger t = so.getSpec().triggers.get(0);
    assertThat(t.type()).isEqualTo("prometheus");
    assertThat(t.metricType()).isEqualTo("AverageValue");
    assertThat(t.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "serverAddress", "http://prometheus.monitoring:9090",
        "query", "sum(rate(modelship_inference_requests_total{namespace=\"ml\",model=\"fraud\"}[1m]))",
        "threshold", "150",
        "ignoreNullValues", "false"));
  }

  @Test
  void concurrencyIsTheAverageOfRequestsInFlight() {
    ScaledObject so = ScaledObjectBuilder.build(scaledOn("concurrency"), PROMETHEUS);
    assertThat(so.getSpec().triggers.get(0).metadata().get("query")).isEqualTo(
        "sum(avg_over_time(modelship_inference_in_flight_requests{namespace=\"ml\",model=\"fraud\"}[1m]))");
  }
}
