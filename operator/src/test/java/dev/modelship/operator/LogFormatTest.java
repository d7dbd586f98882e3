package dev.modelship.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * MODELSHIP_LOG_FORMAT as a user sets it: each case is a JVM of its own with the variable in its
 * environment and the operator's classpath, so logback reads the real logback.xml, as in the pod.
 */
class LogFormatTest {

  private static final String RECONCILER = "dev.modelship.operator.ModelDeploymentReconciler";

  /** Strict: a line is JSON only if all of it is one object (no "12" read off "12:00:00.123 ..."). */
  private static final ObjectReader JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build().reader();

  /** What a reconcile logs, as JOSDK and the reconciler do: a status line and a failure with a cause. */
  public static final class LogsAReconcile {
    public static void main(String[] args) {
      Logger log = LoggerFactory.getLogger(RECONCILER);
      MDC.put("resource.namespace", "team-a");
      MDC.put("resource.name", "digits");
      log.info("status Ready={} ({})", "True", "MinimumReplicasAvailable");
      log.error("could not apply {}", "Deployment digits",
          new IllegalStateException("apply failed", new IOException("connection reset \"by peer\"")));
    }
  }

  @Test
  void jsonWritesEveryLineAsOneObjectWithTheStackTraceOnTheFailingLine() throws Exception {
    Instant before = Instant.now();
    Run run = run(LogsAReconcile.class, Map.of("MODELSHIP_LOG_FORMAT", "json"));
    Instant after = Instant.now();

    assertThat(run.exitCode).isZero();
    // Nothing else on either stream: no logback status lines, no warning of a second SLF4J backend.
    assertThat(run.lines).as(run.output()).hasSize(2);
    List<JsonNode> lines = new ArrayList<>();
    for (String line : run.lines) {
      JsonNode json = jsonObject(line).orElseThrow(() -> new AssertionError("not a JSON object: " + line));
      assertThat(Instant.parse(json.path("timestamp").asText())).isBetween(before, after);
      assertThat(json.path("loggerName").asText()).isEqualTo(RECONCILER);
      assertThat(json.path("threadName").asText()).isEqualTo("main");
      assertThat(json.path("mdc").path("resource.namespace").asText()).isEqualTo("team-a");
      assertThat(json.path("mdc").path("resource.name").asText()).isEqualTo("digits");
      lines.add(json);
    }

    JsonNode status = lines.get(0);
    assertThat(status.path("level").asText()).isEqualTo("INFO");
    assertThat(status.path("message").asText()).isEqualTo("status Ready=True (MinimumReplicasAvailable)");
    assertThat(status.has("stackTrace")).isFalse();

    JsonNode failure = lines.get(1);
    assertThat(failure.path("level").asText()).isEqualTo("ERROR");
    assertThat(failure.path("message").asText()).isEqualTo("could not apply Deployment digits");
    assertThat(failure.path("stackTrace").asText())
        .startsWith("java.lang.IllegalStateException: apply failed\n\tat " + LogsAReconcile.class.getName() + ".main(")
        .contains("\nCaused by: java.io.IOException: connection reset \"by peer\"");
  }

  @Test
  void textIsTheDefaultAndNoneOfItsLinesIsJson() throws Exception {
    Map<String, String> unset = new HashMap<>();
    unset.put("MODELSHIP_LOG_FORMAT", null);
    for (Map<String, String> env : List.of(unset, Map.of("MODELSHIP_LOG_FORMAT", "text"))) {
      Run run = run(LogsAReconcile.class, env);

      assertThat(run.exitCode).isZero();
      assertThat(run.lines).as(run.output()).allSatisfy(line -> assertThat(jsonObject(line)).isEmpty());
      // Time, thread, level, logger, message; the exception and its cause on the lines after.
      assertThat(run.lines.get(0)).matches(
          "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[main] INFO  \\S*ModelDeploymentReconciler - status Ready=True "
              + "\\(MinimumReplicasAvailable\\)");
      assertThat(run.lines.get(1)).matches(
          "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[main] ERROR \\S*ModelDeploymentReconciler - could not apply Deployment digits");
      assertThat(run.lines.get(2)).isEqualTo("java.lang.IllegalStateException: apply failed");
      assertThat(run.lines).contains("Caused by: java.io.IOException: connection reset \"by peer\"");
    }
  }

  @Test
  void anyOtherValueStopsTheOperatorAtStartNamingTheVariable() throws Exception {
    for (String value : List.of("bogus", "JSON")) {
      // The real main class; it must stop before it looks for a cluster.
      Run run = run(Main.class, Map.of("MODELSHIP_LOG_FORMAT", value, "KUBECONFIG", "/nonexistent",
          "MODELSHIP_METRICS_PORT", "0"));

      assertThat(run.exitCode).as(run.output()).isEqualTo(2);
      assertThat(run.lines).as(run.output()).anySatisfy(line -> assertThat(line)
          .contains("invalid configuration: MODELSHIP_LOG_FORMAT must be text or json, not '" + value + "'"));
    }
  }

  private static Optional<JsonNode> jsonObject(String line) {
    try {
      JsonNode node = JSON.readTree(line);
      return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
    } catch (JsonProcessingException notJson) {
      return Optional.empty();
    }
  }

  private record Run(int exitCode, List<String> lines) {
    String output() {
      return String.join("\n", lines);
    }
  }

  /** Runs {@code main} in a new JVM with this test's classpath; a null value removes the variable. */
  private static Run run(Class<?> main, Map<String, String> env) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path output = Files.createTempFile("modelship-log-format-", ".log");
    try {
      ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), main.getName())
          .redirectErrorStream(true).redirectOutput(output.toFile());
      // The JVM would print "Picked up ..." for these: not a log line.
      builder.environment().remove("JAVA_TOOL_OPTIONS");
      builder.environment().remove("JDK_JAVA_OPTIONS");
      env.forEach((name, value) -> {
        if (value == null) {
          builder.environment().remove(name);
        } else {
          builder.environment().put(name, value);
        }
      });
      Process process = builder.start();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError(main.getName() + " did not exit within 60 s:\n" + Files.readString(output));
      }
      return new Run(process.exitValue(), Files.readAllLines(output, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(output);
    }
  }
}
