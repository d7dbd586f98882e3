package dev.modelship.e2e.cluster;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import dev.modelship.operator.contract.OptimizerRuns;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.awaitility.Awaitility;

/**
 * The kubelet's part in an artifact build, which no kubelet plays on the up.sh cluster: the real
 * job controller has made the build pod; this writes what a kubelet would once the optimizer in it
 * exited 0 — phase Succeeded and the optimizer's summary as the container's termination message.
 * The summary is one the real optimizer wrote ({@link OptimizerRuns}).
 */
public final class BuildPods {

  private BuildPods() {}

  /** Waits for the Job's one pod and marks it Succeeded with the summary of a real optimizer run. */
  public static void succeed(KubernetesClient client, String namespace, String jobName, OptimizerRuns.Run build,
      Duration timeout) {
    if (build.exitCode() != 0) {
      throw new IllegalArgumentException("the optimizer run failed: " + build.stdout());
    }
    Pod pod = Awaitility.await().atMost(timeout).until(() -> client.pods().inNamespace(namespace)
        .withLabel("batch.kubernetes.io/job-name", jobName).list().getItems(), (List<Pod> l) -> l.size() == 1).get(0);
    Container optimizer = pod.getSpec().getContainers().get(0);
    String t = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    pod.setStatus(new PodStatusBuilder(pod.getStatus())
        .withPhase("Succeeded")
        .withStartTime(t)
        .withContainerStatuses()
        .addNewContainerStatus()
          .withName(optimizer.getName())
          .withImage(optimizer.getImage()).withImageID("")
          .withReady(false).withRestartCount(0)
          .withNewState().withNewTerminated()
            .withExitCode(0).withReason("Completed").withStartedAt(t).withFinishedAt(t)
            .withMessage(build.terminationMessage())
          .endTerminated().endState()
        .endContainerStatus()
        .build());
    client.pods().inNamespace(namespace).resource(pod).updateStatus();
  }
}
