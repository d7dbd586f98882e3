package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;

/** What is really running, computed by the operator from the objects it owns. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ModelDeploymentStatus {

  @JsonPropertyDescription("The metadata.generation this status was computed from.")
  public Long observedGeneration;

  @JsonPropertyDescription("ArtifactReady: the artifact of the current spec is built and validated. Ready: the desired number of pods are available and serve that artifact. MetricsAvailable: traffic figures are being read from Prometheus. SLOMet: the figures meet spec.slo. AutoscalerReady: the autoscaler spec.autoscaling asks for exists. Ready never depends on metrics. Reasons are CamelCase; messages say what to do.")
  public List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("In-cluster URL of the model's V2 REST endpoint.")
  public String url;

  @StatusReplicas
  @JsonPropertyDescription("Serving pods that exist, as the Deployment reports.")
  public Integer replicas;

  @JsonPropertyDescription("Serving pods that are available (ready for the Deployment's minReadySeconds).")
  public Integer readyReplicas;

  @LabelSelector
  @JsonPropertyDescription("Label selector of the serving pods, for the scale subresource.")
  public String selector;

  @JsonPropertyDescription("The artifact the serving pods load: the last one built successfully. While a newer one builds or after it failed, this one keeps serving.")
  public ArtifactStatus artifact;

  @JsonPropertyDescription("Live traffic figures read from Prometheus, when the operator has a Prometheus URL. During an outage the last figures stay, with their observedAt.")
  public MetricsStatus metrics;
}
