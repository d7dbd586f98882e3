package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** The server's batching queue. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Batching {

  @Default("32")
  @Min(1)
  @Max(4096)
  @JsonPropertyDescription("Largest number of requests run as one batch. 1 turns batching off.")
  public Integer maxBatchSize;

  @Default("0ms")
  @Pattern("^[0-9]{1,9}(us|ms|s)$")
  @JsonPropertyDescription("Longest time a request waits for a batch to fill, as an integer with unit us, ms or s (for example 2ms). The default, 0ms, batches only what is already queued: under load that fills batches, at low load it adds no latency.")
  public String maxQueueDelay;
}
