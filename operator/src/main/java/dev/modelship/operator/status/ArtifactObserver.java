package dev.modelship.operator.status;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.LABEL_ARTIFACT_KEY;

import dev.modelship.artifact.BuildSummary;
import dev.modelship.operator.api.v1alpha1.ArtifactStatus;
import dev.modelship.operator.api.v1alpha1.ValidationReport;
import dev.modelship.operator.desired.ArtifactJobBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Reads the state of the current artifact build from its Job and the Job's pods. Pure. */
public final class ArtifactObserver {

  private ArtifactObserver() {}

  /**
   * @param buildKey key of the current spec's build
   * @param jobName name of the current spec's Job
   * @param job that Job as observed, or null when it does not exist (yet)
   * @param pods artifact-builder pods of this ModelDeployment (any build)
   * @param previous the artifact recorded in status, or null
   * @param preconditionProblem why the Job cannot be created (missing Secret or claim), or null
   */
  public static ArtifactState observe(String buildKey, String jobName, Job job, List<Pod> pods,
      ArtifactStatus previous, PreconditionProblem preconditionProblem) {
    if (previous != null && buildKey.equals(previous.buildKey)) {
      // Already read from a finished Job: the artifact of this key never changes.
      return new ArtifactState(true, "Built", builtMessage(previous, jobName), false, previous);
    }
    if (job == null) {
      if (preconditionProblem != null) {
        return new ArtifactState(false, preconditionProblem.reason(), preconditionProblem.message(), true, previous);
      }
      // The workflow creates the Job in this same reconcile, and JOSDK does not wake us for our
      // own creation, so this is reported as building already.
      return new ArtifactState(false, "Building", "Job " + jobName + " is building the artifact", false, previous);
    }
    List<Pod> ownPods = pods.stream()
        .filter(p -> p.getMetadata().getLabels() != null
            && buildKey.equals(p.getMetadata().getLabels().get(LABEL_ARTIFACT_KEY)))
        .toList();

    if (jobCondition(job, "Complete")) {
      Optional<BuildSummary> summary = ownPods.stream()
          .map(p -> terminated(p))
          .flatMap(Optional::stream)
          .filter(t -> Objects.equals(t.getExitCode(), 0))
          .map(t -> BuildSummary.parse(t.getMessage()))
          .flatMap(Optional::stream)
          .filter(BuildSummary::isBuilt)
          .findFirst();
      if (summary.isEmpty()) {
        return new ArtifactState(false, "SummaryUnavailable",
            "Job " + jobName + " succeeded but none of its pods left the optimizer's summary (digest) in its"
                + " termination message; delete the Job to build again", true, previous);
      }
      ArtifactStatus built = toStatus(summary.get(), buildKey);
      return new ArtifactState(true, "Built", builtMessage(built, jobName), false, built);
    }

    if (jobCondition(job, "Failed")) {
      Optional<ContainerStateTerminated> last = lastFailure(ownPods);
      Optional<BuildSummary> error = last
          .flatMap(t -> BuildSummary.parse(t.getMessage()))
          .filter(s -> !s.isBuilt());
      String keeps = previous == null ? "" : "; " + previous.digest + " keeps serving";
      String edit = "; fix the spec (a new model or pipeline starts a new build) or delete Job " + jobName + " to retry";
      if (error.isPresent()) {
        return new ArtifactState(false, error.get().reason().code(),
            "Job " + jobName + " failed: " + error.get().message() + keeps + edit, true, previous);
      }
      JobCondition failed = job.getStatus().getConditions().stream()
          .filter(c -> "Failed".equals(c.getType())).findFirst().orElseThrow();
      String exit = last.map(t -> " (last exit code " + t.getExitCode() + ")").orElse("");
      return new ArtifactState(false, failed.getReason() == null ? "BuildFailed" : failed.getReason(),
          "Job " + jobName + " failed: " + Objects.toString(failed.getMessage(), "") + exit + keeps + edit,
          true, previous);
    }

    Optional<PodProblems.Problem> stuck = PodProblems.first(ownPods, ArtifactJobBuilder.CONTAINER);
    if (stuck.isPresent()) {
      return new ArtifactState(false, stuck.get().reason(),
          "Job " + jobName + " cannot run: " + stuck.get().message(), true, previous);
    }
    // A retryable failure (fetch, store, internal) before this attempt: say so, the next may fail too.
    Optional<BuildSummary> retried = lastFailure(ownPods).flatMap(t -> BuildSummary.parse(t.getMessage()))
        .filter(summary -> !summary.isBuilt());
    return new ArtifactState(false, "Building", "Job " + jobName + " is building the artifact"
        + retried.map(r -> "; retrying after " + r.reason().code() + ": " + r.message()).orElse(""), false, previous);
  }

  /** The optimizer's container that ended last with a non-zero exit, among the build's pods. */
  private static Optional<ContainerStateTerminated> lastFailure(List<Pod> pods) {
    return pods.stream()
        .map(p -> terminated(p))
        .flatMap(Optional::stream)
        .filter(t -> !Objects.equals(t.getExitCode(), 0))
        .max(Comparator.comparing(t -> t.getFinishedAt() == null ? "" : t.getFinishedAt()));
  }

  static boolean jobCondition(Job job, String type) {
    return job.getStatus() != null && job.getStatus().getConditions() != null
        && job.getStatus().getConditions().stream()
            .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static Optional<ContainerStateTerminated> terminated(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
      if (ArtifactJobBuilder.CONTAINER.equals(cs.getName()) && cs.getState() != null
          && cs.getState().getTerminated() != null) {
        return Optional.of(cs.getState().getTerminated());
      }
    }
    return Optional.empty();
  }

  private static ArtifactStatus toStatus(BuildSummary s, String buildKey) {
    ArtifactStatus a = new ArtifactStatus();
    a.digest = s.digest();
    a.format = s.format();
    a.bytes = s.bytes();
    a.sourceBytes = s.sourceBytes();
    if (s.validation() != null) {
      a.validation = new ValidationReport();
      a.validation.samples = s.validation().samples();
      a.validation.maxAbsError = s.validation().maxAbsError();
      a.validation.top1Agreement = s.validation().top1Agreement();
    }
    a.buildKey = buildKey;
    return a;
  }

  private static String builtMessage(ArtifactStatus a, String jobName) {
    return a.digest + " built by Job " + jobName
        + (a.bytes == null ? "" : " (" + a.bytes + " bytes" + (a.sourceBytes == null ? "" : " from " + a.sourceBytes) + ")");
  }
}
