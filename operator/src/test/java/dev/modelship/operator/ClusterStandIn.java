package dev.modelship.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelship.operator.contract.OptimizerRuns.Run;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * What the controllers and the kubelet of a full cluster would write, for integration tests that
 * run a real kube-apiserver without them (fabric8 kube-api-test).
 */
public final class ClusterStandIn {

  private ClusterStandIn() {}

  /** A real kube-apiserver and etcd, offline: the binaries must already be there (e2e/cluster/build.sh). */
  public static KubeAPIServer startApiServer() {
    KubeAPIServer apiServer = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion(KubernetesRelease.VERSION)
        .withOfflineMode(true)
        .withUpdateKubeConfig(false)
        .build());
    try {
      apiServer.start();
    } catch (RuntimeException e) {
      throw new IllegalStateException("kube-apiserver/etcd " + KubernetesRelease.VERSION + " are needed in "
          + "${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/" + KubernetesRelease.VERSION + "-linux-amd64/: run e2e/cluster/build.sh", e);
    }
    return apiServer;
  }

  /** What the Job controller and the kubelet write when the optimizer exits 0 with its summary. */
  public static void completeJob(KubernetesClient client, String ns, Job job, Run build) {
    assertThat(build.exitCode()).as(build.stdout()).isZero();
    terminatedPod(client, ns, job, 0, build.terminationMessage(), "Completed");
    String t = now();
    job = client.batch().v1().jobs().inNamespace(ns).withName(job.getMetadata().getName()).get();
    job.setStatus(new JobStatusBuilder()
        .withStartTime(t).withCompletionTime(t).withSucceeded(1).withReady(0).withTerminating(0)
        .withNewUncountedTerminatedPods().endUncountedTerminatedPods()
        .withConditions(
            new JobConditionBuilder().withType("SuccessCriteriaMet").withStatus("True").withReason("CompletionsReached")
                .withMessage("Reached expected number of succeeded pods").withLastProbeTime(t).withLastTransitionTime(t).build(),
            new JobConditionBuilder().withType("Complete").withStatus("True").withReason("CompletionsReached")
                .withMessage("Reached expected number of succeeded pods").withLastProbeTime(t).withLastTransitionTime(t).build())
        .build());
    client.batch().v1().jobs().inNamespace(ns).resource(job).updateStatus();
  }

  /** What the Job controller and the kubelet write when the optimizer fails deterministically: its pod failure policy fails the Job at once. */
  public static void failJob(KubernetesClient client, String ns, Job job, Run build) {
    Pod pod = terminatedPod(client, ns, job, build.exitCode(), build.terminationMessage(), "Error");
    String t = now();
    String message = "Container optimizer for pod " + ns + "/" + pod.getMetadata().getName() + " failed with exit code "
        + build.exitCode() + " matching FailJob rule at index 0";
    job = client.batch().v1().jobs().inNamespace(ns).withName(job.getMetadata().getName()).get();
    job.setStatus(new JobStatusBuilder()
        .withStartTime(t).withFailed(1).withReady(0).withTerminating(0)
        .withNewUncountedTerminatedPods().endUncountedTerminatedPods()
        .withConditions(
            new JobConditionBuilder().withType("FailureTarget").withStatus("True").withReason("PodFailurePolicy")
                .withMessage(message).withLastProbeTime(t).withLastTransitionTime(t).build(),
            new JobConditionBuilder().withType("Failed").withStatus("True").withReason("PodFailurePolicy")
                .withMessage(message).withLastProbeTime(t).withLastTransitionTime(t).build())
        .build());
    client.batch().v1().jobs().inNamespace(ns).resource(job).updateStatus();
  }

  /** A pod of the Job as the Job controller creates it, with the terminated state the kubelet reports. */
  public static Pod terminatedPod(KubernetesClient client, String ns, Job job, int exitCode, String message, String reason) {
    var template = job.getSpec().getTemplate();
    Pod pod = client.pods().inNamespace(ns).resource(new PodBuilder()
        .withNewMetadata()
          .withName(job.getMetadata().getName() + "-" + UUID.randomUUID().toString().substring(0, 5))
          .withLabels(template.getMetadata().getLabels())
        .endMetadata()
        .withSpec(template.getSpec())
        .build()).create();
    String t = now();
    pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder()
        .withPhase(exitCode == 0 ? "Succeeded" : "Failed")
        .addNewContainerStatus()
          .withName("optimizer").withImage(template.getSpec().getContainers().get(0).getImage()).withImageID("")
          .withReady(false).withRestartCount(0)
          .withNewState().withNewTerminated()
            .withExitCode(exitCode).withReason(reason).withMessage(message).withStartedAt(t).withFinishedAt(t)
          .endTerminated().endState()
        .endContainerStatus()
        .build());
    return client.pods().inNamespace(ns).resource(pod).updateStatus();
  }

  /** What the deployment controller writes once it has rolled out the current template. */
  public static void setDeploymentStatus(KubernetesClient client, String ns, String name, int replicas, int updated, int available) {
    Deployment d = client.apps().deployments().inNamespace(ns).withName(name).get();
    d.setStatus(new DeploymentStatusBuilder()
        .withObservedGeneration(d.getMetadata().getGeneration())
        .withReplicas(replicas).withUpdatedReplicas(updated).withReadyReplicas(available)
        .withAvailableReplicas(available).withUnavailableReplicas(replicas - available)
        .build());
    client.apps().deployments().inNamespace(ns).resource(d).updateStatus();
  }

  /** Applies a CustomResourceDefinition and waits until the API server serves it. */
  public static void applyCrd(KubernetesClient client, InputStream yaml) {
    var crd = client.load(yaml).items().get(0);
    client.resource(crd).serverSideApply();
    await().atMost(Duration.ofSeconds(30)).until(() -> client.apiextensions().v1().customResourceDefinitions()
        .withName(crd.getMetadata().getName()).get().getStatus().getConditions().stream()
        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())));
  }

  /** A namespace with the artifact store's claim, as the README has users create it. */
  public static void namespaceWithArtifactClaim(KubernetesClient client, String ns) {
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    client.persistentVolumeClaims().inNamespace(ns).resource(new PersistentVolumeClaimBuilder()
        .withNewMetadata().withName("modelship-artifacts").endMetadata()
        .withNewSpec().withAccessModes("ReadWriteMany")
          .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources()
        .endSpec().build()).create();
  }

  public static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
