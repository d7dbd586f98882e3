package dev.modelship.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** How the inference-server pods run. Changing it rolls the pods but never rebuilds the artifact. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Serving {

  @JsonPropertyDescription("Dynamic batching: requests arriving close together run as one batch.")
  public Batching batching;

  @JsonPropertyDescription("CPU and memory requests and limits of the inference-server container. When absent: requests cpu 500m, memory 512Mi; limit memory 1Gi.")
  public ResourceRequirements resources;

  @Min(1)
  @Max(256)
  @JsonPropertyDescription("ONNX Runtime intra-op threads per pod. When absent the server chooses from the CPUs it sees.")
  public Integer intraOpThreads;
}
