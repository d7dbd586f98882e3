package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The trained model the artifact is built from. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ModelSource {

  @Required
  @Size(min = 1, max = 2048)
  @ValidationRule(
      value = SourceUri.SCHEMES_RULE,
      message = "model.uri must start with one of " + SourceUri.SCHEMES,
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = SourceUri.PVC_FORM_RULE,
      message = "a pvc:// model.uri must be " + SourceUri.PVC_FORM,
      reason = "FieldValueInvalid")
  @JsonPropertyDescription("Location of the model: file://<path> (inside the optimizer image), http(s)://..., s3://<bucket>/<key> or pvc://<claim>/<path> (a PersistentVolumeClaim in this namespace, mounted read-only into the artifact Job).")
  public String uri;

  @JsonPropertyDescription("Format of the model at uri: onnx, xgboost (JSON) or lightgbm (text). Detected from the file when omitted.")
  public ModelFormat format;

  @Pattern(SourceUri.SHA256_PATTERN)
  @JsonPropertyDescription("Optional pin: the lower-case hex SHA-256 of the model file. The artifact Job refuses any other bytes.")
  public String sha256;

  @Size(max = 253)
  @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
  @JsonPropertyDescription("Optional name of a Secret in this namespace whose keys are passed to the artifact Job as environment variables (for example AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL for s3://). Its values never appear in status or logs.")
  public String credentialsSecret;
}
