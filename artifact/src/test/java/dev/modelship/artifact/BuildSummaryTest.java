package dev.modelship.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BuildSummaryTest {

  static Manifest manifest(List<Manifest.PipelineStep> steps) {
    return new Manifest(1, Digests.of("ab".repeat(32)), "0.1.0", "2026-11-29T00:00:00Z",
        new Manifest.Source("file:///m.json", "cd".repeat(32), "xgboost", 9000), steps,
        new Manifest.Output("model.onnx", "ef".repeat(32), 2048), null, null);
  }

  @Test
  void aBuiltSummaryReadsBackWithTheFiguresTheOperatorCopiesIntoStatus() {
    var validation = new Manifest.Validation("source model", "generated", 256, 4e-4, 1e-5, null, null, null,
        Map.of("maxAbsError", 0.01));
    String json = BuildSummary.built(manifest(List.of()), "/artifacts/" + "ab".repeat(32), false, validation).toJson();

    BuildSummary read = BuildSummary.parse(json).orElseThrow();
    assertThat(read.isBuilt()).isTrue();
    assertThat(read.reason()).isEqualTo(BuildReason.BUILT);
    assertThat(read.exitCode()).isZero();
    assertThat(read.digest()).isEqualTo("sha256:" + "ab".repeat(32));
    assertThat(read.bytes()).isEqualTo(2048L);
    assertThat(read.sourceBytes()).isEqualTo(9000L);
    assertThat(read.format()).as("the served file's").isEqualTo("onnx");
    assertThat(read.sourceFormat()).isEqualTo("xgboost");
    assertThat(read.validation().samples()).isEqualTo(256);
    assertThat(read.validation().maxAbsError()).isEqualTo(4e-4);
    assertThat(json).contains("\"reason\":\"Built\"");
  }

  @Test
  void aFailureCarriesItsReasonCodeAndExitCode() {
    String json = BuildSummary.failed(BuildReason.VALIDATION_FAILED, "max abs error 0.2 exceeds 0.001", null).toJson();
    assertThat(json).contains("\"reason\":\"ValidationFailed\"", "\"exitCode\":5");
    BuildSummary read = BuildSummary.parse(json).orElseThrow();
    assertThat(read.isBuilt()).isFalse();
    assertThat(read.message()).isEqualTo("max abs error 0.2 exceeds 0.001");
  }

  @Test
  void theJsonFitsATerminationMessageWhateverTheMessageAndPipeline() {
    String huge = "é".repeat(10_000);
    var steps = Collections.nCopies(500, new Manifest.PipelineStep("quantize-dynamic-with-a-long-name", Map.of(),
        List.of(), 1, 1, 1));
    for (BuildSummary s : List.of(
        BuildSummary.failed(BuildReason.FETCH_FAILED, huge, null),
        BuildSummary.built(manifest(steps), "/artifacts/" + "x".repeat(5000), true, null))) {
      String json = s.toJson();
      assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(BuildSummary.MAX_BYTES);
      BuildSummary read = BuildSummary.parse(json).orElseThrow();
      assertThat(read.reason()).isEqualTo(s.reason());
      assertThat(read.digest()).isEqualTo(s.digest());
    }
  }

  @Test
  void aLogTailEndingInTheSummaryLineIsRead() {
    String tail = "Unknown option: '--no-such-flag'\nUsage: modelship-optimizer optimize ...\n"
        + BuildSummary.failed(BuildReason.INVALID_ARGUMENTS, "Unknown option: '--no-such-flag'", null).toJson() + "\n";
    assertThat(BuildSummary.parse(tail)).hasValueSatisfying(s -> {
      assertThat(s.reason()).isEqualTo(BuildReason.INVALID_ARGUMENTS);
      assertThat(s.message()).contains("--no-such-flag");
    });
  }

  @Test
  void textThatIsNotASummaryIsNoSummary() {
    assertThat(BuildSummary.parse(null)).isEmpty();
    assertThat(BuildSummary.parse("")).isEmpty();
    assertThat(BuildSummary.parse("exec /opt/java: no such file or directory")).isEmpty();
    assertThat(BuildSummary.parse("{\"digest\":\"sha256:00\"}")).as("no reason").isEmpty();
    assertThat(BuildSummary.parse("{\"reason\":\"SomethingNewer\",\"message\":\"x\"}")).as("unknown reason").isEmpty();
  }
}
