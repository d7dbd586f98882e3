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
  @JsonPropertyDescription("Number of inputs run through both the original and the optimized model: rows held out from spec.optimization.data when it is set (at most a fifth of them; the distill pass does not learn from them), else inputs generated from the model's signature.")
  public Integer samples;

  @Min(0)
  @JsonPropertyDescription("Largest absolute difference allowed between the original's and the optimized model's outputs. When exceeded the build fails (ArtifactReady=False, reason ValidationFailed) and the previous artifact keeps serving. When absent the difference is reported but not enforced.")
  public Double maxAbsError;

  @Min(0)
  @Max(1)
  @JsonPropertyDescription("Smallest share (0 to 1) of inputs on which a classifier's optimized model must pick the original's most probable class. When missed the build fails (ArtifactReady=False, reason ValidationFailed) and the previous artifact keeps serving. The gate to set for the distill pass, e.g. 0.99. When absent the agreement is reported but not enforced.")
  public Double minTop1Agreement;
}
