package dev.modelship.operator.keda;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.List;
import java.util.Map;

/**
 * KEDA's ScaledObject ({@code keda.sh/v1alpha1}), with only the fields the operator sets. KEDA
 * publishes no Java model; a typed class (rather than a GenericKubernetesResource) lets JOSDK build
 * the dependent's event source without API discovery while the CRD is absent. Status is KEDA's and
 * kept as it comes.
 */
@Group("keda.sh")
@Version("v1alpha1")
@Kind("ScaledObject")
@Plural("scaledobjects")
public class ScaledObject extends CustomResource<ScaledObject.Spec, JsonNode> implements Namespaced {

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Spec {
    public TargetRef scaleTargetRef;
    public Integer minReplicaCount;
    public Integer maxReplicaCount;
    public Integer pollingInterval;
    public Fallback fallback;
    public List<Trigger> triggers;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TargetRef(String apiVersion, String kind, String name) {}

  /** What KEDA does when the trigger's query fails: here, keep the current replicas. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Fallback(Integer failureThreshold, Integer replicas, String behavior) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Trigger(String type, String name, String metricType, Map<String, String> metadata) {}
}
