package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

/** One optimizer pass and its parameters. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class OptimizationPass {

  @Required
  @JsonPropertyDescription("The pass: graph-optimize (ONNX Runtime offline graph optimization), quantize-dynamic (int8 weights), float16, prune (magnitude pruning), ort-format (save in ONNX Runtime's ORT format), distill (a smaller student trained on the model's own outputs over spec.optimization.data; params family=trees|linear, trees, depth, rows).")
  public PassName name;

  // The optimizer takes passes as name:k=v,k=v on its command line. Keys are checked here; values
  // (whose length a map cannot bound, which CEL's cost budget needs) are checked by the operator,
  // which reports a bad one as ArtifactReady=False, reason InvalidPassParameter.
  @Size(max = 16)
  @ValidationRule(
      value = "self.all(k, k.size() <= 63 && k.matches('^[A-Za-z][A-Za-z0-9_.-]*$'))",
      message = "pass params: keys must match ^[A-Za-z][A-Za-z0-9_.-]*$ (at most 63 characters)",
      reason = "FieldValueInvalid")
  @JsonPropertyDescription("Parameters of the pass, as strings (for example perChannel: \"true\"); values must not contain ',' or '='. The optimizer rejects unknown parameters before doing any work.")
  public Map<String, String> params;
}
