package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** A HorizontalPodAutoscaler for the serving pods. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.minReplicas <= self.maxReplicas",
    message = "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas",
    reason = "FieldValueInvalid")
public class Autoscaling {

  @Default("1")
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("Fewest serving pods. Above 1, a PodDisruptionBudget keeps all but one available during voluntary disruptions.")
  public Integer minReplicas;

  @Required
  @Min(1)
  @Max(1000)
  @JsonPropertyDescription("Most serving pods.")
  public Integer maxReplicas;

  @Default("cpu")
  @JsonPropertyDescription("What drives scaling. cpu: average CPU utilization of the pods, as a percentage of their CPU request.")
  public ScalingMetric metric;

  @Default("70")
  @Min(1)
  @Max(100)
  @JsonPropertyDescription("Target value of the metric: for cpu, the average utilization in percent of the request.")
  public Integer target;
}
