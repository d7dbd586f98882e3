package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Formats the optimizer reads. */
public enum ModelFormat {
  @JsonProperty("onnx")
  ONNX("onnx"),
  @JsonProperty("xgboost")
  XGBOOST("xgboost"),
  @JsonProperty("lightgbm")
  LIGHTGBM("lightgbm");

  private final String value;

  ModelFormat(String value) {
    this.value = value;
  }

  /** The name used in the resource and on the optimizer's command line. */
  public String value() {
    return value;
  }
}
