package dev.modelship.e2e.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's Prometheus rules (helm/modelship/files/monitoring/rules.yaml) pass promtool's checks
 * and its unit tests (rules.test.yaml: hand-computed fixtures for every recording rule and every
 * alert firing and not firing), and those unit tests do fail when an expectation is wrong.
 */
class MonitoringRulesIT {

  static final Path MONITORING = InferenceServerProcess.REPO.resolve("helm/modelship/files/monitoring");
  static Path scratch;

  @BeforeAll
  static void scratch() throws IOException {
    scratch = Files.createTempDirectory("modelship-rules-");
  }

  @AfterAll
  static void cleanUp() throws IOException {
    PrometheusServer.deleteTree(scratch);
  }

  @Test
  void promtoolChecksTheRulesFile() throws Exception {
    Result check = promtool("check", "rules", MONITORING.resolve("rules.yaml").toString());
    assertThat(check.exitCode).as("promtool check rules:\n%s", check.output).isZero();
    assertThat(check.output).contains("SUCCESS: 18 rules found");
  }

  @Test
  void theRulesPassTheirUnitTests() throws Exception {
    Result test = promtool("test", "rules", MONITORING.resolve("rules.test.yaml").toString());
    assertThat(test.exitCode).as("promtool test rules:\n%s", test.output).isZero();
    assertThat(test.output).contains("SUCCESS");
  }

  @Test
  void aWrongExpectationFailsTheUnitTests() throws Exception {
    // A copy in which fraud's p99 is expected at 0.9 s instead of 0.875 s.
    Files.copy(MONITORING.resolve("rules.yaml"), scratch.resolve("rules.yaml"));
    String tests = Files.readString(MONITORING.resolve("rules.test.yaml"));
    String p99 = "p99_5m{namespace=\"ml\",model=\"fraud\"}'\n            value: 0.875";
    assertThat(tests).contains(p99);
    Files.writeString(scratch.resolve("rules.test.yaml"), tests.replace(p99, p99.replace("0.875", "0.9")));

    Result test = promtool("test", "rules", scratch.resolve("rules.test.yaml").toString());
    assertThat(test.exitCode).as("promtool test rules on a wrong expectation:\n%s", test.output).isEqualTo(1);
    // promtool prints what it expected and what it got, in E notation.
    assertThat(test.output).contains("FAILED")
        .contains("model=\"fraud\", namespace=\"ml\"} 9E-01")
        .contains("model=\"fraud\", namespace=\"ml\"} 8.75E-01");
  }

  record Result(int exitCode, String output) {
  }

  static Result promtool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(PrometheusServer.promtool().toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(scratch, "promtool-", ".out");
    Process p = new ProcessBuilder(command).directory(scratch.toFile())
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("promtool " + String.join(" ", args) + " did not finish in 5 minutes");
    }
    return new Result(p.exitValue(), Files.readString(out));
  }
}
