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
import java.util.concurrent.TimeUnit;
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
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole control plane from e2e/cluster/up.sh (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler as local processes): controllers really run, and down.sh leaves nothing behind.
 * The cluster lives in target/ so it never touches a developer's own ~/.modelship/cluster.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalControlPlaneIT {

  private static final Duration UP_TIMEOUT = Duration.ofMinutes(3);
  private static final Path SCRIPTS = ControlPlaneBinaries.clusterScripts();
  private static final Path CLUSTER_DIR = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
      .resolve("target").resolve("e2e-cluster").toAbsolutePath();
  private static final String NS = "smoke";

  static KubernetesClient client;
  static Map<String, String> clusterEnv;
  static boolean downDone;

  @BeforeAll
  static void up() throws Exception {
    ControlPlaneBinaries.requirePresent();
    // A run that was killed before its @AfterAll leaves its processes; down.sh stops exactly those.
    Result leftover = run(Duration.ofMinutes(1), "down.sh");
    assertThat(leftover.exitCode).as("down.sh before up.sh failed:\n%s", leftover.output).isZero();
    Result up = run(UP_TIMEOUT, "up.sh");
    assertThat(up.exitCode).as("up.sh failed:\n%s", up.output).isZero();
    Path kubeconfig = Path.of(up.stdout.strip());
    assertThat(kubeconfig).as("up.sh prints the kubeconfig path").isEqualTo(CLUSTER_DIR.resolve("kubeconfig"));
    clusterEnv = readEnv(CLUSTER_DIR.resolve("run").resolve("cluster.env"));
    client = new KubernetesClientBuilder()
        .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
        .build();
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
        .create();
  }

  @AfterAll
  static void downIfStillUp() throws Exception {
    if (client != null) {
      client.close();
    }
    if (!downDone) {
      run(Duration.ofMinutes(1), "down.sh");
    }
  }

  private static ConditionFactory await() {
    return Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250));
  }

  @Test
  @Order(1)
  void isTheBuiltRelease() {
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

    Result down = run(Duration.ofMinutes(1), "down.sh");
    downDone = true;
    assertThat(down.exitCode).as("down.sh failed:\n%s", down.output).isZero();

    pids.forEach((c, pid) -> assertThat(isLiveProcess(pid)).as("%s (pid %d) after down.sh", c, pid).isFalse());
    assertThat(processesOfThisCluster()).as("stray processes of %s", CLUSTER_DIR).isEmpty();
    for (String var : List.of("ETCD_PORT", "ETCD_PEER_PORT", "APISERVER_PORT", "CONTROLLER_MANAGER_PORT",
        "SCHEDULER_PORT")) {
      int port = Integer.parseInt(clusterEnv.get(var));
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

  private static Map<String, String> readEnv(Path file) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      int eq = line.indexOf('=');
      if (!line.startsWith("#") && eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return env;
  }

  record Result(int exitCode, String stdout, String output) {
  }

  private static Result run(Duration timeout, String script) throws Exception {
    Path log = Files.createTempFile("modelship-" + script, ".log");
    Path out = Files.createTempFile("modelship-" + script, ".out");
    ProcessBuilder pb = new ProcessBuilder("bash", SCRIPTS.resolve(script).toString())
        .redirectOutput(out.toFile())
        .redirectError(log.toFile());
    pb.environment().put("MODELSHIP_CLUSTER_DIR", CLUSTER_DIR.toString());
    pb.environment().put("MODELSHIP_CLUSTER_TIMEOUT", Long.toString(UP_TIMEOUT.toSeconds() - 10));
    Process p = pb.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(script + " did not finish in " + timeout + ":\n" + Files.readString(log));
    }
    String stdout = Files.readString(out);
    String stderr = Files.readString(log);
    System.err.print(stderr);
    Files.deleteIfExists(log);
    Files.deleteIfExists(out);
    return new Result(p.exitValue(), stdout, stderr + stdout);
  }
}
