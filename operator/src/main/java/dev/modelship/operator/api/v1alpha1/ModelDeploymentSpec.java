package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** What the user asks for. The operator never writes it: defaults live in the schema. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ModelDeploymentSpec {

  @Required
  @JsonPropertyDescription("Where the trained model comes from and how to recognise it.")
  public ModelSource model;

  @JsonPropertyDescription("The optimization pipeline run once to build the served artifact, and how the result is validated against the original model.")
  public Optimization optimization;

  @JsonPropertyDescription("How the inference-server pods serve the artifact: batching, threads and compute resources.")
  public Serving serving;

  @SpecReplicas
  @Default("1")
  @Min(0)
  @Max(1000)
  @JsonPropertyDescription("Number of serving pods when autoscaling is not set (kubectl scale md changes it). Ignored when autoscaling is set: the HorizontalPodAutoscaler owns the count.")
  public Integer replicas;

  @JsonPropertyDescription("Scale the serving pods with a HorizontalPodAutoscaler (autoscaling/v2) on CPU utilization. When absent, spec.replicas pods run.")
  public Autoscaling autoscaling;

  @JsonPropertyDescription("Service level objectives, recorded for dashboards and alerts. The operator does not evaluate them yet.")
  public Slo slo;
}
