package dev.modelship.operator.bench;

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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N ModelDeployments on a real kube-apiserver (kube-api-test), the operator in this JVM: time
 * until every one has its Job, Service and a status; heap after GC; CPU; the requests the operator
 * sent while settling and during a steady window. Not a test: run with
 * {@code ./mvnw -pl operator test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.modelship.operator.bench.ScaleBench -Dexec.args="1000 300"}.
 */
public final class ScaleBench {

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int steadySeconds = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    // With MODELSHIP_BENCH_KUBECONFIG set, the cluster there is used (for example an e2e/cluster/up.sh
    // control plane, whose controllers then also create the Jobs' pods). Otherwise kube-api-test
    // starts an API server, whose --service-cluster-ip-range is a fixed /24 (a flag of ours comes
    // before its own and loses): at most ~250 Services, so n above that cannot settle there.
    String external = System.getenv("MODELSHIP_BENCH_KUBECONFIG");
    KubeAPIServer server = external != null ? null : new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion("1.34.4").withOfflineMode(true).withUpdateKubeConfig(false).build());
    String kubeconfig;
    if (server != null) {
      server.start();
      kubeconfig = server.getKubeConfigYaml();
    } else {
      kubeconfig = java.nio.file.Files.readString(java.nio.file.Path.of(external));
    }
    Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    try (KubernetesClient client = new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(kubeconfig)).build();
        KubernetesClient operatorClient = new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(kubeconfig))
            .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", new Interceptor() {
              @Override
              public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                boolean watch = request.uri().getQuery() != null && request.uri().getQuery().contains("watch=true");
                requests.computeIfAbsent(watch ? "WATCH" : request.method(), k -> new AtomicLong()).incrementAndGet();
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

      OperatorConfig config = new OperatorConfig(Set.of(), "is:bench", "opt:bench", "modelship-artifacts", 2,
          Duration.ofHours(1), false, null, 0, Duration.ofSeconds(5));
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
        Thread.sleep(1000);
      }
      double settle = (System.nanoTime() - t0) / 1e9;
      double cpuSettle = (os.getProcessCpuTime() - cpu0) / 1e9;
      System.gc();
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      System.out.printf("settled: %d with Job, Service and status in %.1f s; process CPU %.1f s; heap after GC %d MiB%n",
          n, settle, cpuSettle, heap >> 20);
      System.out.printf("requests while settling: %s%n", requests);
      Map<String, Long> before = snapshot(requests);
      long cpu1 = os.getProcessCpuTime();
      Thread.sleep(steadySeconds * 1000L);
      Map<String, Long> after = snapshot(requests);
      System.out.printf("steady %d s: requests before %s, after %s; process CPU %.1f s; heap after GC ",
          steadySeconds, before, after, (os.getProcessCpuTime() - cpu1) / 1e9);
      System.gc();
      System.out.printf("%d MiB%n", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20);
      operator.stop();
    } finally {
      if (server != null) {
        server.stop();
      }
    }
  }

  private static Map<String, Long> snapshot(Map<String, AtomicLong> m) {
    Map<String, Long> out = new java.util.TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }
}
