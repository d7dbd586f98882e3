package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * Service level objectives, checked against the figures read from Prometheus: condition SLOMet
 * turns False after two polls in a row miss an objective, and stays Unknown without data or with
 * fewer than 100 requests in the window (no data, no verdict).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Slo {

  @Pattern("^[0-9]{1,9}(us|ms|s)$")
  @JsonPropertyDescription("Objective for the 99th percentile of request latency inside the server, as an integer with unit us, ms or s (for example 50ms).")
  public String latencyP99;

  @Min(0)
  @Max(1)
  @JsonPropertyDescription("Objective for the share of requests the server answers with an error of its own (5xx), between 0 and 1.")
  public Double errorRatio;
}
