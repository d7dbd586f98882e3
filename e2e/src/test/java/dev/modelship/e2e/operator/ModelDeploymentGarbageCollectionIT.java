package dev.modelship.e2e.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.modelship.e2e.cluster.ControlPlaneBinaries;
import dev.modelship.e2e.cluster.BuildPods;
import dev.modelship.e2e.cluster.LocalControlPlane;
import dev.modelship.e2e.cluster.Namespaces;
import dev.modelship.operator.ModelshipOperator;
import dev.modelship.operator.OperatorActivity;
import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.contract.OptimizerRuns;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * The operator (in this JVM) on the e2e/cluster/up.sh control plane, where the job, deployment,
 * replicaset, HPA, disruption and garbage-collector controllers really run: deleting a
 * ModelDeployment removes everything it made, whether kubectl deletes it in the background
 * (the default) or in the foreground (--cascade=foreground, as GitOps tools may), and leaves
 * another ModelDeployment's objects alone. There is no kubelet: the test writes only what a kubelet
 * would, the terminated optimizer container of the artifact Job's pod.
 */
@ExtendWith(LocalControlPlane.Extension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModelDeploymentGarbageCollectionIT {

  static final String NS = "gc";
  static final String KEEP_NS = "gc-keep";
  static final Duration SETTLE = Duration.ofSeconds(90);
  /** The garbage collector's work for two ModelDeployments, each with a few objects and pods. */
  static final Duration GC_BOUND = Duration.ofSeconds(60);
  static final String LABEL_MD = "modelship.dev/model-deployment";

  static KubernetesClient client;
  static KubernetesClient operatorClient;
  static Operator operator;
  static SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  /** Every request of the operator's client other than GET, as "METHOD path", in order. */
  static final List<String> operatorWrites = Collections.synchronizedList(new ArrayList<>());
  static final OperatorLog operatorLog = new OperatorLog();

  @BeforeAll
  static void installCrdAndStartOperator() throws Exception {
    LocalControlPlane cluster = LocalControlPlane.shared();
    client = cluster.newClient();
    try (InputStream crd = Files.newInputStream(repository().resolve("crds/modeldeployments.modelship.dev-v1.yml"))) {
      client.load(crd).serverSideApply();
    }
    await(Duration.ofSeconds(30)).until(() -> client.apiextensions().v1().customResourceDefinitions()
        .withName("modeldeployments.modelship.dev").get().getStatus().getConditions().stream()
        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())));
    for (String ns : List.of(NS, KEEP_NS)) {
      Namespaces.createWithArtifactClaim(client, ns);
    }

    operatorLog.start();
    operatorClient = new KubernetesClientBuilder().withConfig(cluster.config())
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("record-writes", new Interceptor() {
          @Override
          public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if (!"GET".equals(request.method())) {
              operatorWrites.add(request.method() + " " + request.uri().getPath());
            }
          }
        }))
        .build();
    // The settings a user gives the operator, through the environment variables it reads.
    OperatorConfig config = OperatorConfig.fromEnvironment(Map.of(
        "MODELSHIP_LEADER_ELECTION", "false",
        "MODELSHIP_METRICS_PORT", "0",
        "MODELSHIP_SHUTDOWN_GRACE_SECONDS", "5"));
    operator = ModelshipOperator.create(operatorClient, config, metrics, () -> {});
    operator.start();
  }

  @AfterAll
  static void stopOperator() {
    if (operator != null) {
      operator.stop();
    }
    operatorLog.stop();
    if (operatorClient != null) {
      operatorClient.close();
    }
    if (client != null) {
      client.close();
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void deletingAModelDeploymentGarbageCollectsEverythingItOwned() throws Exception {
    // Two replicas at least: HPA and PodDisruptionBudget too, so every kind the operator owns is there.
    for (String[] md : new String[][] {{NS, "background"}, {NS, "foreground"}, {KEEP_NS, "bystander"}}) {
      client.resource(modelDeployment(md[0], md[1], "https://models.example/" + md[1] + "-v1.onnx")).create();
    }
    for (String[] md : new String[][] {{NS, "background"}, {NS, "foreground"}, {KEEP_NS, "bystander"}}) {
      buildArtifactAndAwaitServing(md[0], md[1]);
    }
    // A model change: a second build Job, still running when the ModelDeployment goes. The first
    // Job stays until then (the operator never deletes Jobs; the garbage collector does).
    ModelDeployment background = client.resources(ModelDeployment.class).inNamespace(NS).withName("background").get();
    background.getSpec().model.uri = "https://models.example/background-v2.onnx";
    client.resource(background).update();
    await(SETTLE).until(() -> jobsOf(NS, "background").size() == 2
        && podsOf(NS, "background", "artifact-builder").size() == 2);

    Map<String, String> bystanderBefore = inventory(KEEP_NS, Set.of("bystander"));
    Map<String, String> owned = inventory(NS, Set.of("background", "foreground"));
    Set<String> ownerUids = new HashSet<>(owned.values());
    // Independently of how the operator names them: what it owns directly, per ModelDeployment.
    for (String md : List.of("background", "foreground")) {
      String uid = client.resources(ModelDeployment.class).inNamespace(NS).withName(md).get().getMetadata().getUid();
      ownerUids.add(uid);
      assertThat(kindsOwnedBy(NS, uid)).as("objects whose owner is ModelDeployment %s", md)
          .containsExactlyInAnyOrderElementsOf(md.equals("background")
              ? List.of("Job", "Job", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget")
              : List.of("Job", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"));
    }
    // ... and what the controllers made from those: ReplicaSets, pods, EndpointSlices.
    assertThat(owned.keySet()).anyMatch(k -> k.startsWith("ReplicaSet/"))
        .anyMatch(k -> k.startsWith("EndpointSlice/"))
        .filteredOn(k -> k.startsWith("Pod/")).hasSizeGreaterThanOrEqualTo(5);

    OperatorActivity activity = new OperatorActivity(metrics);
    awaitNoOperatorWritesFor(Duration.ofSeconds(3));
    activity.awaitIdleWhen(SETTLE, () -> true);
    int writesBeforeDelete = operatorWrites.size();
    // The recorder sees the operator's writes: it created these objects and patched statuses.
    assertThat(writesSince(0)).anyMatch(w -> w.contains("/namespaces/" + NS + "/"));
    // A retried 409 while the objects were being built is normal (see ModelDeploymentReconciler);
    // what counts is that the deletes cause none.
    double failedBefore = failedReconciles();
    double deletionsBefore = activity.deletionsHandled();
    client.resources(ModelDeployment.class).inNamespace(NS).withName("background")
        .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    client.resources(ModelDeployment.class).inNamespace(NS).withName("foreground")
        .withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();

    long t0 = System.nanoTime();
    await(GC_BOUND).untilAsserted(() -> {
      assertThat(client.resources(ModelDeployment.class).inNamespace(NS).list().getItems()).isEmpty();
      assertThat(inventory(NS, Set.of("background", "foreground"))).as("labelled objects left").isEmpty();
      assertThat(objectsOwnedByAnyOf(NS, ownerUids)).as("objects whose owner was deleted").isEmpty();
    });
    System.err.printf("garbage collected %d objects in %.1f s%n", owned.size(), (System.nanoTime() - t0) / 1e9);

    // The other ModelDeployment keeps every object, unchanged (same UIDs).
    assertThat(inventory(KEEP_NS, Set.of("bystander"))).isEqualTo(bystanderBefore);

    // The operator let the garbage collector work: once it has handled both deletions and has
    // nothing running or queued, it writes nothing more in the namespace and nothing comes back, and
    // nothing failed. (A reconcile that a pod event started from the informer's copy of a
    // ModelDeployment just deleted may still patch once, before the deletion reaches that copy: the
    // watch of ModelDeployments and the watch of pods are not ordered. Those writes are printed; the
    // garbage collector removes whatever they touched, which the inventory below checks.)
    activity.awaitIdleWhen(SETTLE, () -> activity.deletionsHandled() >= deletionsBefore + 2);
    int writesAtHandled = operatorWrites.size();
    List<String> raced = writesSince(writesBeforeDelete).stream()
        .filter(w -> w.contains("/namespaces/" + NS + "/")).toList();
    if (!raced.isEmpty()) {
      System.err.println("writes that raced with the deletes (stale informer copy): " + raced);
    }
    awaitNoOperatorWritesFor(Duration.ofSeconds(3));
    assertThat(writesSince(writesAtHandled))
        .as("operator requests other than GET after it handled the deletes")
        .noneMatch(w -> w.contains("/namespaces/" + NS + "/"));
    await(GC_BOUND).untilAsserted(() -> {
      assertThat(inventory(NS, Set.of("background", "foreground"))).as("labelled objects back").isEmpty();
      assertThat(objectsOwnedByAnyOf(NS, ownerUids)).as("objects whose owner was deleted, back").isEmpty();
    });
    assertThat(failedReconciles()).as("failed reconciles after the deletes").isEqualTo(failedBefore);
    assertThat(operator.getRuntimeInfo().allEventSourcesAreHealthy()).isTrue();
    assertThat(operatorLog.problems()).as("ERROR lines, and WARN lines of the operator or JOSDK").isEmpty();
  }

  @Test
  @Order(2)
  void kubectlGetShowsTheColumnsInTheirIntendedOrder() throws Exception {
    Path kubectl = ControlPlaneBinaries.directory().resolve("kubectl");
    Process p = new ProcessBuilder(kubectl.toString(), "--kubeconfig", LocalControlPlane.shared().kubeconfig().toString(),
        "get", "md", "-n", KEEP_NS).redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(p.exitValue()).as("kubectl get md: %s", lines).isZero();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).split("\\s+")).containsExactly("NAME", "READY", "REPLICAS", "FORMAT", "RPS", "P99", "AGE");
    // Built but with no pod running (no kubelet): not ready, no replicas available, an ONNX artifact.
    assertThat(lines.get(1).split("\\s+")).startsWith("bystander", "False", "0", "onnx");
  }

  // ---------------------------------------------------------------------------------------------

  static ModelDeployment modelDeployment(String ns, String name, String uri) {
    ModelDeployment md = Serialization.unmarshal("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: %s, namespace: %s}
        spec:
          model: {uri: "%s"}
          autoscaling: {minReplicas: 2, maxReplicas: 3}
        """.formatted(name, ns, uri), ModelDeployment.class);
    return md;
  }

  /**
   * The real job controller has made the build pod; the test plays the kubelet that would run the
   * optimizer in it (exit 0, its summary as termination message). The job controller then marks the
   * Job complete, the operator creates the Deployment, HPA and PDB, and the controllers the rest.
   */
  static void buildArtifactAndAwaitServing(String ns, String md) {
    Job job = await(SETTLE).until(() -> jobsOf(ns, md), jobs -> jobs.size() == 1).get(0);
    OptimizerRuns.Run build = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--samples", "256");
    String digest = build.digest();
    BuildPods.succeed(client, ns, job.getMetadata().getName(), build, SETTLE);

    // The job controller counts the pod and completes the Job ...
    await(SETTLE).until(() -> client.batch().v1().jobs().inNamespace(ns).withName(job.getMetadata().getName()).get()
        .getStatus(), s -> s != null && Integer.valueOf(1).equals(s.getSucceeded()) && s.getConditions() != null
        && s.getConditions().stream().anyMatch(c -> "Complete".equals(c.getType()) && "True".equals(c.getStatus())));
    // ... the operator reports the artifact and serves it: Deployment (→ ReplicaSet → pods), HPA, PDB.
    await(SETTLE).until(() -> client.resources(ModelDeployment.class).inNamespace(ns).withName(md).get(),
        m -> m.getStatus() != null && m.getStatus().artifact != null && digest.equals(m.getStatus().artifact.digest));
    await(SETTLE).until(() -> client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).withName(md).get() != null
        && client.policy().v1().podDisruptionBudget().inNamespace(ns).withName(md).get() != null
        && client.apps().replicaSets().inNamespace(ns).withLabel(LABEL_MD, md).list().getItems().size() == 1
        // minReplicas 2: the HPA controller scales the Deployment up from its default of 1 (no metrics needed)
        && podsOf(ns, md, "inference-server").size() == 2);
  }

  static List<Job> jobsOf(String ns, String md) {
    return client.batch().v1().jobs().inNamespace(ns).withLabel(LABEL_MD, md).list().getItems();
  }

  static List<Pod> podsOf(String ns, String md, String component) {
    return client.pods().inNamespace(ns).withLabel(LABEL_MD, md)
        .withLabel("app.kubernetes.io/component", component).list().getItems();
  }

  /** The kinds that the controllers and the operator make, listed in a namespace. */
  static Stream<HasMetadata> everything(String ns) {
    return Stream.<List<? extends HasMetadata>>of(
            client.batch().v1().jobs().inNamespace(ns).list().getItems(),
            client.pods().inNamespace(ns).list().getItems(),
            client.apps().deployments().inNamespace(ns).list().getItems(),
            client.apps().replicaSets().inNamespace(ns).list().getItems(),
            client.services().inNamespace(ns).list().getItems(),
            client.discovery().v1().endpointSlices().inNamespace(ns).list().getItems(),
            client.autoscaling().v2().horizontalPodAutoscalers().inNamespace(ns).list().getItems(),
            client.policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems())
        .flatMap(List::stream);
  }

  /**
   * Objects that belong to the given ModelDeployments, "Kind/name" → UID: labelled with one of
   * their names, or (EndpointSlices, which the endpointslice controller labels by Service) owned by
   * such an object.
   */
  static Map<String, String> inventory(String ns, Set<String> mds) {
    List<HasMetadata> all = everything(ns).toList();
    Set<String> uids = new HashSet<>();
    Map<String, String> found = new TreeMap<>();
    for (HasMetadata o : all) {
      Map<String, String> labels = o.getMetadata().getLabels();
      if (labels != null && mds.contains(labels.get(LABEL_MD))) {
        found.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getUid());
        uids.add(o.getMetadata().getUid());
      }
    }
    for (HasMetadata o : all) {
      if (owners(o).anyMatch(uids::contains)) {
        found.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getUid());
      }
    }
    return found;
  }

  static List<String> kindsOwnedBy(String ns, String uid) {
    return everything(ns).filter(o -> owners(o).anyMatch(uid::equals)).map(HasMetadata::getKind).toList();
  }

  static Set<String> objectsOwnedByAnyOf(String ns, Set<String> uids) {
    Set<String> found = new TreeSet<>();
    everything(ns).filter(o -> owners(o).anyMatch(uids::contains))
        .forEach(o -> found.add(o.getKind() + "/" + o.getMetadata().getName()));
    return found;
  }

  static Stream<String> owners(HasMetadata o) {
    List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
    return refs == null ? Stream.empty() : refs.stream().map(OwnerReference::getUid);
  }

  static void awaitNoOperatorWritesFor(Duration quiet) {
    int[] last = {-1};
    long[] since = {System.nanoTime()};
    await(SETTLE).pollInterval(Duration.ofMillis(500)).until(() -> {
      int n = operatorWrites.size();
      if (n != last[0]) {
        last[0] = n;
        since[0] = System.nanoTime();
      }
      return System.nanoTime() - since[0] >= quiet.toNanos();
    });
  }

  static List<String> writesSince(int index) {
    synchronized (operatorWrites) {
      return List.copyOf(operatorWrites.subList(index, operatorWrites.size()));
    }
  }

  static double failedReconciles() {
    return metrics.find("operator.sdk.reconciliations.failed").counters().stream().mapToDouble(Counter::count).sum();
  }

  static ConditionFactory await(Duration atMost) {
    return Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(250));
  }

  static Path repository() {
    Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    return Files.isDirectory(module.resolve("crds")) ? module : module.getParent();
  }

  /**
   * The operator logs through slf4j-simple to System.err; this keeps a copy of what is written
   * there while the operator runs (still printing it) so the test can read its WARN and ERROR lines.
   */
  static final class OperatorLog {
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();
    private PrintStream original;

    synchronized void start() {
      original = System.err;
      OutputStream tee = new OutputStream() {
        @Override
        public void write(int b) {
          original.write(b);
          synchronized (copy) {
            copy.write(b);
          }
        }

        @Override
        public void write(byte[] b, int off, int len) {
          original.write(b, off, len);
          synchronized (copy) {
            copy.write(b, off, len);
          }
        }
      };
      System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
    }

    synchronized void stop() {
      if (original != null) {
        System.setErr(original);
      }
    }

    /**
     * Lines at ERROR from any logger, and at WARN from the operator or JOSDK (fabric8's client warns
     * once that v1alpha1 is not a stable version; that is no problem of the operator's).
     */
    List<String> problems() {
      String text;
      synchronized (copy) {
        text = copy.toString(StandardCharsets.UTF_8);
      }
      // slf4j-simple: "[thread] LEVEL logger - message"
      return Arrays.stream(text.split("\n"))
          .filter(l -> l.matches("^\\[.*] (ERROR \\S+|WARN (dev\\.modelship|io\\.javaoperatorsdk)\\.\\S+) - .*"))
          .toList();
    }
  }
}
