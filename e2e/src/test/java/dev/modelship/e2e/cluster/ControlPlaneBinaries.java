package dev.modelship.e2e.cluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import dev.modelship.operator.KubernetesRelease;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The control-plane binaries that {@code e2e/cluster/build.sh} builds, where fabric8
 * kube-api-test looks for them: {@code ${KUBE_API_TEST_DIR:-~/.kubeapitest}/k8s/<version>-<os>-<arch>}.
 *
 * <p>As a JUnit extension it fails the test class (it does not skip it) when a binary is
 * missing, before kube-api-test would try to download one: register it ahead of
 * {@code @EnableKubeAPIServer}.
 */
public final class ControlPlaneBinaries implements BeforeAllCallback {

  /**
   * The Kubernetes release the binaries are built from, read from its one home,
   * {@code e2e/cluster/go.mod}; tests pin kube-api-test to it.
   */
  public static final String KUBERNETES_VERSION = KubernetesRelease.VERSION;

  public static final List<String> BINARIES =
      List.of("etcd", "kube-apiserver", "kubectl", "kube-controller-manager", "kube-scheduler");

  /** Same directory as kube-api-test 7.5.2's BinaryManager computes for a pinned version. */
  public static Path directory() {
    String root = System.getenv("KUBE_API_TEST_DIR");
    Path base = root != null ? Path.of(root) : Path.of(System.getProperty("user.home"), ".kubeapitest");
    return base.resolve("k8s").resolve(KUBERNETES_VERSION + "-" + os() + "-" + arch());
  }

  /** The repository's e2e/cluster directory (scripts and Go modules). */
  public static Path clusterScripts() {
    Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    Path scripts = module.resolve("cluster");
    if (!Files.isRegularFile(scripts.resolve("up.sh"))) {
      scripts = module.resolve("e2e").resolve("cluster"); // run from the repository root
    }
    return scripts.toAbsolutePath().normalize();
  }

  /** Throws an AssertionError naming build.sh when any binary is missing. */
  public static void requirePresent() {
    Path dir = directory();
    List<String> missing = BINARIES.stream()
        .filter(b -> !Files.isExecutable(dir.resolve(b)))
        .toList();
    if (!missing.isEmpty()) {
      throw new AssertionError("Kubernetes " + KUBERNETES_VERSION + " control-plane binaries " + missing
          + " are missing from " + dir + ": run `bash e2e/cluster/build.sh` first"
          + " (it builds them from the Go module proxy; see e2e/cluster/README.md)");
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    requirePresent();
  }

  // kube-api-test's OSInfo: os.name lower-cased, os.arch mapped to Go's names.
  private static String os() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    if (os.contains("win")) {
      return "windows";
    }
    return os.contains("mac") ? "darwin" : os;
  }

  private static String arch() {
    return switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
      case "ppc64" -> "ppc64le";
      case "aarch64" -> "arm64";
      default -> "amd64";
    };
  }
}
