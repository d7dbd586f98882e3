package dev.modelship.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A write conflict is retried quietly; any other failure reaches the user as ReconcileError. */
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

  @Test
  void otherFailuresAreNot() {
    assertThat(ModelDeploymentReconciler.isConflict(withCode(403))).isFalse();
    assertThat(ModelDeploymentReconciler.isConflict(new IllegalStateException("boom"))).isFalse();
    assertThat(ModelDeploymentReconciler.isConflict(new AggregatedOperatorException("x",
        Map.of("deployment", withCode(409), "service", withCode(422))))).isFalse();
  }
}
