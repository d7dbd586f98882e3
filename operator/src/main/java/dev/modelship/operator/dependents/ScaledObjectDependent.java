package dev.modelship.operator.dependents;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ScalingMetric;
import dev.modelship.operator.desired.ScaledObjectBuilder;
import dev.modelship.operator.keda.ScaledObject;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.CRDPresentActivationCondition;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * The KEDA ScaledObject of autoscaling on rps or concurrency, switched on only where KEDA's CRD is
 * installed; deleted again when the metric goes back to cpu or autoscaling is removed.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Selectors.INFERENCE_SERVER))
public class ScaledObjectDependent extends CRUDKubernetesDependentResource<ScaledObject, ModelDeployment> {

  public ScaledObjectDependent() {
    super(ScaledObject.class);
  }

  @Override
  protected ScaledObject desired(ModelDeployment primary, Context<ModelDeployment> context) {
    return ScaledObjectBuilder.build(primary, ReconcileInputs.of(context).config().prometheus());
  }

  /** Whether spec.autoscaling asks for a traffic metric and the operator knows where Prometheus is. */
  public static boolean wanted(ModelDeployment primary, ReconcileInputs in) {
    return primary.getSpec().autoscaling != null
        && (primary.getSpec().autoscaling.metric == ScalingMetric.RPS
            || primary.getSpec().autoscaling.metric == ScalingMetric.CONCURRENCY)
        && in.config().prometheus() != null;
  }

  public static class TrafficScalingRequested implements Condition<ScaledObject, ModelDeployment> {
    @Override
    public boolean isMet(DependentResource<ScaledObject, ModelDeployment> dependent, ModelDeployment primary,
        Context<ModelDeployment> context) {
      return wanted(primary, ReconcileInputs.of(context));
    }
  }

  /** On while KEDA's ScaledObject CRD is installed; looked up as for the ServiceMonitor, once a minute until found. */
  public static class CrdInstalled extends CRDPresentActivationCondition<ScaledObject, ModelDeployment> {
    public CrdInstalled() {
      super(Integer.MAX_VALUE, ServiceMonitorDependent.CrdInstalled.CHECK_INTERVAL);
    }
  }
}
