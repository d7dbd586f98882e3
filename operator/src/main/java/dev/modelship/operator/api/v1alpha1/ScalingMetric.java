package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Metrics an autoscaler can follow. */
public enum ScalingMetric {
  /** Average CPU utilization of the pods, by a HorizontalPodAutoscaler. */
  @JsonProperty("cpu")
  CPU,
  /** Inference requests per second per pod, read from Prometheus by a KEDA ScaledObject. */
  @JsonProperty("rps")
  RPS,
  /** Requests in flight per pod, read from Prometheus by a KEDA ScaledObject. */
  @JsonProperty("concurrency")
  CONCURRENCY,
  /**
   * An autoscaler the user manages (an HPA on prometheus-adapter's metric, say): the operator
   * creates none and leaves the Deployment's replicas to it.
   */
  @JsonProperty("external")
  EXTERNAL
}
