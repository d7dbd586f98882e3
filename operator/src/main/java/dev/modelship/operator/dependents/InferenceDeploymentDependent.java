package dev.modelship.operator.dependents;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.desired.InferenceDeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** The serving pods, on the artifact the reconcile decided to serve. */
@KubernetesDependent(informer = @Informer(labelSelector = Selectors.INFERENCE_SERVER))
public class InferenceDeploymentDependent extends CRUDKubernetesDependentResource<Deployment, ModelDeployment> {

  public InferenceDeploymentDependent() {
    super(Deployment.class);
  }

  @Override
  protected Deployment desired(ModelDeployment primary, Context<ModelDeployment> context) {
    ReconcileInputs in = ReconcileInputs.of(context);
    return InferenceDeploymentBuilder.build(primary, in.artifact().servingDigest(), in.config());
  }

  /** No pods before there is an artifact to load. */
  public static class ArtifactAvailable implements Condition<Deployment, ModelDeployment> {
    @Override
    public boolean isMet(DependentResource<Deployment, ModelDeployment> dependent, ModelDeployment primary,
        Context<ModelDeployment> context) {
      return ReconcileInputs.of(context).artifact().servingDigest() != null;
    }
  }
}
