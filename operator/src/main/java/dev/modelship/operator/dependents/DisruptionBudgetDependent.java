package dev.modelship.operator.dependents;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.desired.DisruptionBudgetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** The PodDisruptionBudget, present only while more than one pod is wanted. */
@KubernetesDependent(informer = @Informer(labelSelector = Selectors.INFERENCE_SERVER))
public class DisruptionBudgetDependent extends CRUDKubernetesDependentResource<PodDisruptionBudget, ModelDeployment> {

  public DisruptionBudgetDependent() {
    super(PodDisruptionBudget.class);
  }

  @Override
  protected PodDisruptionBudget desired(ModelDeployment primary, Context<ModelDeployment> context) {
    return DisruptionBudgetBuilder.build(primary);
  }

  public static class MoreThanOneReplica implements Condition<PodDisruptionBudget, ModelDeployment> {
    @Override
    public boolean isMet(DependentResource<PodDisruptionBudget, ModelDeployment> dependent,
        ModelDeployment primary, Context<ModelDeployment> context) {
      return DisruptionBudgetBuilder.wanted(primary.getSpec());
    }
  }
}
