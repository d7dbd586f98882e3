package dev.modelship.operator.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.operator.api.v1alpha1.ArtifactStatus;
import dev.modelship.operator.contract.OptimizerRuns.Run;
import dev.modelship.operator.status.ArtifactObserver;
import dev.modelship.operator.status.ArtifactState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract between the optimizer and the operator: the operator's status code reads the
 * summaries the real optimizer writes, for a build and for each kind of failure. Each summary comes
 * from running the optimizer's jar as the artifact Job does; the expected figures come from the
 * artifact on disk, read independently.
 */
class OptimizerSummaryContractIT {

  static final String KEY = "0123456789";
  static final String JOB = "m-artifact-" + KEY;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  /** The Job as the Job controller leaves it, and its pod as the kubelet leaves it. */
  static ArtifactState observe(Run run) {
    return observe(run, null);
  }

  static ArtifactState observe(Run run, ArtifactStatus previous) {
    boolean ok = run.exitCode() == 0;
    Job job = new JobBuilder().withNewMetadata().withName(JOB).withNamespace("ml").endMetadata()
        .withNewStatus()
          .addNewCondition().withType(ok ? "Complete" : "Failed").withStatus("True")
            .withReason(ok ? "CompletionsReached" : "PodFailurePolicy").withMessage("").endCondition()
        .endStatus().build();
    Pod pod = new PodBuilder()
        .withNewMetadata().withName(JOB + "-x").withNamespace("ml")
          .addToLabels("modelship.dev/artifact-key", KEY).endMetadata()
        .withNewStatus().withPhase(ok ? "Succeeded" : "Failed")
          .addNewContainerStatus().withName("optimizer").withNewState().withNewTerminated()
            .withExitCode(run.exitCode()).withReason(ok ? "Completed" : "Error")
            .withMessage(run.terminationMessage()).withFinishedAt("2026-11-29T10:00:00Z")
          .endTerminated().endState().endContainerStatus()
        .endStatus().build();
    return ArtifactObserver.observe(KEY, JOB, job, List.of(pod), previous, null);
  }

  static ArtifactState assertFailed(Run run, int exitCode, String reason) {
    assertThat(run.exitCode()).as(run.stdout()).isEqualTo(exitCode);
    ArtifactState state = observe(run);
    assertThat(state.ready()).isFalse();
    assertThat(state.failed()).isTrue();
    assertThat(state.reason()).isEqualTo(reason);
    assertThat(state.serving()).isNull();
    return state;
  }

  @Test
  void aBuildFillsTheArtifactStatusWithTheFiguresOfTheArtifactOnDisk() throws IOException {
    String source = OptimizerRuns.exampleModel("trees/xgb_regression.json");
    Run run = OptimizerRuns.optimize(source, "--pass", "graph-optimize", "--samples", "64", "--max-abs-error", "1e-4");
    assertThat(run.exitCode()).as(run.stdout()).isZero();

    ArtifactState state = observe(run);
    assertThat(state.ready()).isTrue();
    assertThat(state.reason()).isEqualTo("Built");
    ArtifactStatus a = state.serving();
    Path dir = run.artifactDirectory();
    assertThat(a.digest).isEqualTo("sha256:" + dir.getFileName());
    assertThat(a.format).as("the served file's format").isEqualTo("onnx");
    assertThat(a.bytes).isEqualTo(Files.size(dir.resolve("model.onnx")));
    assertThat(a.sourceBytes).isEqualTo(Files.size(Path.of(source)));
    JsonNode manifest = JSON.readTree(dir.resolve("manifest.json").toFile());
    assertThat(a.validation.samples).isEqualTo(64);
    assertThat(a.validation.maxAbsError).isEqualTo(manifest.at("/validation/maxAbsError").asDouble());
    assertThat(a.buildKey).isEqualTo(KEY);
    assertThat(state.message()).contains(a.digest).contains(String.valueOf(a.bytes));
  }

  @Test
  void aDistilledBuildReportsTheStudentsAgreementWithTheTeacherInTheStatus() throws IOException {
    String source = OptimizerRuns.exampleModel("trees/lgb_multiclass.txt");
    Run run = OptimizerRuns.optimize(source, "--pass", "distill:trees=20,rows=5000",
        "--data", OptimizerRuns.exampleModel("trees/lgb_multiclass.inputs.npy"), "--samples", "40",
        "--min-top1-agreement", "0.5");
    assertThat(run.exitCode()).as(run.stdout()).isZero();

    ArtifactStatus a = observe(run).serving();
    JsonNode manifest = JSON.readTree(run.artifactDirectory().resolve("manifest.json").toFile());
    assertThat(manifest.at("/pipeline/0/name").asText()).isEqualTo("distill");
    assertThat(a.validation.samples).as("a fifth of the 200 rows, held out").isEqualTo(40);
    assertThat(a.validation.top1Agreement).isEqualTo(manifest.at("/validation/top1Agreement").asDouble())
        .isGreaterThanOrEqualTo(0.5);
  }

  @Test
  void aStudentBelowTheAgreementGateIsValidationFailed() {
    Run run = OptimizerRuns.optimize(OptimizerRuns.exampleModel("trees/lgb_multiclass.txt"),
        "--pass", "distill:trees=1,depth=1", "--data", OptimizerRuns.exampleModel("trees/lgb_multiclass.inputs.npy"),
        "--samples", "40", "--min-top1-agreement", "0.999");
    ArtifactState state = assertFailed(run, 5, "ValidationFailed");
    assertThat(state.message()).contains("top-1 agreement").contains("0.999");
  }

  @Test
  void aSourceThatCannotBeFetchedIsFetchFailed() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    ArtifactState state = assertFailed(OptimizerRuns.optimize("http://127.0.0.1:" + closed + "/model.onnx"), 3,
        "FetchFailed");
    assertThat(state.message()).contains("GET http://127.0.0.1:" + closed + "/model.onnx");
  }

  @Test
  void whileTheJobRetriesAFetchFailureTheStatusSaysWhy() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Run failed = OptimizerRuns.optimize("http://127.0.0.1:" + closed + "/model.onnx");
    // The Job has no condition yet: its first pod failed (retryable), the second is starting.
    Job running = new JobBuilder().withNewMetadata().withName(JOB).withNamespace("ml").endMetadata()
        .withNewStatus().withActive(1).withFailed(1).endStatus().build();
    Pod first = new PodBuilder()
        .withNewMetadata().withName(JOB + "-a").withNamespace("ml").addToLabels("modelship.dev/artifact-key", KEY)
        .endMetadata()
        .withNewStatus().withPhase("Failed")
          .addNewContainerStatus().withName("optimizer").withNewState().withNewTerminated()
            .withExitCode(failed.exitCode()).withReason("Error").withMessage(failed.terminationMessage())
            .withFinishedAt("2026-11-29T10:00:00Z")
          .endTerminated().endState().endContainerStatus()
        .endStatus().build();
    ArtifactState state = ArtifactObserver.observe(KEY, JOB, running, List.of(first), null, null);
    assertThat(state.reason()).isEqualTo("Building");
    assertThat(state.failed()).isFalse();
    assertThat(state.message()).contains("retrying after FetchFailed: GET http://127.0.0.1:" + closed);
  }

  @Test
  void aFileNoConverterReadsIsUnsupportedFormat() throws IOException {
    // A PyTorch checkpoint is a zip archive.
    Path checkpoint = tmp.resolve("model.pt");
    Files.write(checkpoint, new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0});
    ArtifactState state = assertFailed(OptimizerRuns.optimize(checkpoint.toString()), 8, "UnsupportedFormat");
    assertThat(state.message()).contains("not a model format the optimizer reads");
  }

  @Test
  void aTruncatedModelIsInvalidModel() throws IOException {
    byte[] onnx = Files.readAllBytes(Path.of(OptimizerRuns.exampleModel("digits_mlp.onnx")));
    Path truncated = tmp.resolve("truncated.onnx");
    Files.write(truncated, Arrays.copyOf(onnx, onnx.length / 2));
    ArtifactState state = assertFailed(OptimizerRuns.optimize(truncated.toString()), 4, "InvalidModel");
    assertThat(state.message()).contains("ONNX");
  }

  @Test
  void aFailedGateIsValidationFailedWithTheMeasuredError() {
    Run run = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--pass", "float16", "--samples", "32",
        "--max-abs-error", "0");
    ArtifactState state = assertFailed(run, 5, "ValidationFailed");
    assertThat(state.message()).contains("max abs error").contains("> allowed 0.0");

    // With an artifact already serving, it keeps serving and the message says so.
    ArtifactStatus previous = new ArtifactStatus();
    previous.digest = "sha256:" + "0a".repeat(32);
    previous.buildKey = "oldkey0000";
    state = observe(run, previous);
    assertThat(state.reason()).isEqualTo("ValidationFailed");
    assertThat(state.servingDigest()).isEqualTo(previous.digest);
    assertThat(state.message()).contains(previous.digest + " keeps serving").contains(JOB);
  }

  @Test
  void aPinnedChecksumThatDiffersIsChecksumMismatch() {
    ArtifactState state = assertFailed(OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--sha256", "0".repeat(64)),
        9, "ChecksumMismatch");
    assertThat(state.message()).contains("0".repeat(64));
  }

  @Test
  void aFaultOfTheMachineIsInternalError() {
    // No scratch space: what a pod without its /tmp volume would meet under a read-only root.
    Run run = OptimizerRuns.optimize(List.of("-Djava.io.tmpdir=" + tmp.resolve("no-such-dir")),
        OptimizerRuns.exampleModel("digits_mlp.onnx"), "--pass", "graph-optimize", "--samples", "0");
    ArtifactState state = assertFailed(run, 1, "InternalError");
    assertThat(state.message()).contains("cannot use the scratch directory").contains("no-such-dir");
  }

  @Test
  void aRejectedFlagIsInvalidArgumentsEvenWithoutTheSummaryFile() {
    // Refused before the flags are read, so there is no summary file: the pod's termination message
    // is then the log's tail (FallbackToLogsOnError), which ends in the summary line.
    Run run = OptimizerRuns.optimize(OptimizerRuns.exampleModel("digits_mlp.onnx"), "--no-such-flag");
    assertThat(run.terminationMessage()).isEmpty();
    Run asLogged = new Run(run.exitCode(), "Unknown option: '--no-such-flag'\n" + run.stdout(), run.stdout(), run.out());
    ArtifactState state = assertFailed(asLogged, 2, "InvalidArguments");
    assertThat(state.message()).contains("--no-such-flag");
  }
}
