package dev.modelship.operator.desired;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_INFERENCE_SERVER;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;

/** A Prometheus Operator ServiceMonitor that scrapes the Service's metrics port. */
public final class ServiceMonitorBuilder {

  private ServiceMonitorBuilder() {}

  public static ServiceMonitor build(ModelDeployment md) {
    return new io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitorBuilder()
        .withMetadata(ModelLabels.servingMetadata(md))
        .withNewSpec()
          .withNewSelector().withMatchLabels(ModelLabels.selector(md, COMPONENT_INFERENCE_SERVER)).endSelector()
          .addNewEndpoint().withPort("metrics").withPath("/metrics").withInterval("30s").endEndpoint()
        .endSpec()
        .build();
  }
}
