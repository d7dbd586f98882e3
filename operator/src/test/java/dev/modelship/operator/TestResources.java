package dev.modelship.operator;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.client.utils.Serialization;

/** ModelDeployments written as a user writes them, in YAML. */
public final class TestResources {

  private TestResources() {}

  public static ModelDeployment fromYaml(String yaml) {
    ModelDeployment md = Serialization.unmarshal(yaml, ModelDeployment.class);
    if (md.getMetadata().getGeneration() == null) {
      md.getMetadata().setGeneration(1L);
    }
    return md;
  }

  /** The example of ARCHITECTURE.md, in namespace ml. */
  public static ModelDeployment fraudXgb() {
    return fromYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: fraud-xgb, namespace: ml}
        spec:
          model:
            uri: s3://models/fraud/model.json
            format: xgboost
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            credentialsSecret: s3-creds
          optimization:
            passes:
              - name: graph-optimize
              - name: quantize-dynamic
                params: {perChannel: "true", exclude: "Softmax"}
            validation: {samples: 256, maxAbsError: 0.01}
          serving:
            batching: {maxBatchSize: 32, maxQueueDelay: 2ms}
            resources: {requests: {cpu: "1", memory: 1Gi}, limits: {cpu: "2", memory: 2Gi}}
          autoscaling: {minReplicas: 2, maxReplicas: 10, metric: cpu, target: 70}
        """);
  }

  /** The smallest valid resource, with the schema's defaults not applied (as a unit test sees it). */
  public static ModelDeployment minimal() {
    return fromYaml("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: iris, namespace: default}
        spec:
          model: {uri: "https://example.org/iris.onnx"}
        """);
  }
}
