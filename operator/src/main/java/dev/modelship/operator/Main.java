package dev.modelship.operator;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator process: reads {@link OperatorConfig} from the environment, talks to the cluster of
 * the current kubeconfig (or the in-cluster service account), serves /metrics and /healthz, and
 * stops cleanly on SIGTERM.
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws IOException {
    OperatorConfig config;
    try {
      config = OperatorConfig.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      LOG.error("invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);

    KubernetesClient client = new KubernetesClientBuilder().build();
    AtomicBoolean shuttingDown = new AtomicBoolean();
    Operator operator;
    try {
      operator = ModelshipOperator.create(client, config, registry, () -> {
        if (!shuttingDown.get()) {
          // Another replica may be reconciling now: stop at once and let Kubernetes restart us.
          LOG.error("lost leadership; exiting so that only the leader reconciles");
          new Thread(() -> System.exit(1), "modelship-exit").start();
        }
      });
    } catch (IllegalArgumentException e) {
      // A setting that can only be checked by using it, such as the Prometheus CA file's contents.
      LOG.error("invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    HttpServer http = config.metricsPort() > 0 ? serveMetrics(config.metricsPort(), registry, operator) : null;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      shuttingDown.set(true);
      LOG.info("shutting down: waiting up to {} for running reconciles", config.shutdownGrace());
      operator.stop();
      client.close();
      if (http != null) {
        http.stop(0);
      }
    }, "modelship-shutdown"));
    LOG.info("starting: namespaces={}, leaderElection={}, artifact store={}, inference image={}, optimizer image={},"
        + " traffic figures={}", config.namespaces().isEmpty() ? "all" : config.namespaces(), config.leaderElection(),
        describe(config.artifactStore()), config.inferenceServerImage(), config.optimizerImage(),
        describe(config.prometheus()));
    try {
      operator.start();
    } catch (RuntimeException e) {
      // Without this the metrics server's thread would keep a process alive that reconciles nothing.
      LOG.error("could not start: {}", e.getMessage(), e);
      System.exit(1);
    }
  }

  /** The store in one phrase for the start-up line; the Secret by name only. */
  static String describe(OperatorConfig.ArtifactStore store) {
    if (store instanceof OperatorConfig.S3 s3) {
      return s3.uri() + (s3.endpoint() == null ? "" : " at " + s3.endpoint()) + " (region " + s3.region()
          + ", credentials from Secret " + s3.credentialsSecret() + ")";
    }
    return "PersistentVolumeClaim " + ((OperatorConfig.Pvc) store).claim();
  }

  /** Where figures come from, for the start-up line; the token file by path only. */
  static String describe(OperatorConfig.Prometheus p) {
    if (p == null) {
      return "off (no MODELSHIP_PROMETHEUS_URL)";
    }
    return "from " + p.displayUrl() + " every " + p.interval().toSeconds() + "s over " + p.window().toSeconds() + "s"
        + (p.bearerTokenFile() == null ? "" : ", bearer token from " + p.bearerTokenFile())
        + (p.caFile() == null ? "" : ", CA " + p.caFile());
  }

  private static HttpServer serveMetrics(int port, PrometheusMeterRegistry registry, Operator operator)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/metrics", exchange -> {
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.createContext("/healthz", exchange -> {
      boolean ok = operator.getRuntimeInfo().allEventSourcesAreHealthy();
      byte[] body = (ok ? "ok" : "event sources unhealthy").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(ok ? 200 : 503, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    LOG.info("serving /metrics and /healthz on port {}", port);
    return server;
  }
}
