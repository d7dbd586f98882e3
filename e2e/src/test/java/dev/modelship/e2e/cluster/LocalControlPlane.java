package dev.modelship.e2e.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The control plane of e2e/cluster/up.sh (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler as local processes), shared by the test classes of one test JVM: classes that
 * {@code @ExtendWith(LocalControlPlane.Extension.class)} get it from {@link #shared()}; it is
 * started by the first of them and stopped with down.sh after the last. Its state lives in
 * target/e2e-cluster, so it never touches a developer's own ~/.modelship/cluster.
 */
public final class LocalControlPlane {

  static final Duration UP_TIMEOUT = Duration.ofMinutes(3);
  static final Duration DOWN_TIMEOUT = Duration.ofMinutes(3);
  public static final Path CLUSTER_DIR = Path.of(System.getProperty("basedir", System.getProperty("user.dir")))
      .resolve("target").resolve("e2e-cluster").toAbsolutePath();

  private static LocalControlPlane shared;

  private final Path clusterDir;
  private final Path kubeconfig;
  private final Map<String, String> env;
  private boolean up = true;

  private LocalControlPlane(Path clusterDir, Path kubeconfig, Map<String, String> env) {
    this.clusterDir = clusterDir;
    this.kubeconfig = kubeconfig;
    this.env = env;
  }

  /** The running control plane; starts one when none runs (the first call, or after {@link #down()}). */
  public static synchronized LocalControlPlane shared() {
    if (shared == null || !shared.up) {
      shared = start();
    }
    return shared;
  }

  private static LocalControlPlane start() {
    return start(CLUSTER_DIR);
  }

  /**
   * A control plane of its own in {@code clusterDir}, with {@code up.sh}'s {@code args} (such as
   * {@code --node}); the caller stops it with {@link #down()}.
   */
  public static LocalControlPlane start(Path clusterDir, String... args) {
    ControlPlaneBinaries.requirePresent();
    // A run that was killed before it stopped its cluster leaves its processes; down.sh stops exactly those.
    Result leftover = run(DOWN_TIMEOUT, clusterDir, "down.sh");
    if (leftover.exitCode != 0) {
      throw new AssertionError("down.sh before up.sh failed:\n" + leftover.output);
    }
    Result up = run(UP_TIMEOUT, clusterDir, "up.sh", args);
    if (up.exitCode != 0) {
      throw new AssertionError("up.sh failed:\n" + up.output);
    }
    try {
      return new LocalControlPlane(clusterDir, Path.of(up.stdout.strip()),
          readEnv(clusterDir.resolve("run").resolve("cluster.env")));
    } catch (IOException e) {
      throw new AssertionError("up.sh wrote no readable run/cluster.env", e);
    }
  }

  /** The path up.sh printed on stdout. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** run/cluster.env as up.sh wrote it: ports, paths. */
  public Map<String, String> env() {
    return env;
  }

  /** A client with the admin (system:masters) credentials of the kubeconfig; the caller closes it. */
  public KubernetesClient newClient() {
    return new KubernetesClientBuilder().withConfig(config()).build();
  }

  public Config config() {
    try {
      return Config.fromKubeconfig(Files.readString(kubeconfig));
    } catch (IOException e) {
      throw new AssertionError("cannot read " + kubeconfig, e);
    }
  }

  /** Runs down.sh; the next {@link #shared()} starts a fresh control plane. */
  public synchronized Result down() {
    Result down = run(DOWN_TIMEOUT, clusterDir, "down.sh");
    up = false;
    return down;
  }

  private static synchronized void downAtEnd() {
    if (shared != null && shared.up) {
      shared.down();
    }
  }

  /** Starts the control plane before a class's {@code @BeforeAll}; down.sh runs once every class is done. */
  public static final class Extension implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
      // The root store closes its AutoCloseable values when the whole test run ends.
      context.getRoot().getStore(ExtensionContext.Namespace.create(LocalControlPlane.class))
          .getOrComputeIfAbsent("down-at-end", k -> (AutoCloseable) LocalControlPlane::downAtEnd, AutoCloseable.class);
      shared();
    }
  }

  // ------------------------------------------------------------------ scripts

  public record Result(int exitCode, String stdout, String output) {
  }

  static Result run(Duration timeout, Path clusterDir, String script, String... args) {
    try {
      Path log = Files.createTempFile("modelship-" + script, ".log");
      Path out = Files.createTempFile("modelship-" + script, ".out");
      List<String> command = new ArrayList<>(List.of("bash", ControlPlaneBinaries.clusterScripts().resolve(script).toString()));
      command.addAll(List.of(args));
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectOutput(out.toFile())
          .redirectError(log.toFile());
      pb.environment().put("MODELSHIP_CLUSTER_DIR", clusterDir.toString());
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
    } catch (IOException e) {
      throw new AssertionError("could not run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + script, e);
    }
  }

  static Map<String, String> readEnv(Path file) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      int eq = line.indexOf('=');
      if (!line.startsWith("#") && eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return env;
  }
}
