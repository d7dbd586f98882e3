package dev.modelship.operator.desired;

import dev.modelship.operator.api.v1alpha1.Autoscaling;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;

/** The autoscaling/v2 HorizontalPodAutoscaler of the serving Deployment, on CPU utilization. */
public final class AutoscalerBuilder {

  private AutoscalerBuilder() {}

  public static HorizontalPodAutoscaler build(ModelDeployment md) {
    Autoscaling a = md.getSpec().autoscaling;
    return new HorizontalPodAutoscalerBuilder()
        .withMetadata(ModelLabels.servingMetadata(md))
        .withNewSpec()
          .withNewScaleTargetRef()
            .withApiVersion("apps/v1")
            .withKind("Deployment")
            .withName(md.getMetadata().getName())
          .endScaleTargetRef()
          .withMinReplicas(a.minReplicas == null ? 1 : a.minReplicas)
          .withMaxReplicas(a.maxReplicas)
          .addNewMetric()
            .withType("Resource")
            .withNewResource()
              .withName("cpu")
              .withNewTarget()
                .withType("Utilization")
                .withAverageUtilization(a.target == null ? 70 : a.target)
              .endTarget()
            .endResource()
          .endMetric()
        .endSpec()
        .build();
  }
}
