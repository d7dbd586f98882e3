package dev.modelship.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A trained model taken to production: the operator builds an optimized, validated artifact from
 * it once, serves it with inference-server pods behind a Service, scales it, and reports in status
 * what is really running.
 */
@Group(ModelshipConstants.GROUP)
@Version(ModelshipConstants.VERSION)
@Kind(ModelshipConstants.KIND)
@Plural(ModelshipConstants.PLURAL)
@ShortNames(ModelshipConstants.SHORT_NAME)
@AdditionalPrinterColumn(name = "READY", type = Type.STRING,
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "REPLICAS", type = Type.INTEGER, jsonPath = ".status.readyReplicas")
@AdditionalPrinterColumn(name = "FORMAT", type = Type.STRING, jsonPath = ".status.artifact.format")
@AdditionalPrinterColumn(name = "RPS", type = Type.NUMBER,
    jsonPath = ".status.metrics.requestsPerSecond")
@AdditionalPrinterColumn(name = "P99", type = Type.NUMBER,
    jsonPath = ".status.metrics.latencyP99Seconds")
@AdditionalPrinterColumn(name = "AGE", type = Type.DATE, jsonPath = ".metadata.creationTimestamp")
// Owned objects take this name (plus "-artifact-<key>" for Jobs, whose name is also a label value of
// at most 63 characters) and the Service needs a DNS-1035 label.
@ValidationRule(value = "self.metadata.name.size() <= 40 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message = "metadata.name must be a DNS-1035 label of at most 40 characters (lower case letters, digits and '-', starting with a letter)",
    reason = "FieldValueInvalid")
public class ModelDeployment extends CustomResource<ModelDeploymentSpec, ModelDeploymentStatus>
    implements Namespaced {

  @Required
  @Override
  public ModelDeploymentSpec getSpec() {
    return super.getSpec();
  }
}
