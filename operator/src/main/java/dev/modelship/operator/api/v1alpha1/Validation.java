package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** The accuracy check of the optimized model against the original. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Validation {

  @Default("256")
  @Min(1)
  @Max(100000)
  @JsonPropertyDescription("Number of inputs, generated from the model's signature, run through both the original and the optimized model.")
  public Integer samples;

  @Min(0)
  @JsonPropertyDescription("Largest absolute difference allowed between the original's and the optimized model's outputs. When exceeded the build fails (ArtifactReady=False, reason ValidationFailed) and the previous artifact keeps serving. When absent the difference is reported but not enforced.")
  public Double maxAbsError;
}
