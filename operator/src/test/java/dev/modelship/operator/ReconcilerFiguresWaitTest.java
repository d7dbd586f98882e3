package dev.modelship.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.api.v1alpha1.MetricsStatus;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentStatus;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** At most one metrics-only status write per ModelDeployment per minute. */
class ReconcilerFiguresWaitTest {

  static ModelDeploymentStatus status(double rps, String observedAt, int readyReplicas) {
    ModelDeploymentStatus s = new ModelDeploymentStatus();
    s.readyReplicas = readyReplicas;
    s.metrics = new MetricsStatus();
    s.metrics.requestsPerSecond = rps;
    s.metrics.observedAt = observedAt;
    return s;
  }

  @Test
  void newFiguresWithinAMinuteOfTheShownOnesWaitForTheRestOfThatMinute() {
    ModelDeploymentStatus shown = status(40, "2026-11-29T10:00:00Z", 1);
    ModelDeploymentStatus next = status(80, "2026-11-29T10:00:20Z", 1);
    assertThat(ModelDeploymentReconciler.figuresWait(shown, next, Instant.parse("2026-11-29T10:00:20Z")))
        .isEqualTo(Duration.ofSeconds(40));
    assertThat(ModelDeploymentReconciler.figuresWait(shown, next, Instant.parse("2026-11-29T10:01:00Z")))
        .isEqualTo(Duration.ZERO);
  }

  @Test
  void anythingElseThatChangedIsWrittenAtOnce() {
    ModelDeploymentStatus shown = status(40, "2026-11-29T10:00:00Z", 1);
    ModelDeploymentStatus next = status(80, "2026-11-29T10:00:20Z", 0);
    assertThat(ModelDeploymentReconciler.figuresWait(shown, next, Instant.parse("2026-11-29T10:00:20Z")))
        .isEqualTo(Duration.ZERO);
  }
}
