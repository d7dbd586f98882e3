package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Metrics an autoscaler can follow. */
public enum ScalingMetric {
  @JsonProperty("cpu")
  CPU
}
