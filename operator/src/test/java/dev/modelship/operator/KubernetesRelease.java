package dev.modelship.operator;

import dev.modelship.operator.contract.OptimizerRuns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Kubernetes release the test API servers run, read from its one home: the go.mod that
 * e2e/cluster/build.sh builds the binaries from ({@code require k8s.io/kubernetes v<version>}).
 */
public final class KubernetesRelease {

  public static final String VERSION = read(OptimizerRuns.repository().resolve("e2e/cluster/go.mod"));

  private KubernetesRelease() {}

  static String read(Path goMod) {
    try (var lines = Files.lines(goMod)) {
      return lines.filter(l -> l.startsWith("require k8s.io/kubernetes v"))
          .map(l -> l.substring("require k8s.io/kubernetes v".length()).trim())
          .findFirst()
          .orElseThrow(() -> new IllegalStateException(goMod + " has no line 'require k8s.io/kubernetes v<version>'"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
