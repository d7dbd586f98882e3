package dev.modelship.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole control plane from e2e/cluster/up.sh (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler as local processes): controllers really run, and down.sh leaves nothing behind.
 * The cluster ({@link LocalControlPlane}, in target/) is shared with the other classes of the run;
 * this class stops it, so it runs last (junit-platform.properties orders classes by {@code @Order}).
 */
@ExtendWith(LocalControlPlane.Extension.class)
@Order(Integer.MAX_VALUE)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalControlPlaneIT {

  private static final Path CLUSTER_DIR = LocalControlPlane.CLUSTER_DIR;
  private static final String NS = "smoke";

  static LocalControlPlane cluster;
  static KubernetesClient client;

  @BeforeAll
  static void up() {
    cluster = LocalControlPlane.shared();
    client = cluster.newClient();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
  }

  @AfterAll
  static void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  private static ConditionFactory await() {
    return Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250));
  }

  @Test
  @Order(1)
  void isTheBuiltRelease() {
    assertThat(cluster.kubeconfig()).as("up.sh prints the kubeconfig path").isEqualTo(CLUSTER_DIR.resolve("kubeconfig"));
    assertThat(client.getKubernetesVersion().getGitVersion()).isEqualTo("v" + ControlPlaneBinaries.KUBERNETES_VERSION);
    assertThat(client.raw("/readyz")).isEqualTo("ok");
  }

  @Test
  @Order(2)
  void deploymentGetsReplicaSetAndPodsFromTheControllerManager() {
    Deployment deployment = client.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder()
        .withNewMetadata().withName("web").endMetadata()
        .withNewSpec()
          .withReplicas(2)
          .withNewSelector().addToMatchLabels("app", "web").endSelector()
          .withNewTemplate()
            .withNewMetadata().addToLabels("app", "web").endMetadata()
            .withNewSpec()
              .addNewContainer().withName("web").withImage("registry.invalid/web:1").endContainer()
            .endSpec()
          .endTemplate()
        .endSpec()
        .build()).create();
    String deploymentUid = deployment.getMetadata().getUid();

    // The deployment controller creates a ReplicaSet it owns ...
    ReplicaSet rs = await().until(() -> client.apps().replicaSets().inNamespace(NS).list().getItems().stream()
        .filter(r -> isControlledBy(r.getMetadata().getOwnerReferences(), deploymentUid))
        .findFirst().orElse(null), r -> r != null);
    assertThat(rs.getSpec().getReplicas()).isEqualTo(2);

    // ... the ReplicaSet controller creates its Pods ...
    String rsUid = rs.getMetadata().getUid();
    await().until(() -> podsOwnedBy(rsUid).size(), n -> n == 2);

    // ... and the scheduler has looked at them: no node exists, so they are unschedulable.
    await().until(() -> podsOwnedBy(rsUid).stream().allMatch(p -> p.getStatus() != null
        && p.getStatus().getConditions().stream().anyMatch(c -> "PodScheduled".equals(c.getType())
            && "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()))));

    // The deployment controller reports back on the Deployment's status.
    await().until(() -> client.apps().deployments().inNamespace(NS).withName("web").get().getStatus(),
        s -> s != null && Integer.valueOf(2).equals(s.getReplicas()));

    // Deleting the Deployment garbage-collects its ReplicaSet and, through it, the Pods.
    client.apps().deployments().inNamespace(NS).withName("web").delete();
    await().until(() -> client.apps().replicaSets().inNamespace(NS).withName(rs.getMetadata().getName()).get() == null);
    await().until(() -> podsOwnedBy(rsUid).isEmpty());
  }

  @Test
  @Order(3)
  void deletingAnOwnerGarbageCollectsWhatItOwns() {
    ConfigMap owner = client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder()
        .withNewMetadata().withName("owner").endMetadata()
        .addToData("role", "owner").build()).create();
    OwnerReference ref = new OwnerReferenceBuilder()
        .withApiVersion("v1").withKind("ConfigMap")
        .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
        .build();
    for (String name : List.of("owned-1", "owned-2")) {
      client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder()
          .withNewMetadata().withName(name).withOwnerReferences(ref).endMetadata()
          .addToData("role", "owned").build()).create();
    }
    ConfigMap bystander = client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder()
        .withNewMetadata().withName("bystander").endMetadata().build()).create();

    client.configMaps().inNamespace(NS).withName("owner").delete();

    await().until(() -> client.configMaps().inNamespace(NS).withName("owned-1").get() == null
        && client.configMaps().inNamespace(NS).withName("owned-2").get() == null);
    assertThat(client.configMaps().inNamespace(NS).withName("bystander").get().getMetadata().getUid())
        .isEqualTo(bystander.getMetadata().getUid());
  }

  @Test
  @Order(4)
  void downLeavesNoProcessAndNoPortBehind() throws Exception {
    Map<String, Long> pids = new LinkedHashMap<>();
    for (String c : List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")) {
      long pid = Long.parseLong(Files.readString(CLUSTER_DIR.resolve("run").resolve(c + ".pid")).strip());
      assertThat(ProcessHandle.of(pid)).as("%s is running before down.sh", c).isPresent();
      pids.put(c, pid);
    }
    assertThat(processesOfThisCluster()).as("processes started for %s", CLUSTER_DIR)
        .containsExactlyInAnyOrderElementsOf(pids.values());
    client.close();

    LocalControlPlane.Result down = cluster.down();
    assertThat(down.exitCode()).as("down.sh failed:\n%s", down.output()).isZero();

    pids.forEach((c, pid) -> assertThat(isLiveProcess(pid)).as("%s (pid %d) after down.sh", c, pid).isFalse());
    assertThat(processesOfThisCluster()).as("stray processes of %s", CLUSTER_DIR).isEmpty();
    for (String var : List.of("ETCD_PORT", "ETCD_PEER_PORT", "APISERVER_PORT", "CONTROLLER_MANAGER_PORT",
        "SCHEDULER_PORT")) {
      int port = Integer.parseInt(cluster.env().get(var));
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThat(s.getLocalPort()).as(var).isEqualTo(port);
      }
    }
    assertThat(CLUSTER_DIR.resolve("run").resolve("cluster.env")).doesNotExist();
  }

  // ------------------------------------------------------------------ helpers

  private static boolean isControlledBy(List<OwnerReference> refs, String uid) {
    return refs != null && refs.stream().anyMatch(o -> uid.equals(o.getUid()) && Boolean.TRUE.equals(o.getController()));
  }

  private static List<Pod> podsOwnedBy(String uid) {
    return client.pods().inNamespace(NS).list().getItems().stream()
        .filter(p -> isControlledBy(p.getMetadata().getOwnerReferences(), uid))
        .toList();
  }

  /** A process that exists and is not a zombie. */
  private static boolean isLiveProcess(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  /** Pids of live processes whose command line names this cluster's directory. */
  private static List<Long> processesOfThisCluster() throws IOException {
    List<Long> found = new ArrayList<>();
    String dir = CLUSTER_DIR.toString();
    long self = ProcessHandle.current().pid();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        long pid = Long.parseLong(p.getFileName().toString());
        if (pid == self) {
          continue;
        }
        try {
          String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
          if (cmdline.contains(dir) && isLiveProcess(pid)) {
            found.add(pid);
          }
        } catch (IOException gone) {
          // exited while we looked
        }
      }
    }
    return found;
  }
}
