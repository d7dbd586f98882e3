package dev.modelship.operator.dependents;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.desired.ServiceMonitorBuilder;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.CRDPresentActivationCondition;
import java.time.Duration;

/**
 * The ServiceMonitor, switched on only in clusters where the Prometheus Operator's CRD exists.
 * Typed (not a GenericKubernetesResource): JOSDK builds this dependent's event source even to
 * deregister it, and a generic one would need API discovery, which fails while the CRD is absent.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Selectors.INFERENCE_SERVER))
public class ServiceMonitorDependent extends CRUDKubernetesDependentResource<ServiceMonitor, ModelDeployment> {

  public ServiceMonitorDependent() {
    super(ServiceMonitor.class);
  }

  @Override
  protected ServiceMonitor desired(ModelDeployment primary, Context<ModelDeployment> context) {
    return ServiceMonitorBuilder.build(primary);
  }

  /**
   * On while the Prometheus Operator's ServiceMonitor CRD is installed. JOSDK looks the CRD up at a
   * reconcile, at most once per {@link #CHECK_INTERVAL} until it is found, so a Prometheus Operator
   * installed later is picked up by each ModelDeployment's next reconcile without a restart. There
   * is no limit on the look-ups (JOSDK's default stops after ten): one GET a minute is cheap.
   */
  public static class CrdInstalled extends CRDPresentActivationCondition<ServiceMonitor, ModelDeployment> {
    public static final Duration CHECK_INTERVAL = Duration.ofMinutes(1);

    public CrdInstalled() {
      super(Integer.MAX_VALUE, CHECK_INTERVAL);
    }
  }
}
