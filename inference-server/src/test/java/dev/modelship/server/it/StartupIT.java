package dev.modelship.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** What the server does with what it is pointed at: artifacts, checksums, broken files. */
class StartupIT {

    @TempDir
    Path tmp;

    /**
     * An artifact directory as the real optimizer writes it (its jar, run as the artifact Job runs
     * it), built from {@code dynamic_batch.onnx} copied under the name {@code Fraud_XGB.onnx}.
     */
    private Path artifact() throws Exception {
        Path source = tmp.resolve("Fraud_XGB.onnx");
        Files.copy(ServerProcess.MODELS.resolve("dynamic_batch.onnx"), source);
        Path out = tmp.resolve("artifacts");
        Path jar = ServerProcess.REPO.resolve("optimizer/target/modelship-optimizer.jar");
        assertThat(jar).as("the optimizer's jar (built before this module)").exists();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                jar.toString(), "optimize", source.toString(), "--out", out.toString(), "--samples", "8")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("optimizer.log").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("optimizer.log"))).isZero();
        try (Stream<Path> dirs = Files.list(out)) {
            return dirs.toList().get(0);
        }
    }

    @Test
    void anArtifactDirectoryWithAMatchingChecksumIsServedUnderItsDigest() throws Exception {
        Path dir = artifact();
        String digest = "sha256:" + dir.getFileName();
        try (ServerProcess server = ServerProcess.start(dir, Map.of("modelship.model.name", "fraud"))) {
            V2Client client = new V2Client(server.httpUrl());
            assertThat(client.get("/v2/models/fraud").status()).isEqualTo(200);
            assertThat(client.get("/metrics").text())
                    .contains("modelship_model_info{digest=\"" + digest + "\",format=\"onnx\",model=\"fraud\"} 1.0");
        }
    }

    @Test
    void anArtifactWithoutAConfiguredNameIsServedUnderItsSourceFilesName() throws Exception {
        Path dir = artifact();
        try (ServerProcess server = ServerProcess.start(dir, Map.of())) {
            V2Client client = new V2Client(server.httpUrl());
            assertThat(client.get("/v2/models/fraud_xgb").status()).isEqualTo(200);
            assertThat(client.get("/v2/models/" + dir.getFileName()).status()).isEqualTo(404);
        }
    }

    /**
     * Validation rows with missing values (NaN), which a V2 JSON request cannot carry: the
     * optimizer's manifest takes the first row without one, and the server warms up with it.
     */
    @Test
    void validationRowsWithMissingValuesLeaveAWarmUpSampleJsonCanCarry() throws Exception {
        Path rows = ServerProcess.REPO.resolve("examples/models/trees/xgb_multi_softprob.inputs.npy");
        Path out = tmp.resolve("artifacts");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                ServerProcess.REPO.resolve("optimizer/target/modelship-optimizer.jar").toString(), "optimize",
                ServerProcess.REPO.resolve("examples/models/trees/xgb_multi_softprob.json").toString(),
                "--out", out.toString(), "--sample-file", rows.toString(), "--samples", "60")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("optimizer.log").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(tmp.resolve("optimizer.log"))).isZero();
        Path dir;
        try (Stream<Path> dirs = Files.list(out)) {
            dir = dirs.toList().get(0);
        }
        // Every row of the file before row 40 has a NaN.
        JsonNode data = V2Client.JSON.readTree(dir.resolve("manifest.json").toFile()).at("/warmup/inputs/0/data");
        assertThat(data).hasSize(10);
        data.forEach(v -> assertThat(v.isNumber()).as("a JSON number: %s", v).isTrue());
        try (ServerProcess server = ServerProcess.start(dir, Map.of())) {
            assertThat(server.log()).contains("warmed up with the artifact's validation sample");
            assertThat(new V2Client(server.httpUrl()).get("/v2/health/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void anArtifactIsWarmedUpWithItsValidationSample() throws Exception {
        Path dir = artifact();
        // The optimizer's manifest carries the first of its samples: one row of dynamic_batch's x [N, 4].
        JsonNode warmup = V2Client.JSON.readTree(dir.resolve("manifest.json").toFile()).path("warmup");
        assertThat(warmup.path("inputs")).hasSize(1);
        assertThat(warmup.path("inputs").get(0).path("name").asText()).isEqualTo("x");
        assertThat(warmup.path("inputs").get(0).path("shape").toString()).isEqualTo("[1,4]");
        assertThat(warmup.path("inputs").get(0).path("data")).hasSize(4);
        try (ServerProcess server = ServerProcess.start(dir, Map.of())) {
            assertThat(server.log()).contains("warmed up with the artifact's validation sample");
            assertThat(new V2Client(server.httpUrl()).get("/v2/health/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void anArtifactWhoseValidationSampleCannotRunIsNotServed() throws Exception {
        Path dir = artifact();
        Path manifest = dir.resolve("manifest.json");
        // A sample for an input the model does not have: the model cannot run on what it was validated with.
        String written = Files.readString(manifest);
        assertThat(written).contains("\"name\" : \"x\"");
        Files.writeString(manifest, written.replace("\"name\" : \"x\"", "\"name\" : \"nope\""));
        assertFailsToStart(dir, "with the artifact's validation sample failed");
    }

    /**
     * string_numbers.onnx casts its text input to numbers: ONNX Runtime fails on the empty strings of
     * a generated warm-up, and on nothing a user would send. The server starts, says why, and serves.
     */
    @Test
    void aModelWhoseGeneratedWarmUpFailsIsServedAnyway() throws Exception {
        try (ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("string_numbers.onnx"), Map.of())) {
            assertThat(server.log()).contains("WARN").contains("with generated inputs (zeros, empty strings) failed")
                    .contains("warmed up with nothing (generated inputs failed)");
            V2Client client = new V2Client(server.httpUrl());
            assertThat(client.get("/v2/health/ready").status()).isEqualTo(200);
            V2Client.Reply reply = client.post("/v2/models/string_numbers/infer", """
                    {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [3, 1], "data": ["1.5", "-4", "0.25"]}]}
                    """);
            assertThat(reply.status()).as(reply.text()).isEqualTo(200);
            assertThat(reply.json().path("outputs").get(0).path("data").toString()).isEqualTo("[3.0,-8.0,0.5]");
            // Text that is not a number is the client's fault, and the server goes on.
            assertThat(client.post("/v2/models/string_numbers/infer", """
                    {"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 1], "data": ["abc"]}]}
                    """).status()).isEqualTo(400);
            assertThat(client.get("/v2/health/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void aChecksumMismatchStopsTheServerBeforeItServes() throws Exception {
        Path dir = artifact();
        // Another valid model in the artifact's place: not the one built.
        Files.copy(ServerProcess.MODELS.resolve("digits_mlp.onnx"), dir.resolve("model.onnx"),
                StandardCopyOption.REPLACE_EXISTING);
        assertFailsToStart(dir, "checksum mismatch");
    }

    @Test
    void aManifestOfAnotherSchemaVersionIsRefused() throws Exception {
        Path dir = artifact();
        Path manifest = dir.resolve("manifest.json");
        String written = Files.readString(manifest);
        assertThat(written).contains("\"schemaVersion\" : 1");
        Files.writeString(manifest, written.replace("\"schemaVersion\" : 1", "\"schemaVersion\" : 2"));
        assertFailsToStart(dir, "manifest schemaVersion 2 is not 1");
    }

    @Test
    void truncatedMissingAndMisnamedModelsFailWithAClearMessage() throws Exception {
        byte[] model = Files.readAllBytes(ServerProcess.MODELS.resolve("digits_mlp.onnx"));
        Path truncated = tmp.resolve("truncated.onnx");
        Files.write(truncated, java.util.Arrays.copyOf(model, model.length / 2));
        assertFailsToStart(truncated, "ONNX Runtime cannot load");
        assertFailsToStart(tmp.resolve("absent.onnx"), "does not exist");
        Path txt = Files.writeString(tmp.resolve("model.txt"), "hello");
        assertFailsToStart(txt, "must end in .onnx or .ort");
        assertFailsToStart(Files.createDirectories(tmp.resolve("empty")), "has no manifest.json");
    }

    private static void assertFailsToStart(Path model, String message) throws Exception {
        ServerProcess server = ServerProcess.launch(model, Map.of());
        try {
            assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).as("server exits").isTrue();
            assertThat(server.process().exitValue()).isNotZero();
            assertThat(server.log()).contains(message);
        } finally {
            server.terminate(Duration.ofSeconds(10));
        }
    }
}
