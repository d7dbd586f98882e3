package dev.modelship.operator.desired;

import dev.modelship.artifact.BuildEnvironment;
import dev.modelship.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * How the optimizer, in the artifact Job and in a serving pod's init container, reaches an S3
 * artifact store: the {@link BuildEnvironment} {@code MODELSHIP_STORE_*} variables it reads before
 * the SDK's default chain. The keys come from the store's Secret by reference; no value passes
 * through the operator.
 */
public final class ArtifactStoreAccess {

  public static final String ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID";
  public static final String SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY";

  private ArtifactStoreAccess() {}

  public static List<EnvVar> env(OperatorConfig.S3 store) {
    List<EnvVar> env = new ArrayList<>();
    env.add(secretRef(BuildEnvironment.STORE_ACCESS_KEY_ID, store.credentialsSecret(), ACCESS_KEY_ID));
    env.add(secretRef(BuildEnvironment.STORE_SECRET_ACCESS_KEY, store.credentialsSecret(), SECRET_ACCESS_KEY));
    env.add(new EnvVarBuilder().withName(BuildEnvironment.STORE_REGION).withValue(store.region()).build());
    if (store.endpoint() != null) {
      env.add(new EnvVarBuilder().withName(BuildEnvironment.STORE_ENDPOINT).withValue(store.endpoint()).build());
    }
    return env;
  }

  private static EnvVar secretRef(String name, String secret, String key) {
    return new EnvVarBuilder().withName(name)
        .withNewValueFrom().withNewSecretKeyRef().withName(secret).withKey(key).endSecretKeyRef().endValueFrom()
        .build();
  }
}
