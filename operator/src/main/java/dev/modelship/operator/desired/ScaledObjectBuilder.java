package dev.modelship.operator.desired;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.Autoscaling;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ScalingMetric;
import dev.modelship.operator.keda.ScaledObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A KEDA ScaledObject that scales the serving Deployment on a Prometheus query of the model's own
 * traffic: requests per second or requests in flight, with the target per pod (KEDA's
 * {@code AverageValue}: the query's total divided by the pods).
 */
public final class ScaledObjectBuilder {

  /** Range of the rate the scaler reads: short, so scaling follows traffic within a minute. */
  static final String RATE_RANGE = "1m";
  /** Failed queries in a row before KEDA falls back to holding the current replicas. */
  static final int FALLBACK_FAILURES = 3;

  private ScaledObjectBuilder() {}

  public static ScaledObject build(ModelDeployment md, OperatorConfig.Prometheus prometheus) {
    Autoscaling a = md.getSpec().autoscaling;
    ScaledObject so = new ScaledObject();
    so.setMetadata(ModelLabels.servingMetadata(md));
    ScaledObject.Spec spec = new ScaledObject.Spec();
    spec.scaleTargetRef = new ScaledObject.TargetRef("apps/v1", "Deployment", md.getMetadata().getName());
    spec.minReplicaCount = a.minReplicas == null ? 1 : a.minReplicas;
    spec.maxReplicaCount = a.maxReplicas;
    spec.pollingInterval = 15;
    // While Prometheus does not answer, hold the current replicas: neither shrink nor grow blind.
    spec.fallback = new ScaledObject.Fallback(FALLBACK_FAILURES, spec.minReplicaCount, "currentReplicas");
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("serverAddress", prometheus.url().toString().replaceAll("/+$", ""));
    metadata.put("query", query(md));
    metadata.put("threshold", String.valueOf(a.target));
    // KEDA's default counts an empty answer as 0 and scales down blind; an empty answer is an error.
    metadata.put("ignoreNullValues", "false");
    spec.triggers = List.of(new ScaledObject.Trigger("prometheus", metricName(a.metric), "AverageValue", metadata));
    so.setSpec(spec);
    return so;
  }

  /** The model's total over its pods; KEDA divides by the pods for the per-pod target. */
  public static String query(ModelDeployment md) {
    String selector = "{namespace=\"" + md.getMetadata().getNamespace() + "\",model=\""
        + md.getMetadata().getName() + "\"}";
    return md.getSpec().autoscaling.metric == ScalingMetric.CONCURRENCY
        ? "sum(avg_over_time(modelship_inference_in_flight_requests" + selector + "[" + RATE_RANGE + "]))"
        : "sum(rate(modelship_inference_requests_total" + selector + "[" + RATE_RANGE + "]))";
  }

  private static String metricName(ScalingMetric metric) {
    return metric == ScalingMetric.CONCURRENCY ? "modelship-concurrency" : "modelship-rps";
  }
}
