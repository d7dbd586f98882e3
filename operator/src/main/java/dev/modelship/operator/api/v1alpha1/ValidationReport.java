package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Accuracy of the optimized model against the original. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ValidationReport {

  @JsonPropertyDescription("Number of inputs compared.")
  public Integer samples;

  @JsonPropertyDescription("Largest absolute difference seen between the two models' outputs.")
  public Double maxAbsError;

  @JsonPropertyDescription("For a classifier: the share of inputs on which the optimized model picks the original's most probable class.")
  public Double top1Agreement;
}
