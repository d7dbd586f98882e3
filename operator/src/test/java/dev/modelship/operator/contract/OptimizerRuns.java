package dev.modelship.operator.contract;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the real optimizer the way the artifact Job does, {@code java -jar modelship-optimizer.jar
 * optimize ... --summary-file F}, in a process of its own, and keeps what the kubelet would copy
 * into the pod's termination message: the file's contents. Tests of the operator's status code feed
 * it these summaries, never hand-written JSON. Runs are cached per argument list for the JVM.
 */
public final class OptimizerRuns {

  /** What one run left. {@code out} is the artifact directory root it was given. */
  public record Run(int exitCode, String terminationMessage, String stdout, Path out) {

    /** The one artifact directory the run wrote, found on disk (not read from the summary). */
    public Path artifactDirectory() {
      try (Stream<Path> dirs = Files.list(out)) {
        List<Path> all = dirs.toList();
        if (all.size() != 1) {
          throw new IllegalStateException("expected one artifact in " + out + ", found " + all);
        }
        return all.get(0);
      } catch (IOException e) {
        throw new IllegalStateException("no artifact in " + out + ": " + stdout, e);
      }
    }

    /** {@code sha256:<the directory's name>}. */
    public String digest() {
      return "sha256:" + artifactDirectory().getFileName();
    }
  }

  private static final Map<List<String>, Run> CACHE = new ConcurrentHashMap<>();
  /** Every run's folder, removed when the test JVM exits (the cached runs are used until then). */
  private static final List<Path> FOLDERS = new CopyOnWriteArrayList<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> FOLDERS.forEach(OptimizerRuns::deleteTree)));
  }

  private OptimizerRuns() {}

  /** A model committed under {@code examples/models/}. */
  public static String exampleModel(String path) {
    return repository().resolve("examples/models").resolve(path).toString();
  }

  /** The repository's root (tests run in {@code operator/}). */
  public static Path repository() {
    return Path.of("").toAbsolutePath().getParent();
  }

  public static Path jar() {
    String jar = System.getProperty("modelship.optimizer.jar");
    Path path = jar == null ? repository().resolve("optimizer/target/modelship-optimizer.jar") : Path.of(jar);
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException(path + " is missing: build it first (./mvnw -B -pl optimizer -am package"
          + " -DskipTests); the contract tests run the real optimizer");
    }
    return path;
  }

  /**
   * {@code optimize <source> --out <fresh dir> <args...> --summary-file <file>}, with
   * {@code jvmArgs} before {@code -jar}.
   */
  public static Run optimize(List<String> jvmArgs, String source, String... args) {
    List<String> key = new ArrayList<>(jvmArgs);
    key.add(source);
    key.addAll(List.of(args));
    return CACHE.computeIfAbsent(key, k -> run(jvmArgs, source, args));
  }

  public static Run optimize(String source, String... args) {
    return optimize(List.of(), source, args);
  }

  private static Run run(List<String> jvmArgs, String source, String... args) {
    try {
      Path work = Files.createTempDirectory("modelship-optimizer-run-");
      FOLDERS.add(work);
      Path out = work.resolve("artifacts");
      Path summary = work.resolve("termination-log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmArgs);
      command.addAll(List.of("-jar", jar().toString(), "optimize", source, "--out", out.toString()));
      command.addAll(List.of(args));
      command.addAll(List.of("--summary-file", summary.toString()));
      Process p = new ProcessBuilder(command).redirectError(work.resolve("stderr").toFile()).start();
      String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException("the optimizer did not finish: " + command);
      }
      // The kubelet reads at most 4096 bytes of the file; the optimizer promises no more.
      String message = Files.exists(summary) ? Files.readString(summary) : "";
      return new Run(p.exitValue(), message, stdout, out);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // Best effort at exit: a temporary folder left behind harms nothing.
    }
  }
}
