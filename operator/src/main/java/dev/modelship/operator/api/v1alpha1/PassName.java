package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The passes the optimizer knows; an enum so the API server rejects any other name. */
public enum PassName {
  @JsonProperty(ModelshipConstants.PASS_GRAPH_OPTIMIZE)
  GRAPH_OPTIMIZE(ModelshipConstants.PASS_GRAPH_OPTIMIZE),
  @JsonProperty(ModelshipConstants.PASS_QUANTIZE_DYNAMIC)
  QUANTIZE_DYNAMIC(ModelshipConstants.PASS_QUANTIZE_DYNAMIC),
  @JsonProperty(ModelshipConstants.PASS_FLOAT16)
  FLOAT16(ModelshipConstants.PASS_FLOAT16),
  @JsonProperty(ModelshipConstants.PASS_PRUNE)
  PRUNE(ModelshipConstants.PASS_PRUNE),
  @JsonProperty(ModelshipConstants.PASS_ORT_FORMAT)
  ORT_FORMAT(ModelshipConstants.PASS_ORT_FORMAT),
  @JsonProperty(ModelshipConstants.PASS_DISTILL)
  DISTILL(ModelshipConstants.PASS_DISTILL);

  private final String value;

  PassName(String value) {
    this.value = value;
  }

  /** The name as the resource and the optimizer spell it. */
  public String value() {
    return value;
  }
}
