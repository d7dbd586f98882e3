package dev.modelship.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import dev.modelship.e2e.cluster.BuildPods;
import dev.modelship.e2e.cluster.ControlPlaneBinaries;
import dev.modelship.e2e.cluster.LocalControlPlane;
import dev.modelship.e2e.cluster.Namespaces;
import dev.modelship.operator.ModelshipOperator;
import dev.modelship.operator.OperatorActivity;
import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.contract.OptimizerRuns;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
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
 * The Helm chart as a user installs it, on the e2e/cluster/up.sh control plane (RBAC on): helm
 * install is accepted, the CRD is established, the operator's pod passes the restricted Pod
 * Security Standard; then the operator runs in this JVM <em>as the chart's ServiceAccount</em>
 * (impersonated), with leader election and the chart's settings, takes a ModelDeployment all the
 * way to Job, Deployment, Service, HPA, PDB, status and Events, and not one of its requests is
 * refused. A few things it must not be allowed to do are refused. helm uninstall removes the
 * operator and its RBAC and keeps the CRD.
 */
@ExtendWith(LocalControlPlane.Extension.class)
// First of the shared-cluster classes: the CRD must not be there before helm installs it.
@Order(1)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmChartIT {

  static final String RELEASE = "modelship";
  static final String SYSTEM_NS = "modelship-system";
  /** The chart names everything "<release>-operator". */
  static final String OPERATOR = "modelship-operator";
  static final String SERVICE_ACCOUNT_USER = "system:serviceaccount:" + SYSTEM_NS + ":" + OPERATOR;
  static final String NS = "helm-models";
  static final String MD = "fraud";
  static final String CRD = "modeldeployments.modelship.dev";
  static final Duration SETTLE = Duration.ofSeconds(90);

  static LocalControlPlane cluster;
  static KubernetesClient admin;
  static KubernetesClient operatorClient;
  static Operator operator;
  static final SimpleMeterRegistry operatorMetrics = new SimpleMeterRegistry();
  static OperatorActivity operatorActivity;
  static boolean uninstalled;
  /** Every request of the operator's client, "METHOD path?query", and those answered 401 or 403. */
  static final List<String> operatorRequests = Collections.synchronizedList(new ArrayList<>());
  static final List<String> refused = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void connect() {
    cluster = LocalControlPlane.shared();
    admin = cluster.newClient();
  }

  @AfterAll
  static void cleanUp() throws Exception {
    stopOperator();
    if (admin != null) {
      // Leave nothing that the next classes' operator (watching all namespaces) would reconcile.
      admin.resources(ModelDeployment.class).inNamespace(NS).withName(MD).delete();
      admin.namespaces().withName(NS).delete();
      if (!uninstalled) {
        helm("uninstall", RELEASE, "--namespace", SYSTEM_NS);
      }
      admin.apiextensions().v1().customResourceDefinitions().withName(CRD).delete();
      admin.close();
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void helmInstallsTheChart() throws Exception {
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName(CRD).get())
        .as("the CRD before helm install (another class installed it first?)").isNull();
    // What a cluster admin does for the operator's namespace: enforce the restricted Pod Security
    // Standard, so the API server itself rejects the operator's pod if the chart loosens it.
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(SYSTEM_NS)
        .addToLabels("pod-security.kubernetes.io/enforce", "restricted").endMetadata().build()).create();

    Result install = helm("install", RELEASE, repository().resolve("helm/modelship").toString(),
        "--namespace", SYSTEM_NS);
    assertThat(install.exitCode).as("helm install:\n%s", install.output).isZero();
    assertThat(install.output).contains("STATUS: deployed");

    await().untilAsserted(() -> assertThat(admin.apiextensions().v1().customResourceDefinitions().withName(CRD).get()
        .getStatus().getConditions()).anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())));

    Deployment deployment = admin.apps().deployments().inNamespace(SYSTEM_NS).withName(OPERATOR).get();
    assertThat(deployment).as("Deployment %s/%s", SYSTEM_NS, OPERATOR).isNotNull();
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo(OPERATOR);
    assertThat(admin.serviceAccounts().inNamespace(SYSTEM_NS).withName(OPERATOR).get()).isNotNull();
    assertThat(pod.getContainers()).hasSize(1);
    Container container = pod.getContainers().get(0);
    PodSecurityContext podSc = pod.getSecurityContext() == null ? new PodSecurityContext() : pod.getSecurityContext();
    SecurityContext sc = container.getSecurityContext() == null ? new SecurityContext() : container.getSecurityContext();
    // The container's setting wins over the pod's, as the kubelet applies them.
    assertThat(first(sc.getRunAsNonRoot(), podSc.getRunAsNonRoot())).as("runAsNonRoot").isTrue();
    assertThat(sc.getReadOnlyRootFilesystem()).as("readOnlyRootFilesystem").isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).as("allowPrivilegeEscalation").isFalse();
    assertThat(sc.getCapabilities().getDrop()).as("capabilities dropped").containsExactly("ALL");
    assertThat(sc.getCapabilities().getAdd()).as("capabilities added").isNullOrEmpty();
    assertThat(first(sc.getSeccompProfile(), podSc.getSeccompProfile()).getType()).isEqualTo("RuntimeDefault");
    assertThat(first(sc.getPrivileged(), false)).as("privileged").isFalse();

    // The replicaset controller's pod got past Pod Security admission (restricted); no kubelet runs it.
    await().untilAsserted(() -> assertThat(admin.pods().inNamespace(SYSTEM_NS)
        .withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()).hasSize(1));

    assertThat(admin.rbac().clusterRoles().withName(OPERATOR).get()).isNotNull();
    assertThat(admin.rbac().clusterRoleBindings().withName(OPERATOR).get().getSubjects())
        .anyMatch(s -> "ServiceAccount".equals(s.getKind()) && OPERATOR.equals(s.getName())
            && SYSTEM_NS.equals(s.getNamespace()));
  }

  @Test
  @Order(2)
  void theOperatorDoesItsWorkAsTheChartsServiceAccount() throws Exception {
    Namespaces.createWithArtifactClaim(admin, NS);   // the claim the chart's default settings name

    Map<String, String> env = chartEnvironment();
    // The chart's defaults, as values.yaml and operator/README.md document them.
    assertThat(env).containsEntry("MODELSHIP_LEADER_ELECTION", "true")
        .containsEntry("MODELSHIP_LEADER_ELECTION_NAMESPACE", SYSTEM_NS)
        .containsEntry("MODELSHIP_ARTIFACT_STORE", "pvc")
        .containsEntry("MODELSHIP_ARTIFACT_PVC", "modelship-artifacts")
        .containsEntry("MODELSHIP_NAMESPACES", "");
    // Two local changes: the metrics port would collide with other processes here, and a short
    // shutdown keeps the test quick. Everything else is the chart's.
    env.put("MODELSHIP_METRICS_PORT", "0");
    env.put("MODELSHIP_SHUTDOWN_GRACE_SECONDS", "5");

    Config config = cluster.config();
    // The admin is in system:masters, which may impersonate; the API server then authorizes each
    // request as the ServiceAccount (with its groups), exactly as for the pod's own token.
    config.setImpersonateUsername(SERVICE_ACCOUNT_USER);
    try (KubernetesClient probe = new KubernetesClientBuilder().withConfig(config).build()) {
      // Proof that the impersonation took: this identity may not list namespaces.
      assertThatThrownBy(() -> probe.namespaces().list())
          .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403))
          .hasMessageContaining(SERVICE_ACCOUNT_USER);
    }
    operatorClient = new KubernetesClientBuilder().withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count-refusals", new Interceptor() {
          @Override
          public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
            String line = request.method() + " " + request.uri().getRawPath()
                + (request.uri().getRawQuery() == null ? "" : "?" + request.uri().getRawQuery());
            operatorRequests.add(line);
            if (response.code() == 401 || response.code() == 403) {
              refused.add(response.code() + " " + line);
            }
          }
        }))
        .build();
    operatorActivity = new OperatorActivity(operatorMetrics);
    operator = ModelshipOperator.create(operatorClient, OperatorConfig.fromEnvironment(env), operatorMetrics, () -> {});
    operator.start();

    // Leader election (the Lease Role): this process holds the chart's Lease before it reconciles.
    await().untilAsserted(() -> {
      Lease lease = admin.leases().inNamespace(SYSTEM_NS).withName(ModelshipOperator.LEASE_NAME).get();
      assertThat(lease).isNotNull();
      assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();
    });

    ModelDeployment md = admin.resource(Serialization.unmarshal("""
        apiVersion: modelship.dev/v1alpha1
        kind: ModelDeployment
        metadata: {name: %s, namespace: %s}
        spec:
          model: {uri: "https://models.example/fraud-v1.onnx"}
          autoscaling: {minReplicas: 2, maxReplicas: 3}
        """.formatted(MD, NS), ModelDeployment.class)).create();
    String uid = md.getMetadata().getUid();
    OptimizerRuns.Run build = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--samples", "256");
    String digest = build.digest();
    playTheKubeletForTheBuild(build);

    // Everything the operator makes, each owned by the ModelDeployment. A refused request would
    // only show as a missing object after the timeout, so stop at the first one.
    await().failFast("a request of the operator was refused", () -> assertThat(refused).isEmpty()).untilAsserted(() -> {
      assertThat(ownedBy(uid, admin.batch().v1().jobs().inNamespace(NS).list().getItems())).hasSize(1);
      assertThat(ownedBy(uid, admin.apps().deployments().inNamespace(NS).list().getItems())).hasSize(1);
      assertThat(ownedBy(uid, admin.services().inNamespace(NS).list().getItems())).hasSize(1);
      assertThat(ownedBy(uid, admin.autoscaling().v2().horizontalPodAutoscalers().inNamespace(NS).list().getItems()))
          .hasSize(1);
      assertThat(ownedBy(uid, admin.policy().v1().podDisruptionBudget().inNamespace(NS).list().getItems())).hasSize(1);
    });
    // Status: the artifact the build reported, and conditions for this generation.
    await().untilAsserted(() -> {
      ModelDeployment now = admin.resources(ModelDeployment.class).inNamespace(NS).withName(MD).get();
      assertThat(now.getStatus()).isNotNull();
      assertThat(now.getStatus().artifact.digest).isEqualTo(digest);
      assertThat(now.getStatus().observedGeneration).isEqualTo(now.getMetadata().getGeneration());
      assertThat(now.getStatus().conditions).extracting(Condition::getType).contains("Ready", "ArtifactReady");
    });
    // Events: with no node, the serving pods are Unschedulable, which the operator reports as a Warning.
    await().untilAsserted(() -> assertThat(admin.v1().events().inNamespace(NS).list().getItems())
        .anyMatch(e -> MD.equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType())
            && "modelship-operator".equals(e.getReportingComponent())));

    // Once the operator has nothing running or queued, look at every answer its client got.
    operatorActivity.awaitIdleWhen(Duration.ofSeconds(60), () -> operatorActivity.reconcilesFinished() > 0);
    System.err.println("HelmChartIT: the operator's requests by verb and resource: " + verbsUsed());
    assertThat(operatorRequests).as("requests the interceptor saw").hasSizeGreaterThan(10);
    assertThat(refused).as("requests of the operator refused (401/403)").isEmpty();
    assertThat(operator.getRuntimeInfo().allEventSourcesAreHealthy()).isTrue();
  }

  @Test
  @Order(3)
  void theServiceAccountMayDoNoMore() throws Exception {
    // Sanity: the check says yes where the chart grants.
    assertThat(canI("get", "secrets", "-n", NS)).isEqualTo("yes");
    assertThat(canI("patch", "modeldeployments.modelship.dev", "--subresource=status", "-n", NS)).isEqualTo("yes");
    assertThat(canI("create", "leases.coordination.k8s.io", "-n", SYSTEM_NS)).isEqualTo("yes");
    // What an operator that only reconciles ModelDeployments has no business doing.
    assertThat(canI("delete", "namespaces")).isEqualTo("no");
    assertThat(canI("list", "secrets", "-n", NS)).isEqualTo("no");
    assertThat(canI("watch", "secrets", "-n", NS)).isEqualTo("no");
    assertThat(canI("create", "clusterroles.rbac.authorization.k8s.io")).isEqualTo("no");
    assertThat(canI("create", "rolebindings.rbac.authorization.k8s.io", "-n", NS)).isEqualTo("no");
    assertThat(canI("patch", "modeldeployments.modelship.dev", "-n", NS)).as("the user's spec").isEqualTo("no");
    assertThat(canI("update", "modeldeployments.modelship.dev", "-n", NS)).as("the user's spec").isEqualTo("no");
    assertThat(canI("create", "pods", "-n", NS)).isEqualTo("no");
    assertThat(canI("create", "pods/exec", "-n", NS)).isEqualTo("no");
    assertThat(canI("create", "leases.coordination.k8s.io", "-n", NS)).as("a Lease outside its namespace").isEqualTo("no");
    assertThat(canI("update", "customresourcedefinitions.apiextensions.k8s.io")).isEqualTo("no");
    // It applies (PATCH) what it owns and its status; it never replaces them.
    assertThat(canI("update", "deployments.apps", "-n", NS)).isEqualTo("no");
    assertThat(canI("update", "modeldeployments.modelship.dev", "--subresource=status", "-n", NS)).isEqualTo("no");
  }

  @Test
  @Order(4)
  void helmUninstallRemovesTheOperatorAndKeepsTheCrd() throws Exception {
    stopOperator();
    Result uninstall = helm("uninstall", RELEASE, "--namespace", SYSTEM_NS);
    assertThat(uninstall.exitCode).as("helm uninstall:\n%s", uninstall.output).isZero();
    uninstalled = true;
    await().untilAsserted(() -> {
      assertThat(admin.apps().deployments().inNamespace(SYSTEM_NS).withName(OPERATOR).get()).isNull();
      assertThat(admin.serviceAccounts().inNamespace(SYSTEM_NS).withName(OPERATOR).get()).isNull();
      assertThat(admin.services().inNamespace(SYSTEM_NS).withName(OPERATOR + "-metrics").get()).isNull();
      assertThat(admin.rbac().clusterRoles().withName(OPERATOR).get()).isNull();
      assertThat(admin.rbac().clusterRoleBindings().withName(OPERATOR).get()).isNull();
      assertThat(admin.rbac().roles().inNamespace(SYSTEM_NS).list().getItems()).isEmpty();
      assertThat(admin.rbac().roleBindings().inNamespace(SYSTEM_NS).list().getItems()).isEmpty();
    });
    assertThat(canI("list", "modeldeployments.modelship.dev", "-n", NS)).as("after uninstall").isEqualTo("no");
    // Helm never deletes what it installed from crds/ (that would delete every ModelDeployment).
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName(CRD).get()).isNotNull();
    assertThat(admin.resources(ModelDeployment.class).inNamespace(NS).withName(MD).get()).isNotNull();

    // Leave a clean cluster for the next classes: their operator watches all namespaces.
    admin.resources(ModelDeployment.class).inNamespace(NS).withName(MD).delete();
    await().until(() -> admin.resources(ModelDeployment.class).inNamespace(NS).withName(MD).get() == null);
    admin.namespaces().withName(NS).delete();
    await().until(() -> admin.namespaces().withName(NS).get() == null);
    // ... and without the CRD, which the next classes install themselves (a server-side apply
    // over helm's copy would conflict with helm's field manager).
    admin.apiextensions().v1().customResourceDefinitions().withName(CRD).delete();
    await().until(() -> admin.apiextensions().v1().customResourceDefinitions().withName(CRD).get() == null);
  }

  // ---------------------------------------------------------------------------------------------

  /** What a kubelet would write: the build pod's optimizer exited 0 with its summary as termination message. */
  static void playTheKubeletForTheBuild(OptimizerRuns.Run build) {
    Job job = await().until(() -> admin.batch().v1().jobs().inNamespace(NS).list().getItems(), l -> l.size() == 1).get(0);
    BuildPods.succeed(admin, NS, job.getMetadata().getName(), build, Duration.ofSeconds(60));
  }

  /** The operator container's environment as the API server stored it, with the Downward API resolved. */
  static Map<String, String> chartEnvironment() {
    Container c = admin.apps().deployments().inNamespace(SYSTEM_NS).withName(OPERATOR).get()
        .getSpec().getTemplate().getSpec().getContainers().get(0);
    Map<String, String> env = new HashMap<>();
    for (EnvVar v : c.getEnv()) {
      if (v.getValueFrom() == null) {
        env.put(v.getName(), v.getValue() == null ? "" : v.getValue());
      } else {
        assertThat(v.getValueFrom().getFieldRef().getFieldPath()).as(v.getName()).isEqualTo("metadata.namespace");
        env.put(v.getName(), SYSTEM_NS);
      }
    }
    return env;
  }

  static List<HasMetadata> ownedBy(String uid, List<? extends HasMetadata> objects) {
    return objects.stream().filter(o -> o.getMetadata().getOwnerReferences() != null
        && o.getMetadata().getOwnerReferences().stream().map(OwnerReference::getUid).anyMatch(uid::equals))
        .map(HasMetadata.class::cast).toList();
  }

  /** "verb resource" pairs of the operator's requests, for the log: what the RBAC rules are measured against. */
  static Set<String> verbsUsed() {
    Set<String> used = new TreeSet<>();
    synchronized (operatorRequests) {
      for (String r : operatorRequests) {
        String method = r.substring(0, r.indexOf(' '));
        String rest = r.substring(r.indexOf(' ') + 1);
        String query = rest.contains("?") ? rest.substring(rest.indexOf('?') + 1) : "";
        List<String> p = new ArrayList<>(List.of(rest.replaceFirst("\\?.*", "").split("/")));
        // /api/v1/... or /apis/<group>/<version>/...; then [namespaces/<ns>/]<resource>[/<name>[/<sub>]]
        p.subList(0, p.get(1).equals("api") ? 3 : 4).clear();
        if (p.size() > 2 && p.get(0).equals("namespaces")) {
          p.subList(0, 2).clear();
        }
        String resource = p.get(0) + (p.size() > 2 ? "/" + p.get(2) : "");
        String verb = switch (method) {
          case "GET" -> p.size() > 1 ? "get" : query.contains("watch=true") ? "watch" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> "delete";
          default -> method;
        };
        used.add(resource + ":" + verb);
      }
    }
    return used;
  }

  static void stopOperator() {
    if (operator != null) {
      operator.stop();
      operator = null;
    }
    if (operatorClient != null) {
      operatorClient.close();
      operatorClient = null;
    }
  }

  static String canI(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ControlPlaneBinaries.directory().resolve("kubectl").toString(),
        "--kubeconfig", cluster.kubeconfig().toString(), "auth", "can-i", "--as=" + SERVICE_ACCOUNT_USER));
    cmd.addAll(List.of(args));
    Result r = run(cmd, Map.of());
    // Exit 0 is "yes", 1 is "no"; anything else (an unknown resource, say) is an error of the test.
    assertThat(r.exitCode).as("%s:\n%s", cmd, r.output).isBetween(0, 1);
    // The answer alone, without warnings such as "resource 'namespaces' is not namespace scoped".
    return r.output.lines().map(String::strip).filter(l -> l.equals("yes") || l.equals("no")).findFirst()
        .orElse(r.output);
  }

  record Result(int exitCode, String output) {
  }

  static Result helm(String... args) throws Exception {
    Path helm = ControlPlaneBinaries.directory().resolve("helm");
    if (!Files.isExecutable(helm)) {
      throw new AssertionError(helm + " is missing: run `bash e2e/cluster/build-helm.sh` (scripts/setup.sh does)");
    }
    List<String> cmd = new ArrayList<>(List.of(helm.toString(), "--kubeconfig", cluster.kubeconfig().toString()));
    cmd.addAll(List.of(args));
    // Helm's own cache and config in target/, away from the developer's ~/.config/helm.
    Path home = LocalControlPlane.CLUSTER_DIR.resolveSibling("helm-home");
    return run(cmd, Map.of("HELM_CACHE_HOME", home.resolve("cache").toString(),
        "HELM_CONFIG_HOME", home.resolve("config").toString(),
        "HELM_DATA_HOME", home.resolve("data").toString()));
  }

  static Result run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(cmd + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @SafeVarargs
  static <T> T first(T... values) {
    for (T v : values) {
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  static ConditionFactory await() {
    return Awaitility.await().atMost(SETTLE).pollInterval(Duration.ofMillis(250));
  }

  static Path repository() {
    Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    return Files.isDirectory(module.resolve("helm")) ? module : module.getParent();
  }
}
