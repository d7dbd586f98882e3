package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** The pipeline that turns the model into the served artifact. */
@JsonInclude(JsonInclude.Include.NON_NULL)
// passes has at most 16 items, which bounds the rule's cost.
@ValidationRule(
    value = "has(self.data) || !has(self.passes) || !self.passes.exists(p, p.name == '"
        + ModelshipConstants.PASS_DISTILL + "')",
    message = "the distill pass needs spec.optimization.data: the rows the student learns from",
    fieldPath = ".data",
    reason = "FieldValueRequired")
public class Optimization {

  @Size(max = 16)
  @JsonPropertyDescription("Passes run in this order after conversion to ONNX, like an Olive pipeline. Empty: the converted model is served as it is. Changing the list rebuilds the artifact and rolls the pods to it.")
  public List<OptimizationPass> passes;

  @JsonPropertyDescription("How the optimized model is checked against the original before it is served.")
  public Validation validation;

  /** Input only to the distill pass, which cannot run without it (the rule above). */
  @JsonPropertyDescription("The transfer set of the distill pass: input rows of the model, which the optimizer runs through the model to train the smaller student on its outputs. Required when passes include distill. Changing it rebuilds the artifact.")
  public TransferData data;
}
