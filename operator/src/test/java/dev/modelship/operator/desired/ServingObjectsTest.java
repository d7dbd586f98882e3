package dev.modelship.operator.desired;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.TestResources;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServingObjectsTest {

  private static final Map<String, String> SELECTOR = Map.of(
      "app.kubernetes.io/name", "modelship",
      "app.kubernetes.io/instance", "fraud-xgb",
      "app.kubernetes.io/component", "inference-server",
      "modelship.dev/model-deployment", "fraud-xgb");

  @Test
  void serviceHasNamedPortsAndSelectsTheServingPods() {
    Service s = InferenceServiceBuilder.build(TestResources.fraudXgb());
    assertThat(s.getMetadata().getName()).isEqualTo("fraud-xgb");
    assertThat(s.getSpec().getSelector()).isEqualTo(SELECTOR);
    assertThat(s.getSpec().getPorts())
        .extracting(p -> p.getName() + ":" + p.getPort() + "->" + p.getTargetPort().getStrVal())
        .containsExactly("http:8080->http", "grpc:8081->grpc", "metrics:9090->http");
    assertThat(InferenceServiceBuilder.url(TestResources.fraudXgb()))
        .isEqualTo("http://fraud-xgb.ml.svc:8080/v2/models/fraud-xgb");
  }

  @Test
  void autoscalerTargetsTheDeploymentOnCpu() {
    HorizontalPodAutoscaler hpa = AutoscalerBuilder.build(TestResources.fraudXgb());
    assertThat(hpa.getApiVersion()).isEqualTo("autoscaling/v2");
    assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("fraud-xgb");
    assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(10);
    var metric = hpa.getSpec().getMetrics().get(0);
    assertThat(metric.getResource().getName()).isEqualTo("cpu");
    assertThat(metric.getResource().getTarget().getType()).isEqualTo("Utilization");
    assertThat(metric.getResource().getTarget().getAverageUtilization()).isEqualTo(70);
  }

  @Test
  void disruptionBudgetOnlyWithMoreThanOnePod() {
    ModelDeployment md = TestResources.fraudXgb(); // autoscaling.minReplicas 2
    assertThat(DisruptionBudgetBuilder.wanted(md.getSpec())).isTrue();
    md.getSpec().autoscaling.minReplicas = 1;
    assertThat(DisruptionBudgetBuilder.wanted(md.getSpec())).isFalse();
    md.getSpec().autoscaling = null;
    md.getSpec().replicas = 1;
    assertThat(DisruptionBudgetBuilder.wanted(md.getSpec())).isFalse();
    md.getSpec().replicas = 3;
    assertThat(DisruptionBudgetBuilder.wanted(md.getSpec())).isTrue();

    PodDisruptionBudget pdb = DisruptionBudgetBuilder.build(md);
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(SELECTOR);
  }

  @Test
  void serviceMonitorScrapesTheMetricsPortOfTheService() {
    var sm = ServiceMonitorBuilder.build(TestResources.fraudXgb());
    assertThat(sm.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(sm.getKind()).isEqualTo("ServiceMonitor");
    assertThat(sm.getSpec().getSelector().getMatchLabels()).isEqualTo(SELECTOR);
    assertThat(sm.getSpec().getEndpoints()).singleElement().satisfies(e -> {
      assertThat(e.getPort()).isEqualTo("metrics");
      assertThat(e.getPath()).isEqualTo("/metrics");
    });
  }
}
