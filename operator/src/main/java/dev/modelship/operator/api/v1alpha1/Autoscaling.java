package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Scaling of the serving pods: a HorizontalPodAutoscaler on CPU, or a KEDA ScaledObject on traffic
 * read from Prometheus.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.minReplicas <= self.maxReplicas",
    message = "autoscaling.minReplicas must be less than or equal to autoscaling.maxReplicas",
    reason = "FieldValueInvalid")
@ValidationRule(value = "self.metric == 'cpu' || self.metric == 'external' || has(self.target)",
    message = "autoscaling.target is required for metric rps (requests per second per pod) and concurrency (requests in flight per pod)",
    reason = "FieldValueRequired")
@ValidationRule(value = "self.metric != 'cpu' || !has(self.target) || self.target <= 100",
    message = "autoscaling.target for metric cpu is a utilization in percent of the CPU request, at most 100",
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
  @JsonPropertyDescription("What drives scaling. cpu: average CPU utilization of the pods, as a percentage of their CPU request (a HorizontalPodAutoscaler). rps: inference requests per second per pod; concurrency: requests in flight per pod (both a KEDA ScaledObject on a Prometheus query; they need KEDA installed and the operator's Prometheus URL set, and condition AutoscalerReady says when either is missing). external: an autoscaler you manage, such as an HPA on prometheus-adapter's metric; the operator creates none and leaves the Deployment's replicas to it.")
  public ScalingMetric metric;

  @Min(1)
  @Max(1000000)
  @JsonPropertyDescription("Target value of the metric per pod: for cpu, the average utilization in percent of the request (default 70); for rps, requests per second per pod; for concurrency, requests in flight per pod (required for both); unused for external.")
  public Integer target;
}
