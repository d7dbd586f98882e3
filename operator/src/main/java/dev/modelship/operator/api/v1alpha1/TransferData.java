package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The transfer set of the distill pass: input rows of the model, which the optimizer runs through
 * the model and on whose outputs it trains the smaller student. Fetched like the model, with the
 * model's credentials.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TransferData {

  /**
   * Where the rows are: a {@code .npy} 2-D float array or a {@code .csv} of numbers (an optional
   * header row), one row per model input, columns in the model's input order. They should come from
   * the distribution the model serves: the student is only as good as these rows cover it.
   */
  @Required
  @Size(min = 1, max = 2048)
  @ValidationRule(
      value = SourceUri.SCHEMES_RULE,
      message = "optimization.data.uri must start with one of " + SourceUri.SCHEMES,
      reason = "FieldValueInvalid")
  @ValidationRule(
      value = SourceUri.PVC_FORM_RULE,
      message = "a pvc:// optimization.data.uri must be " + SourceUri.PVC_FORM,
      reason = "FieldValueInvalid")
  @JsonPropertyDescription("Location of the transfer set, the input rows the distill pass's student learns the model's outputs on: file://<path> (inside the optimizer image), http(s)://..., s3://<bucket>/<key> or pvc://<claim>/<path> (a PersistentVolumeClaim in this namespace, mounted read-only into the artifact Job), fetched with the model's credentialsSecret. A .npy file holding a 2-D float array, or a .csv file of numbers with an optional header row: one row per model input, columns in the model's input order. The rows should come from the distribution the model serves, for example a sample of recent production inputs or the training set without its labels. Changing it rebuilds the artifact.")
  public String uri;

  /** Pins the rows' bytes, as {@link ModelSource#sha256} pins the model's. */
  @Pattern(SourceUri.SHA256_PATTERN)
  @JsonPropertyDescription("Optional pin: the lower-case hex SHA-256 of the file at uri. The artifact Job refuses any other bytes.")
  public String sha256;
}
