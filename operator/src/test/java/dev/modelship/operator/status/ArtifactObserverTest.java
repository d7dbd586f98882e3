package dev.modelship.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.BuildSummary;
import dev.modelship.operator.api.v1alpha1.ArtifactStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArtifactObserverTest {

  static final String KEY = "0123456789";
  static final String JOB = "fraud-xgb-artifact-" + KEY;

  static Job job(String conditionType, String reason, String message) {
    String conditions = conditionType == null ? "[]"
        : "[{type: " + conditionType + ", status: \"True\", reason: " + reason + ", message: \"" + message + "\"}]";
    return Serialization.unmarshal("""
        apiVersion: batch/v1
        kind: Job
        metadata: {name: %s, namespace: ml}
        status: {conditions: %s}
        """.formatted(JOB, conditions), Job.class);
  }

  static Pod terminatedPod(String name, String key, int exitCode, String terminationMessage) {
    Pod pod = Serialization.unmarshal("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
          namespace: ml
          labels: {app.kubernetes.io/component: artifact-builder, modelship.dev/artifact-key: "%s"}
        status:
          phase: Failed
          containerStatuses:
            - name: optimizer
              image: optimizer
              imageID: ""
              ready: false
              restartCount: 0
              state:
                terminated: {exitCode: %d, reason: Completed, finishedAt: "2026-11-26T10:00:00Z"}
        """.formatted(name, key, exitCode), Pod.class);
    pod.getStatus().getContainerStatuses().get(0).getState().getTerminated().setMessage(terminationMessage);
    return pod;
  }

  /** A build's summary, from the optimizer's own writer (the contract ITs run the optimizer itself). */
  static final String SUMMARY = new BuildSummary(BuildReason.BUILT, 0, "built", "sha256:" + "aa".repeat(32),
      "/artifacts/" + "aa".repeat(32), false, "onnx", "onnx", 100L, 50L, "model.onnx", List.of(), null).toJson();

  @Test
  void podsOfOtherBuildsAreNotMistakenForThisOne() {
    ArtifactState s = ArtifactObserver.observe(KEY, JOB, job("Complete", "CompletionsReached", ""),
        List.of(terminatedPod("old", "ffffffffff", 0, SUMMARY)), null, null);
    assertThat(s.ready()).isFalse();
    assertThat(s.reason()).isEqualTo("SummaryUnavailable");
  }

  @Test
  void failedJobWithoutSummaryFallsBackToTheJobsReason() {
    ArtifactState s = ArtifactObserver.observe(KEY, JOB,
        job("Failed", "DeadlineExceeded", "Job was active longer than specified deadline"),
        List.of(), null, null);
    assertThat(s.reason()).isEqualTo("DeadlineExceeded");
    assertThat(s.message()).contains("active longer than specified deadline");
    assertThat(s.serving()).isNull();
  }

  @Test
  void runningJobIsBuildingUnlessItsPodIsStuck() {
    assertThat(ArtifactObserver.observe(KEY, JOB, job(null, null, null), List.of(), null, null).reason())
        .isEqualTo("Building");

    Pod stuck = Serialization.unmarshal("""
        apiVersion: v1
        kind: Pod
        metadata:
          name: p1
          labels: {modelship.dev/artifact-key: "%s"}
        status:
          phase: Pending
          containerStatuses:
            - name: optimizer
              image: x
              imageID: ""
              ready: false
              restartCount: 0
              state: {waiting: {reason: CreateContainerConfigError, message: "secret \\"s3-creds\\" not found"}}
        """.formatted(KEY), Pod.class);
    ArtifactState s = ArtifactObserver.observe(KEY, JOB, job(null, null, null), List.of(stuck), null, null);
    assertThat(s.reason()).isEqualTo("CreateContainerConfigError");
    assertThat(s.message()).contains("secret \"s3-creds\" not found");
    assertThat(s.failed()).isTrue();
  }

  @Test
  void missingPrerequisiteIsReportedBeforeAnyJobExists() {
    ArtifactState s = ArtifactObserver.observe(KEY, JOB, null, List.of(), null,
        new PreconditionProblem("SecretNotFound", "Secret s3-creds ... does not exist"));
    assertThat(s.reason()).isEqualTo("SecretNotFound");
    assertThat(s.ready()).isFalse();
  }

  @Test
  void anArtifactAlreadyRecordedForThisKeyStaysBuiltEvenWhenItsPodsAreGone() {
    ArtifactStatus recorded = new ArtifactStatus();
    recorded.digest = "sha256:aaaa";
    recorded.buildKey = KEY;
    ArtifactState s = ArtifactObserver.observe(KEY, JOB, null, List.of(), recorded, null);
    assertThat(s.ready()).isTrue();
    assertThat(s.servingDigest()).isEqualTo("sha256:aaaa");
  }
}
