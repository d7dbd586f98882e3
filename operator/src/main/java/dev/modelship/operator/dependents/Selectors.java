package dev.modelship.operator.dependents;

/** Label selectors of the informers: only objects this operator made are cached. */
final class Selectors {
  static final String MANAGED = "app.kubernetes.io/managed-by=modelship-operator";
  static final String ARTIFACT_BUILDER = MANAGED + ",app.kubernetes.io/component=artifact-builder";
  static final String INFERENCE_SERVER = MANAGED + ",app.kubernetes.io/component=inference-server";

  private Selectors() {}
}
