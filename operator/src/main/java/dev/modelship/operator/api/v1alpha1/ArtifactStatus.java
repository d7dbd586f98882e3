package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** The optimizer's report of a built artifact, taken from its Job's termination message. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ArtifactStatus {

  @JsonPropertyDescription("Content digest of the artifact (sha256:<hex>); the directory it lives in and what the pods load.")
  public String digest;

  @JsonPropertyDescription("Format of the served model file: onnx or ort.")
  public String format;

  @JsonPropertyDescription("Size of the served model file in bytes.")
  public Long bytes;

  @JsonPropertyDescription("Size of the source model in bytes.")
  public Long sourceBytes;

  @JsonPropertyDescription("The optimized model compared with the original.")
  public ValidationReport validation;

  @JsonPropertyDescription("Hash of the inputs that produced this artifact (model source, pipeline, validation, optimizer image); it names the artifact Job.")
  public String buildKey;
}
