package dev.modelship.operator.dependents;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.desired.InferenceServiceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The Service in front of the serving pods. */
@KubernetesDependent(informer = @Informer(labelSelector = Selectors.INFERENCE_SERVER))
public class InferenceServiceDependent extends CRUDKubernetesDependentResource<Service, ModelDeployment> {

  public InferenceServiceDependent() {
    super(Service.class);
  }

  @Override
  protected Service desired(ModelDeployment primary, Context<ModelDeployment> context) {
    return InferenceServiceBuilder.build(primary);
  }
}
