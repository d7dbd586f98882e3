package dev.modelship.optimizer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.optimizer.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command as a user (or the operator's Job) runs it: files in, artifact and summary out. */
class OptimizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private final CommandRun command = new CommandRun();

    private int run(String... args) {
        return command.run(args);
    }

    private JsonNode summary() throws IOException {
        return command.summary();
    }

    private List<Path> artifacts(Path out) throws IOException {
        if (!Files.exists(out)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(out)) {
            return s.toList();
        }
    }

    private static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test
    void writesAContentAddressedArtifactAndReusesIt() throws Exception {
        Path out = tmp.resolve("artifacts");
        Path summaryFile = tmp.resolve("termination-log");
        Path source = Fixtures.path("digits_mlp.onnx");
        int code = run("optimize", source.toString(), "--out", out.toString(),
                "--pass", "graph-optimize", "--pass", "quantize-dynamic:perChannel=true",
                "--samples", "32", "--min-top1-agreement", "0.9", "--summary-file", summaryFile.toString());
        assertThat(code).isZero();
        JsonNode summary = summary();
        assertThat(summary.get("reason").asText()).isEqualTo("Built");
        assertThat(summary.get("exitCode").asInt()).isZero();
        assertThat(summary.get("reused").asBoolean()).isFalse();
        assertThat(Files.readString(summaryFile)).isEqualTo(command.stdout().strip()
                .lines().reduce((a, b) -> b).orElseThrow());
        assertThat(Files.size(summaryFile)).isLessThanOrEqualTo(4096);

        String digest = summary.get("digest").asText();
        assertThat(digest).matches("sha256:[0-9a-f]{64}");
        Path dir = out.resolve(digest.substring(7));
        assertThat(artifacts(out)).containsExactly(dir);
        JsonNode m = JSON.readTree(dir.resolve("manifest.json").toFile());
        assertThat(m.get("schemaVersion").asInt()).isEqualTo(1);
        assertThat(m.get("digest").asText()).isEqualTo(digest);
        assertThat(m.at("/source/sha256").asText()).isEqualTo(sha256(source));
        assertThat(m.at("/source/bytes").asLong()).isEqualTo(Files.size(source));
        assertThat(m.at("/source/format").asText()).isEqualTo("onnx");
        assertThat(m.at("/output/file").asText()).isEqualTo("model.onnx");
        assertThat(m.at("/output/sha256").asText()).isEqualTo(sha256(dir.resolve("model.onnx")));
        assertThat(m.at("/output/bytes").asLong()).isEqualTo(Files.size(dir.resolve("model.onnx")))
                .isLessThan(Files.size(source) / 2);
        assertThat(m.at("/pipeline/0/name").asText()).isEqualTo("graph-optimize");
        assertThat(m.at("/pipeline/0/params/level").asText()).isEqualTo("basic");
        assertThat(m.at("/pipeline/1/params/perChannel").asText()).isEqualTo("true");
        assertThat(m.at("/signature/inputs/0/name").asText()).isEqualTo("X");
        assertThat(m.at("/signature/inputs/0/datatype").asText()).isEqualTo("FP32");
        assertThat(m.at("/signature/inputs/0/shape").toString()).isEqualTo("[-1,64]");
        assertThat(m.at("/signature/outputs/1/name").asText()).isEqualTo("probabilities");
        assertThat(m.at("/validation/samples").asInt()).isEqualTo(32);
        assertThat(m.at("/validation/maxAbsError").asDouble()).isGreaterThan(0).isLessThan(0.1);
        assertThat(m.at("/validation/top1Agreement").asDouble()).isGreaterThanOrEqualTo(0.9);
        assertThat(m.at("/validation/latencyMillis/original").asDouble()).isPositive();
        assertThat(m.at("/validation/bytes/original").asLong()).isEqualTo(Files.size(source));

        // Same source, passes and samples: nothing rebuilt, the directory is untouched.
        long modified = Files.getLastModifiedTime(dir.resolve("manifest.json")).toMillis();
        assertThat(run("optimize", source.toString(), "--out", out.toString(),
                "--pass", "graph-optimize", "--pass", "quantize-dynamic:perChannel=true", "--samples", "32")).isZero();
        assertThat(summary().get("reused").asBoolean()).isTrue();
        assertThat(summary().get("digest").asText()).isEqualTo(digest);
        assertThat(Files.getLastModifiedTime(dir.resolve("manifest.json")).toMillis()).isEqualTo(modified);

        // Other passes: another digest, another directory.
        assertThat(run("optimize", source.toString(), "--out", out.toString(), "--pass", "ort-format")).isZero();
        assertThat(summary().get("digest").asText()).isNotEqualTo(digest);
        assertThat(summary().get("file").asText()).isEqualTo("model.ort");
        assertThat(summary().get("format").asText()).isEqualTo("ort");
        assertThat(artifacts(out)).hasSize(2);
    }

    @Test
    void convertsXgboostAndValidatesAgainstTheConvertedModel() throws Exception {
        Path out = tmp.resolve("a");
        assertThat(run("optimize", Fixtures.path("xgb_multi_softprob.json").toString(), "--out", out.toString(),
                "--pass", "graph-optimize", "--max-abs-error", "1e-6")).isZero();
        JsonNode s = summary();
        assertThat(s.get("sourceFormat").asText()).isEqualTo("xgboost");
        assertThat(s.get("format").asText()).isEqualTo("onnx");
        assertThat(s.at("/validation/maxAbsError").asDouble()).isLessThanOrEqualTo(1e-6);
        assertThat(s.at("/validation/top1Agreement").asDouble()).isEqualTo(1.0);
        assertThat(s.at("/validation/reference").asText()).isEqualTo("converted model before passes");
    }

    @Test
    void validatesOnTheUsersOwnSamples() throws Exception {
        Path out = tmp.resolve("a");
        // A .npy array of 200 rows (40 with NaN) for a single-input model.
        assertThat(run("optimize", "../examples/models/trees/lgb_binary.txt", "--out", out.toString(),
                "--sample-file", "../examples/models/trees/lgb_binary.inputs.npy", "--samples", "500",
                "--pass", "graph-optimize")).isZero();
        JsonNode v = summary().get("validation");
        assertThat(v.get("samplesFrom").asText()).isEqualTo("lgb_binary.inputs.npy");
        assertThat(v.get("samples").asInt()).isEqualTo(200);
        assertThat(v.get("maxAbsError").asDouble()).isZero();

        // A V2 inference request (3 rows).
        assertThat(run("optimize", "../examples/models/digits_mlp.onnx", "--out", out.toString(),
                "--sample-file", "../examples/models/digits_mlp.request.json", "--pass", "quantize-dynamic")).isZero();
        v = summary().get("validation");
        assertThat(v.get("samplesFrom").asText()).isEqualTo("digits_mlp.request.json");
        assertThat(v.get("samples").asInt()).isEqualTo(3);

        Path bad = tmp.resolve("bad.npy");
        Files.write(bad, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 10, 0, '{'});
        assertThat(run("optimize", "../examples/models/digits_mlp.onnx", "--out", out.toString(),
                "--sample-file", bad.toString())).isEqualTo(2);
        assertThat(summary().get("message").asText()).contains("cannot read sample file");
    }

    @Test
    void aFailedGateWritesNothingAndLeavesThePreviousArtifact() throws Exception {
        Path out = tmp.resolve("a");
        String source = Fixtures.path("digits_mlp.onnx").toString();
        assertThat(run("optimize", source, "--out", out.toString())).isZero();
        List<Path> before = artifacts(out);
        Path summaryFile = tmp.resolve("summary.json");
        int code = run("optimize", source, "--out", out.toString(), "--pass", "quantize-dynamic",
                "--max-abs-error", "1e-9", "--summary-file", summaryFile.toString());
        assertThat(code).isEqualTo(5);
        JsonNode s = JSON.readTree(summaryFile.toFile());
        assertThat(s.get("reason").asText()).isEqualTo("ValidationFailed");
        assertThat(s.get("message").asText()).contains("max abs error").contains("1.0E-9");
        assertThat(s.at("/validation/maxAbsError").asDouble()).isGreaterThan(1e-9);
        assertThat(artifacts(out)).isEqualTo(before);
    }

    @Test
    void aReusedArtifactMustMeetTheCurrentGates() throws Exception {
        Path out = tmp.resolve("a");
        String source = Fixtures.path("digits_mlp.onnx").toString();
        String[] build = {"optimize", source, "--out", out.toString(), "--pass", "quantize-dynamic", "--samples", "32"};
        assertThat(run(build)).isZero();
        double error = summary().at("/validation/maxAbsError").asDouble();
        assertThat(error).isPositive();
        Path dir = out.resolve(summary().get("digest").asText().substring(7));
        long modified = Files.getLastModifiedTime(dir.resolve("manifest.json")).toMillis();

        // The same build with a gate the stored report does not meet: refused, though the artifact exists.
        String[] tight = Stream.concat(Stream.of(build), Stream.of("--max-abs-error", String.valueOf(error / 2)))
                .toArray(String[]::new);
        assertThat(run(tight)).isEqualTo(5);
        assertThat(summary().get("reason").asText()).isEqualTo("ValidationFailed");
        assertThat(summary().get("message").asText()).contains("exists").contains("max abs error " + error);
        assertThat(summary().at("/validation/gates/maxAbsError").asDouble()).isEqualTo(error / 2);

        // A gate it meets: reused without work, the report carries the gate it was checked against.
        String[] loose = Stream.concat(Stream.of(build), Stream.of("--max-abs-error", String.valueOf(error * 2)))
                .toArray(String[]::new);
        assertThat(run(loose)).isZero();
        assertThat(summary().get("reused").asBoolean()).isTrue();
        assertThat(summary().at("/validation/maxAbsError").asDouble()).isEqualTo(error);
        assertThat(summary().at("/validation/gates/maxAbsError").asDouble()).isEqualTo(error * 2);
        assertThat(Files.getLastModifiedTime(dir.resolve("manifest.json")).toMillis()).isEqualTo(modified);

        // Other samples are another validation, so another artifact: its report is made, not borrowed.
        assertThat(run("optimize", source, "--out", out.toString(), "--pass", "quantize-dynamic", "--samples", "16"))
                .isZero();
        assertThat(summary().get("reused").asBoolean()).isFalse();
        assertThat(summary().at("/validation/samples").asInt()).isEqualTo(16);
        assertThat(artifacts(out)).hasSize(2);
    }

    @Test
    void badInputGetsItsDocumentedExitCodeAndLeavesNothing() throws Exception {
        Path out = tmp.resolve("out");
        // Usage: unknown pass, checked before the (missing) source is even looked at.
        assertThat(run("optimize", "/nonexistent", "--out", out.toString(), "--pass", "shrink")).isEqualTo(2);
        assertThat(summary().get("message").asText()).contains("unknown pass 'shrink'");
        assertThat(run("optimize", "x", "--out", out.toString(), "--no-such-flag")).isEqualTo(2);
        // Fetch: missing file, wrong pin.
        assertThat(run("optimize", tmp.resolve("missing.onnx").toString(), "--out", out.toString())).isEqualTo(3);
        assertThat(run("optimize", Fixtures.path("digits_mlp.onnx").toString(), "--out", out.toString(),
                "--sha256", "0".repeat(64))).isEqualTo(9);
        assertThat(summary().get("reason").asText()).isEqualTo("ChecksumMismatch");
        assertThat(summary().get("message").asText()).contains("pin");

        // Bad models.
        byte[] onnx = Fixtures.bytes("digits_mlp.onnx");
        Path truncated = tmp.resolve("truncated.onnx");
        Files.write(truncated, java.util.Arrays.copyOf(onnx, onnx.length / 2));
        assertThat(run("optimize", truncated.toString(), "--out", out.toString())).isEqualTo(4);
        assertThat(summary().get("reason").asText()).isEqualTo("InvalidModel");
        assertThat(summary().get("message").asText()).contains("ONNX");

        Path notXgb = tmp.resolve("config.json");
        Files.writeString(notXgb, "{\"name\": \"not a model\"}");
        assertThat(run("optimize", notXgb.toString(), "--out", out.toString())).isEqualTo(4);
        assertThat(summary().get("message").asText()).contains("not an XGBoost model");

        Path ranker = tmp.resolve("ranker.json");
        Files.writeString(ranker, Files.readString(Fixtures.path("xgb_regression.json"))
                .replace("\"reg:squarederror\"", "\"rank:pairwise\""));
        assertThat(run("optimize", ranker.toString(), "--out", out.toString())).isEqualTo(8);
        assertThat(summary().get("reason").asText()).isEqualTo("UnsupportedFormat");
        assertThat(summary().get("message").asText()).contains("unsupported XGBoost objective 'rank:pairwise'");

        // A PyTorch checkpoint is a zip file: no converter reads it, and the message says what it saw.
        Path checkpoint = tmp.resolve("model.pt");
        Files.write(checkpoint, new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0});
        assertThat(run("optimize", checkpoint.toString(), "--out", out.toString())).isEqualTo(8);
        assertThat(summary().get("message").asText()).contains("bytes 50 4b 03 04");

        Path nanWeights = tmp.resolve("nan.onnx");
        var model = dev.modelship.optimizer.onnx.OnnxModels.parse(onnx).toBuilder();
        var g = model.getGraphBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            var t = g.getInitializer(i);
            if (t.getName().equals("coefficient")) {
                float[] w = dev.modelship.optimizer.onnx.Tensors.floats(t);
                w[3] = Float.NaN;
                g.setInitializer(i, dev.modelship.optimizer.onnx.Tensors.floatTensor(t.getName(),
                        dev.modelship.optimizer.onnx.Tensors.dims(t), w));
            }
        }
        Files.write(nanWeights, model.build().toByteArray());
        assertThat(run("optimize", nanWeights.toString(), "--out", out.toString())).isEqualTo(4);
        assertThat(summary().get("message").asText()).contains("'coefficient'").contains("NaN");

        // Valid protobuf, but an op no runtime knows: refused even without validation samples.
        Path unknownOp = tmp.resolve("unknown-op.onnx");
        var m2 = dev.modelship.optimizer.onnx.OnnxModels.parse(onnx).toBuilder();
        m2.getGraphBuilder().getNodeBuilder(3).setOpType("NoSuchRelu");
        Files.write(unknownOp, m2.build().toByteArray());
        assertThat(run("optimize", unknownOp.toString(), "--out", out.toString(), "--samples", "0")).isEqualTo(4);
        assertThat(summary().get("message").asText()).contains("ONNX Runtime cannot load").contains("NoSuchRelu");

        assertThat(artifacts(out)).isEmpty();
    }

    @Test
    void anUnwritableArtifactRootIsAnIoErrorWithNothingLeftBehind() throws Exception {
        Path notADir = tmp.resolve("file");
        Files.writeString(notADir, "x");
        assertThat(run("optimize", Fixtures.path("lgb_binary.txt").toString(), "--out",
                notADir.resolve("sub").toString())).isEqualTo(6);
        assertThat(summary().get("message").asText()).contains("cannot write the artifact");
    }
}
