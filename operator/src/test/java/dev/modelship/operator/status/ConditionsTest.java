package dev.modelship.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConditionsTest {

  @Test
  void transitionTimeMovesOnlyWhenTheStatusChanges() {
    List<Condition> first = Conditions.put(List.of(),
        Conditions.of("Ready", "False", "RolloutInProgress", "0 of 1", 1), "2026-01-01T00:00:00Z");
    assertThat(first.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");

    // Same status, new reason and message: the time stays.
    List<Condition> second = Conditions.put(first,
        Conditions.of("Ready", "False", "ReplicasUnavailable", "0 of 1 available", 1), "2026-01-01T00:05:00Z");
    assertThat(second.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
    assertThat(second.get(0).getReason()).isEqualTo("ReplicasUnavailable");

    List<Condition> third = Conditions.put(second,
        Conditions.of("Ready", "True", "MinimumReplicasAvailable", "1 of 1", 1), "2026-01-01T00:09:00Z");
    assertThat(third.get(0).getLastTransitionTime()).isEqualTo("2026-01-01T00:09:00Z");
  }

  @Test
  void otherTypesAreLeftInPlace() {
    List<Condition> both = Conditions.put(
        Conditions.put(List.of(), Conditions.of("ArtifactReady", "True", "Built", "", 1), "t1"),
        Conditions.of("Ready", "False", "X", "", 1), "t2");
    assertThat(both).extracting(Condition::getType).containsExactly("ArtifactReady", "Ready");
    List<Condition> updated = Conditions.put(both, Conditions.of("ArtifactReady", "False", "Building", "", 2), "t3");
    assertThat(updated).extracting(Condition::getType).containsExactly("ArtifactReady", "Ready");
    assertThat(updated.get(0).getLastTransitionTime()).isEqualTo("t3");
    assertThat(updated.get(1).getLastTransitionTime()).isEqualTo("t2");
  }
}
