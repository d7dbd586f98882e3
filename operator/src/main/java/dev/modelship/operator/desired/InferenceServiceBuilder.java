package dev.modelship.operator.desired;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_INFERENCE_SERVER;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.GRPC_PORT;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.HTTP_PORT;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.METRICS_SERVICE_PORT;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

/** The Service in front of the serving pods, with named ports http, grpc and metrics. */
public final class InferenceServiceBuilder {

  private InferenceServiceBuilder() {}

  public static Service build(ModelDeployment md) {
    return new ServiceBuilder()
        .withMetadata(ModelLabels.servingMetadata(md))
        .withNewSpec()
          .withType("ClusterIP")
          .withSelector(ModelLabels.selector(md, COMPONENT_INFERENCE_SERVER))
          .addNewPort().withName("http").withPort(HTTP_PORT).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
          .addNewPort().withName("grpc").withPort(GRPC_PORT).withTargetPort(new IntOrString("grpc")).withProtocol("TCP")
            .withAppProtocol("kubernetes.io/h2c").endPort()
          // The server exposes /metrics on its http port; a port of its own lets a scrape config
          // select it by name.
          .addNewPort().withName("metrics").withPort(METRICS_SERVICE_PORT).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }

  /** The in-cluster URL of the model's V2 REST endpoint. */
  public static String url(ModelDeployment md) {
    return "http://" + md.getMetadata().getName() + "." + md.getMetadata().getNamespace() + ".svc:"
        + HTTP_PORT + "/v2/models/" + md.getMetadata().getName();
  }
}
