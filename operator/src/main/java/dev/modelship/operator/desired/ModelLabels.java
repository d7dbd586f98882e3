package dev.modelship.operator.desired;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.*;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/** The labels ARCHITECTURE.md puts on everything the operator creates. */
public final class ModelLabels {

  private ModelLabels() {}

  /** All labels of an object of the given component. */
  public static Map<String, String> of(ModelDeployment md, String component) {
    Map<String, String> labels = new LinkedHashMap<>(selector(md, component));
    labels.put(LABEL_MANAGED_BY, MANAGED_BY);
    return labels;
  }

  /** Name, namespace and labels of a serving object: it takes the ModelDeployment's name. */
  public static ObjectMeta servingMetadata(ModelDeployment md) {
    return new ObjectMetaBuilder()
        .withName(md.getMetadata().getName())
        .withNamespace(md.getMetadata().getNamespace())
        .withLabels(of(md, COMPONENT_INFERENCE_SERVER))
        .build();
  }

  /**
   * The subset used as a pod selector. It leaves out nothing that may change, because a
   * Deployment's selector is immutable.
   */
  public static Map<String, String> selector(ModelDeployment md, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(LABEL_NAME, APP_NAME);
    labels.put(LABEL_INSTANCE, md.getMetadata().getName());
    labels.put(LABEL_COMPONENT, component);
    labels.put(LABEL_MODEL_DEPLOYMENT, md.getMetadata().getName());
    return labels;
  }

  /** The selector as the string form the scale subresource reports. */
  public static String selectorString(ModelDeployment md, String component) {
    StringBuilder sb = new StringBuilder();
    selector(md, component).forEach((k, v) -> {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(k).append('=').append(v);
    });
    return sb.toString();
  }
}
