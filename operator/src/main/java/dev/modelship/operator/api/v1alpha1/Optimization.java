package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** The pipeline that turns the model into the served artifact. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Optimization {

  @Size(max = 16)
  @JsonPropertyDescription("Passes run in this order after conversion to ONNX, like an Olive pipeline. Empty: the converted model is served as it is. Changing the list rebuilds the artifact and rolls the pods to it.")
  public List<OptimizationPass> passes;

  @JsonPropertyDescription("How the optimized model is checked against the original before it is served.")
  public Validation validation;
}
