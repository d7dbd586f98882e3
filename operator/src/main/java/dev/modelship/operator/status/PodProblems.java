package dev.modelship.operator.status;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Finds the reason a pod is stuck, in the words the kubelet and the scheduler use. */
final class PodProblems {

  /** Waiting reasons that do not clear up by themselves. */
  private static final Set<String> STUCK = Set.of(
      "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
      "CreateContainerConfigError", "CreateContainerError", "RunContainerError");

  record Problem(String reason, String message) {}

  private PodProblems() {}

  /** The first stuck container or unschedulable pod among {@code pods}, by pod name for stability. */
  static Optional<Problem> first(List<Pod> pods, String container) {
    return pods.stream()
        .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
        .map(p -> of(p, container))
        .flatMap(Optional::stream)
        .findFirst();
  }

  static Optional<Problem> of(Pod pod, String container) {
    String name = pod.getMetadata().getName();
    if (pod.getStatus() == null) {
      return Optional.empty();
    }
    if (pod.getStatus().getContainerStatuses() != null) {
      for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
        if (!container.equals(cs.getName()) || cs.getState() == null || cs.getState().getWaiting() == null) {
          continue;
        }
        String reason = cs.getState().getWaiting().getReason();
        if (reason != null && STUCK.contains(reason)) {
          String detail = cs.getState().getWaiting().getMessage();
          if ("CrashLoopBackOff".equals(reason) && cs.getLastState() != null
              && cs.getLastState().getTerminated() != null) {
            var t = cs.getLastState().getTerminated();
            detail = "last exit code " + t.getExitCode()
                + (t.getReason() == null ? "" : " (" + t.getReason() + ")")
                + (t.getMessage() == null ? "" : ": " + t.getMessage());
          }
          return Optional.of(new Problem(reason,
              "pod " + name + ", container " + container + ": " + reason
                  + (detail == null || detail.isBlank() ? "" : ": " + detail)));
        }
      }
    }
    if (pod.getStatus().getConditions() != null) {
      for (PodCondition c : pod.getStatus().getConditions()) {
        if ("PodScheduled".equals(c.getType()) && "False".equals(c.getStatus())
            && "Unschedulable".equals(c.getReason())) {
          return Optional.of(new Problem("Unschedulable",
              "pod " + name + " cannot be scheduled: " + c.getMessage()));
        }
      }
    }
    return Optional.empty();
  }
}
