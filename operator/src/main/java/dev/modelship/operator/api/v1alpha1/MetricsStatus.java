package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Traffic figures over the last few minutes, as Prometheus computed them. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MetricsStatus {

  @JsonPropertyDescription("Inference requests per second.")
  public Double requestsPerSecond;

  @JsonPropertyDescription("Median request latency in seconds.")
  public Double latencyP50Seconds;

  @JsonPropertyDescription("99th percentile request latency in seconds.")
  public Double latencyP99Seconds;

  @JsonPropertyDescription("Share of requests that ended in a server error.")
  public Double errorRatio;

  @JsonPropertyDescription("When these figures were read (RFC 3339).")
  public String observedAt;
}
