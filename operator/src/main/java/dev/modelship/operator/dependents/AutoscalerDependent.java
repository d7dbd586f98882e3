package dev.modelship.operator.dependents;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ScalingMetric;
import dev.modelship.operator.desired.AutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** The HorizontalPodAutoscaler of autoscaling on cpu; deleted again when spec.autoscaling is removed or scales on traffic. */
@KubernetesDependent(informer = @Informer(labelSelector = Selectors.INFERENCE_SERVER))
public class AutoscalerDependent extends CRUDKubernetesDependentResource<HorizontalPodAutoscaler, ModelDeployment> {

  public AutoscalerDependent() {
    super(HorizontalPodAutoscaler.class);
  }

  @Override
  protected HorizontalPodAutoscaler desired(ModelDeployment primary, Context<ModelDeployment> context) {
    return AutoscalerBuilder.build(primary);
  }

  public static class AutoscalingRequested implements Condition<HorizontalPodAutoscaler, ModelDeployment> {
    @Override
    public boolean isMet(DependentResource<HorizontalPodAutoscaler, ModelDeployment> dependent,
        ModelDeployment primary, Context<ModelDeployment> context) {
      return primary.getSpec().autoscaling != null
          && (primary.getSpec().autoscaling.metric == null || primary.getSpec().autoscaling.metric == ScalingMetric.CPU);
    }
  }
}
