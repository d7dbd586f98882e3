package dev.modelship.operator.bench;

import dev.modelship.operator.KubernetesRelease;
import dev.modelship.operator.ModelshipOperator;
import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentSpec;
import dev.modelship.operator.api.v1alpha1.ModelSource;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N ModelDeployments on a real kube-apiserver (kube-api-test, or the cluster of
 * MODELSHIP_BENCH_KUBECONFIG), the operator in this JVM: time until every one has its Job, Service
 * and a status; heap after GC; CPU; the requests the operator sent while settling and during a
 * steady window, reads (GET, LIST, WATCH) apart from writes (every other method), with each write's
 * method and path. Not a test: run with bench/operator-scale.sh, or
 * {@code ./mvnw -pl operator test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.modelship.operator.bench.ScaleBench -Dexec.args="1000 300"}.
 */
public final class ScaleBench {

  static final Duration QUIET = Duration.ofSeconds(15);
  static final Duration MAX_SETTLE = Duration.ofMinutes(10);

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int steadySeconds = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    // With MODELSHIP_BENCH_KUBECONFIG set, the cluster there is used (for example an e2e/cluster/up.sh
    // control plane, whose controllers then also create the Jobs' pods). Otherwise kube-api-test
    // starts an API server, whose --service-cluster-ip-range is a fixed /24 (a flag of ours comes
    // before its own and loses): at most ~250 Services, so n above that cannot settle there.
    String external = System.getenv("MODELSHIP_BENCH_KUBECONFIG");
    KubeAPIServer server = external != null ? null : new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion(KubernetesRelease.VERSION).withOfflineMode(true).withUpdateKubeConfig(false).build());
    String kubeconfig;
    if (server != null) {
      server.start();
      kubeconfig = server.getKubeConfigYaml();
    } else {
      kubeconfig = java.nio.file.Files.readString(java.nio.file.Path.of(external));
    }
    Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    // "METHOD path" of every write, in order: what the zero-writes target is about.
    List<String> writes = Collections.synchronizedList(new ArrayList<>());
    try (KubernetesClient client = new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(kubeconfig)).build();
        KubernetesClient operatorClient = new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(kubeconfig))
            .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", new Interceptor() {
              @Override
              public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                requests.computeIfAbsent(verb(request), k -> new AtomicLong()).incrementAndGet();
                if (!"GET".equals(request.method())) {
                  writes.add(request.method() + " " + request.uri().getPath());
                }
              }
            })).build()) {
      try (var crd = ScaleBench.class.getResourceAsStream("/META-INF/fabric8/modeldeployments.modelship.dev-v1.yml")) {
        client.load(crd).serverSideApply();
      }
      Thread.sleep(2000);
      String ns = "bench";
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
      client.persistentVolumeClaims().inNamespace(ns).resource(new PersistentVolumeClaimBuilder()
          .withNewMetadata().withName("modelship-artifacts").endMetadata()
          .withNewSpec().withAccessModes("ReadWriteMany")
          .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build()).create();
      for (int i = 0; i < n; i++) {
        ModelDeployment md = new ModelDeployment();
        md.getMetadata().setName("m" + i);
        md.getMetadata().setNamespace(ns);
        md.setSpec(new ModelDeploymentSpec());
        md.getSpec().model = new ModelSource();
        md.getSpec().model.uri = "https://models.example/m" + i + ".onnx";
        client.resource(md).create();
      }
      System.out.printf("created %d ModelDeployments%n", n);

      OperatorConfig config = OperatorConfig.fromEnvironment(Map.of("MODELSHIP_INFERENCE_SERVER_IMAGE", "is:bench",
          "MODELSHIP_OPTIMIZER_IMAGE", "opt:bench", "MODELSHIP_LEADER_ELECTION", "false", "MODELSHIP_METRICS_PORT", "0",
          "MODELSHIP_SHUTDOWN_GRACE_SECONDS", "5"));
      var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      Operator operator = ModelshipOperator.create(operatorClient, config, new SimpleMeterRegistry(), () -> {});
      operator.start();
      while (true) {
        long withStatus = client.resources(ModelDeployment.class).inNamespace(ns).list().getItems().stream()
            .filter(m -> m.getStatus() != null && m.getStatus().conditions.size() == 2).count();
        int jobs = client.batch().v1().jobs().inNamespace(ns).list().getItems().size();
        int services = client.services().inNamespace(ns).list().getItems().size();
        if (withStatus == n && jobs == n && services == n) {
          break;
        }
        Thread.sleep(2000); // the bench's own lists cost CPU in this process too; poll gently
      }
      double settle = (System.nanoTime() - t0) / 1e9;
      double cpuSettle = (os.getProcessCpuTime() - cpu0) / 1e9;
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      System.out.printf("settled: %d with Job, Service and status in %.1f s; process CPU %.1f s; heap after GC %d MiB%n",
          n, settle, cpuSettle, heap >> 20);
      // The cluster's controllers keep going after that (on an up.sh cluster the scheduler marks the
      // build pods Unschedulable, which the status then reports): the steady window starts once the
      // operator has written nothing for QUIET.
      long lastWrite = System.nanoTime();
      for (int seen = writes.size(); System.nanoTime() - lastWrite < QUIET.toNanos()
          && System.nanoTime() - t0 < MAX_SETTLE.toNanos(); Thread.sleep(500)) {
        if (writes.size() != seen) {
          seen = writes.size();
          lastWrite = System.nanoTime();
        }
      }
      System.out.printf("quiet: last write %.1f s after the operator started; no write for %d s since%n",
          (lastWrite - t0) / 1e9, QUIET.toSeconds());
      Map<String, Long> before = snapshot(requests);
      int writesBefore = writes.size();
      System.out.printf("requests while settling: %s; reads %d, writes %d%n", before, reads(before), writesBefore);
      System.out.printf("writes while settling, by method and kind: %s%n", byKind(slice(writes, 0, writesBefore)));
      long cpu1 = os.getProcessCpuTime();
      Thread.sleep(steadySeconds * 1000L);
      Map<String, Long> after = snapshot(requests);
      Map<String, Long> window = new TreeMap<>();
      after.forEach((k, v) -> window.put(k, v - before.getOrDefault(k, 0L)));
      List<String> steadyWrites = slice(writes, writesBefore, Integer.MAX_VALUE);
      System.out.printf("steady %d s: requests %s; reads %d, writes %d; process CPU %.1f s; heap after GC ",
          steadySeconds, window, reads(window), steadyWrites.size(), (os.getProcessCpuTime() - cpu1) / 1e9);
      System.gc();
      System.out.printf("%d MiB%n", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20);
      System.out.printf("steady writes, by method and kind: %s%n", byKind(steadyWrites));
      steadyWrites.stream().limit(20).forEach(w -> System.out.println("  steady write: " + w));
      operator.stop();
    } finally {
      if (server != null) {
        server.stop();
      }
    }
  }

  /** GET of one object, LIST of a collection, WATCH; every other method is a write. */
  static String verb(HttpRequest request) {
    if (!"GET".equals(request.method())) {
      return request.method();
    }
    String query = request.uri().getQuery() == null ? "" : request.uri().getQuery();
    if (query.contains("watch=true") || query.contains("watch=1")) {
      return "WATCH";
    }
    return resourcePath(request.uri().getPath()).size() == 1 ? "LIST" : "GET";
  }

  /**
   * The path after the API version and the namespace: [plural] for a collection, [plural, name]
   * for an object, [plural, name, subresource] for a subresource.
   */
  static List<String> resourcePath(String path) {
    List<String> parts = new ArrayList<>(List.of(path.replaceFirst("^/", "").split("/")));
    parts = parts.subList(Math.min(parts.size(), "api".equals(parts.get(0)) ? 2 : 3), parts.size());
    if (parts.size() >= 3 && "namespaces".equals(parts.get(0))) {
      parts = parts.subList(2, parts.size());
    }
    return parts;
  }

  /** A copy of part of a synchronized list, taken under its lock while the operator keeps adding. */
  static List<String> slice(List<String> list, int from, int to) {
    synchronized (list) {
      return List.copyOf(list.subList(from, Math.min(to, list.size())));
    }
  }

  static long reads(Map<String, Long> requests) {
    return requests.entrySet().stream().filter(e -> Set.of("GET", "LIST", "WATCH").contains(e.getKey()))
        .mapToLong(Map.Entry::getValue).sum();
  }

  /** "PATCH modeldeployments/status" → count: each write's method and resource, without names. */
  static Map<String, Long> byKind(List<String> writes) {
    Map<String, Long> out = new TreeMap<>();
    for (String w : writes) {
      String[] methodAndPath = w.split(" ", 2);
      List<String> r = resourcePath(methodAndPath[1]);
      String kind = r.isEmpty() ? methodAndPath[1] : r.get(0) + (r.size() >= 3 ? "/" + r.get(2) : "");
      out.merge(methodAndPath[0] + " " + kind, 1L, Long::sum);
    }
    return out;
  }

  private static Map<String, Long> snapshot(Map<String, AtomicLong> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }
}
