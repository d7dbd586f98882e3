package dev.modelship.operator.bench;

import dev.modelship.operator.ModelshipOperator;
import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentSpec;
import dev.modelship.operator.api.v1alpha1.ModelSource;
import dev.modelship.operator.contract.OptimizerRuns;
import dev.modelship.operator.traffic.DigitsServer;
import dev.modelship.operator.traffic.PrometheusProcess;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Status fed from Prometheus at scale: N ModelDeployments on a real kube-apiserver (the cluster of
 * MODELSHIP_BENCH_KUBECONFIG, an e2e/cluster/up.sh control plane), one real inference-server
 * process under a paced load (another process), and a real Prometheus scraping it as N targets,
 * one per ModelDeployment (target labels namespace and model), every 15 s; the operator in this
 * JVM with the default settings (poll every 30 s over 2 minutes). Prints the queries and time per
 * poll, the operator's CPU, the status writes per minute under steady traffic after the first
 * minute, and the time from a change of traffic to the status change. Not a test: run with
 * bench/traffic-status.sh.
 */
public final class TrafficBench {

  static final String NS = "bench";
  static final int LOAD = 40;

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int steadySeconds = args.length > 1 ? Integer.parseInt(args[1]) : 180;
    Path repo = OptimizerRuns.repository();
    String kubeconfig = Files.readString(Path.of(System.getenv("MODELSHIP_BENCH_KUBECONFIG")));
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    DigitsServer server = DigitsServer.start();
    int port = server.port;
    Process load = load(javaBin, port, LOAD);

    StringBuilder targets = new StringBuilder();
    for (int i = 0; i < n; i++) {
      targets.append("      - targets: [\"127.0.0.1:").append(port).append("\"]\n")
          .append("        labels: {namespace: ").append(NS).append(", model: m").append(i)
          .append(", pod: m").append(i).append("-0}\n");
    }
    PrometheusProcess prometheus = PrometheusProcess.start("""
        global: {scrape_interval: 15s}
        scrape_configs:
          - job_name: modelship-inference
            static_configs:
        """ + targets);
    List<String> writes = java.util.Collections.synchronizedList(new ArrayList<>());
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build();
        KubernetesClient operatorClient = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig))
            .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", new Interceptor() {
              @Override
              public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                if (!"GET".equals(request.method())) {
                  writes.add(request.method() + " " + request.uri().getPath());
                }
              }
            })).build()) {
      try (var crd = TrafficBench.class.getResourceAsStream("/META-INF/fabric8/modeldeployments.modelship.dev-v1.yml")) {
        client.load(crd).serverSideApply();
      }
      Thread.sleep(2000);
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
      for (int i = 0; i < n; i++) {
        ModelDeployment md = new ModelDeployment();
        md.getMetadata().setName("m" + i);
        md.getMetadata().setNamespace(NS);
        md.setSpec(new ModelDeploymentSpec());
        md.getSpec().model = new ModelSource();
        md.getSpec().model.uri = "https://models.example/m" + i + ".onnx";
        client.resource(md).create();
      }
      // Let Prometheus fill the window with the steady load before the operator reads it.
      Thread.sleep(150_000);
      System.out.printf("created %d ModelDeployments; Prometheus scrapes %d targets every 15 s%n", n, n);

      SimpleMeterRegistry metrics = new SimpleMeterRegistry();
      OperatorConfig config = OperatorConfig.fromEnvironment(Map.of("MODELSHIP_LEADER_ELECTION", "false",
          "MODELSHIP_METRICS_PORT", "0", "MODELSHIP_PROMETHEUS_URL", prometheus.url()));
      var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long t0 = System.nanoTime();
      Operator operator = ModelshipOperator.create(operatorClient, config, metrics, () -> {});
      operator.start();
      while (withFigures(client) < n) {
        Thread.sleep(5000);
      }
      System.out.printf("all %d have figures %.1f s after the operator started%n", n, (System.nanoTime() - t0) / 1e9);
      // The first minute: the first figures, and the build Jobs' pods the cluster cannot schedule.
      Thread.sleep(60_000);

      Timer poll = metrics.get("modelship.operator.prometheus.poll.duration").timer();
      Counter queries = metrics.get("modelship.operator.prometheus.queries").counter();
      long polls0 = poll.count();
      double queries0 = queries.count();
      double pollTime0 = poll.totalTime(TimeUnit.MILLISECONDS);
      int writes0 = writes.size();
      long statusWrites0 = statusWrites(writes);
      long cpu0 = os.getProcessCpuTime();
      // What one ModelDeployment shows over the window: the figures a write would be about.
      for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(steadySeconds); System.nanoTime() < end; ) {
        ModelDeployment m0 = client.resources(ModelDeployment.class).inNamespace(NS).withName("m0").get();
        System.out.println("  m0 metrics: " + client.getKubernetesSerialization().asJson(m0.getStatus().metrics));
        Thread.sleep(Math.min(30_000, Math.max(0, (end - System.nanoTime()) / 1_000_000)));
      }
      long polls = poll.count() - polls0;
      double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
      long statusWrites = statusWrites(writes) - statusWrites0;
      System.out.printf("steady %d s at %d requests/s: %d polls, %.1f queries per poll, %.0f ms per poll (max %.0f ms);"
              + " operator process CPU %.1f s (%.2f s per minute); status writes %d (%.1f per minute); all writes %d%n",
          steadySeconds, LOAD, polls, (queries.count() - queries0) / polls,
          (poll.totalTime(TimeUnit.MILLISECONDS) - pollTime0) / polls, poll.max(TimeUnit.MILLISECONDS),
          cpu, cpu * 60 / steadySeconds, statusWrites, statusWrites * 60.0 / steadySeconds, writes.size() - writes0);

      // A change of traffic: twice the load. When does each status show it?
      Map<String, Double> before = new HashMap<>();
      client.resources(ModelDeployment.class).inNamespace(NS).list().getItems()
          .forEach(m -> before.put(m.getMetadata().getName(), m.getStatus().metrics.requestsPerSecond));
      load.destroy();
      load.waitFor();
      long change = System.nanoTime();
      load = load(javaBin, port, 2 * LOAD);
      Map<String, Double> seen = new HashMap<>();
      while (seen.size() < n && System.nanoTime() - change < TimeUnit.MINUTES.toNanos(4)) {
        double at = (System.nanoTime() - change) / 1e9;
        for (ModelDeployment m : client.resources(ModelDeployment.class).inNamespace(NS).list().getItems()) {
          Double rps = m.getStatus().metrics.requestsPerSecond;
          if (!seen.containsKey(m.getMetadata().getName()) && rps != null
              && rps > before.get(m.getMetadata().getName())) {
            seen.put(m.getMetadata().getName(), at);
          }
        }
        Thread.sleep(1000);
      }
      List<Double> delays = new ArrayList<>(seen.values());
      java.util.Collections.sort(delays);
      System.out.printf("traffic %d → %d requests/s: %d of %d statuses changed; after %.0f s (first), %.0f s (median),"
              + " %.0f s (last); poll interval %d s, window %d s, scrape 15 s%n", LOAD, 2 * LOAD, seen.size(), n,
          delays.get(0), delays.get(delays.size() / 2), delays.get(delays.size() - 1),
          config.prometheus().interval().toSeconds(), config.prometheus().window().toSeconds());
      operator.stop();
    } finally {
      load.destroy();
      prometheus.close();
      server.close();
    }
  }

  static long withFigures(KubernetesClient client) {
    return client.resources(ModelDeployment.class).inNamespace(NS).list().getItems().stream()
        .filter(m -> m.getStatus() != null && m.getStatus().metrics != null
            && m.getStatus().metrics.requestsPerSecond != null && m.getStatus().metrics.requestsPerSecond > 0)
        .count();
  }

  static long statusWrites(List<String> writes) {
    synchronized (writes) {
      return writes.stream().filter(w -> w.startsWith("PATCH") && w.endsWith("/status")).count();
    }
  }

  static Process load(String javaBin, int port, int perSecond) throws Exception {
    return new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), PacedLoad.class.getName(),
        "http://127.0.0.1:" + port + "/v2/models/digits/infer",
        OptimizerRuns.repository().resolve("examples/models/digits_mlp.request.json").toString(), String.valueOf(perSecond))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
  }
}
