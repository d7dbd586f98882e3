package dev.modelship.operator.desired;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_INFERENCE_SERVER;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;

/** Keeps all serving pods but one through voluntary disruptions such as node drains. */
public final class DisruptionBudgetBuilder {

  private DisruptionBudgetBuilder() {}

  /** A budget only makes sense with more than one pod: with one it would block every drain. */
  public static boolean wanted(ModelDeploymentSpec spec) {
    int fewest = spec.autoscaling != null
        ? (spec.autoscaling.minReplicas == null ? 1 : spec.autoscaling.minReplicas)
        : InferenceDeploymentBuilder.replicas(spec);
    return fewest > 1;
  }

  public static PodDisruptionBudget build(ModelDeployment md) {
    return new PodDisruptionBudgetBuilder()
        .withMetadata(ModelLabels.servingMetadata(md))
        .withNewSpec()
          .withMaxUnavailable(new IntOrString(1))
          .withNewSelector().withMatchLabels(ModelLabels.selector(md, COMPONENT_INFERENCE_SERVER)).endSelector()
        .endSpec()
        .build();
  }
}
