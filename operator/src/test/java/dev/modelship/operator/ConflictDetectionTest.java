package dev.modelship.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A write conflict is retried quietly, and a ModelDeployment deleted during its reconcile is let go
 * quietly; any other failure reaches the user as ReconcileError.
 */
class ConflictDetectionTest {

  static KubernetesClientException withCode(int code) {
    return new KubernetesClientException(new StatusBuilder().withCode(code).withMessage("m").build());
  }

  @Test
  void conflictsAreRecognisedThroughJosdksWrappers() {
    assertThat(ModelDeploymentReconciler.isConflict(withCode(409))).isTrue();
    assertThat(ModelDeploymentReconciler.isConflict(new OperatorException(withCode(409)))).isTrue();
    assertThat(ModelDeploymentReconciler.isConflict(
        new AggregatedOperatorException("x", Map.of("deployment", new OperatorException(withCode(409)))))).isTrue();
  }

  /** The API server's answer to a status patch of a ModelDeployment that no longer exists. */
  static KubernetesClientException notFound(String kind, String name) {
    return new KubernetesClientException(new StatusBuilder().withCode(404).withReason("NotFound")
        .withNewDetails().withGroup("modelship.dev").withKind(kind).withName(name).endDetails()
        .withMessage(kind + " \"" + name + "\" not found").build());
  }

  @Test
  void aModelDeploymentDeletedDuringItsReconcileIsRecognisedOnlyByItsOwn404() {
    ModelDeployment md = new ModelDeployment();
    md.setMetadata(new ObjectMetaBuilder().withName("background").withNamespace("gc").build());
    assertThat(ModelDeploymentReconciler.isPrimaryGone(new OperatorException(notFound("modeldeployments", "background")),
        md)).isTrue();
    assertThat(ModelDeploymentReconciler.isPrimaryGone(notFound("modeldeployments", "other"), md)).isFalse();
    assertThat(ModelDeploymentReconciler.isPrimaryGone(notFound("secrets", "background"), md)).isFalse();
    assertThat(ModelDeploymentReconciler.isPrimaryGone(withCode(409), md)).isFalse();
  }

  @Test
  void otherFailuresAreNot() {
    assertThat(ModelDeploymentReconciler.isConflict(withCode(403))).isFalse();
    assertThat(ModelDeploymentReconciler.isConflict(new IllegalStateException("boom"))).isFalse();
    assertThat(ModelDeploymentReconciler.isConflict(new AggregatedOperatorException("x",
        Map.of("deployment", withCode(409), "service", withCode(422))))).isFalse();
  }
}
