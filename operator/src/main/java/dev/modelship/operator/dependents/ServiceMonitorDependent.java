package dev.modelship.operator.dependents;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.desired.ServiceMonitorBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

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
   * Whether the ServiceMonitor CRD was installed when the operator started. Looked up once, at
   * start: a per-reconcile lookup would cost a request per resource, and a cached one could not wake
   * the resources that already settled. After installing the Prometheus Operator, restart this one.
   */
  public static class CrdInstalled implements Condition<ServiceMonitor, ModelDeployment> {
    private static volatile boolean present;

    public static void detect(KubernetesClient client) {
      present = client.apiextensions().v1().customResourceDefinitions().withName(ServiceMonitorBuilder.CRD_NAME).get() != null;
    }

    public static boolean present() {
      return present;
    }

    @Override
    public boolean isMet(DependentResource<ServiceMonitor, ModelDeployment> dependent,
        ModelDeployment primary, Context<ModelDeployment> context) {
      return present;
    }
  }
}
