package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * Traffic figures over the operator's window (2 minutes by default), as Prometheus computed them,
 * rounded to two significant digits. A figure changes only when it moves by more than 5 % (the
 * request rate), 25 % (the error ratio) or 50 % (latencies: a tail quantile wobbles by ±25 % at a
 * steady load), and metrics alone are written at most once a minute, so steady traffic writes
 * nothing.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MetricsStatus {

  @JsonPropertyDescription("Inference requests per second.")
  public Double requestsPerSecond;

  @JsonPropertyDescription("Median request latency inside the server, in seconds; absent without requests.")
  public Double latencyP50Seconds;

  @JsonPropertyDescription("99th percentile of request latency inside the server, in seconds; absent without requests.")
  public Double latencyP99Seconds;

  @JsonPropertyDescription("Share of requests the server answered with an error of its own (5xx: a server error, or rejected when its queue was full).")
  public Double errorRatio;

  @JsonPropertyDescription("When Prometheus first gave these figures (RFC 3339). They stay while they hold; condition MetricsAvailable says whether reading goes on.")
  public String observedAt;

  @Override
  public boolean equals(Object o) {
    return o instanceof MetricsStatus m && Objects.equals(requestsPerSecond, m.requestsPerSecond)
        && Objects.equals(latencyP50Seconds, m.latencyP50Seconds) && Objects.equals(latencyP99Seconds, m.latencyP99Seconds)
        && Objects.equals(errorRatio, m.errorRatio) && Objects.equals(observedAt, m.observedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(requestsPerSecond, latencyP50Seconds, latencyP99Seconds, errorRatio, observedAt);
  }
}
