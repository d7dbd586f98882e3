package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** Service level objectives. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Slo {

  @Pattern("^[0-9]{1,9}(us|ms|s)$")
  @JsonPropertyDescription("Objective for the 99th percentile of request latency inside the server, as an integer with unit us, ms or s (for example 50ms).")
  public String latencyP99;

  @Min(0)
  @Max(1)
  @JsonPropertyDescription("Objective for the share of requests that end in a server error, between 0 and 1.")
  public Double errorRatio;
}
