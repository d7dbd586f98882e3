package dev.modelship.operator.api.v1alpha1;

/**
 * The rules of a location the optimizer fetches (the model, the distill pass's transfer set), in
 * one place so that every such field accepts the same schemes. Compile-time constants: the schema
 * annotations read them.
 */
final class SourceUri {

  static final String SCHEMES = "file://, http://, https://, s3://, pvc://";

  static final String SCHEMES_RULE = "self.startsWith('file://') || self.startsWith('http://')"
      + " || self.startsWith('https://') || self.startsWith('s3://') || self.startsWith('pvc://')";

  /** The claim must be a DNS-1123 label, the name under which the artifact Job mounts it. */
  static final String PVC_FORM_RULE = "!self.startsWith('pvc://') || self.matches('^pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?/.+$')";

  static final String PVC_FORM = "pvc://<claim-name>/<path inside the claim>";

  static final String SHA256_PATTERN = "^[a-f0-9]{64}$";

  private SourceUri() {}
}
