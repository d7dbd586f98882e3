package dev.modelship.operator.status;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.ArrayList;
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

  /**
   * The first stuck container or unschedulable pod among {@code pods}, by pod name for stability.
   *
   * @param containers names of the containers to look at, init containers included (a stuck init
   *     container, such as the artifact pull, keeps the others from starting)
   */
  static Optional<Problem> first(List<Pod> pods, String... containers) {
    return pods.stream()
        .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
        .map(p -> of(p, Set.of(containers)))
        .flatMap(Optional::stream)
        .findFirst();
  }

  static Optional<Problem> of(Pod pod, Set<String> containers) {
    String name = pod.getMetadata().getName();
    if (pod.getStatus() == null) {
      return Optional.empty();
    }
    List<ContainerStatus> statuses = new ArrayList<>();
    if (pod.getStatus().getInitContainerStatuses() != null) {
      statuses.addAll(pod.getStatus().getInitContainerStatuses());
    }
    if (pod.getStatus().getContainerStatuses() != null) {
      statuses.addAll(pod.getStatus().getContainerStatuses());
    }
    for (ContainerStatus cs : statuses) {
      String container = cs.getName();
      if (!containers.contains(container) || cs.getState() == null || cs.getState().getWaiting() == null) {
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
