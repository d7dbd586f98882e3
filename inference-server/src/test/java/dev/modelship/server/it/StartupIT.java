package dev.modelship.server.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the server does with what it is pointed at: artifacts, checksums, broken files. */
class StartupIT {

    @TempDir
    Path tmp;

    private Path artifact(String sha256) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("sha256-0123abcd"));
        Files.copy(ServerProcess.MODELS.resolve("dynamic_batch.onnx"), dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("manifest.json"), "{\"schemaVersion\":1,\"digest\":\"sha256:0123abcd\","
                + "\"source\":{\"uri\":\"s3://models/fraud/Fraud_XGB.json\"},"
                + "\"output\":{\"file\":\"model.onnx\",\"sha256\":\"" + sha256 + "\",\"bytes\":"
                + Files.size(dir.resolve("model.onnx")) + "}}");
        return dir;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void anArtifactDirectoryWithAMatchingChecksumIsServedUnderItsDigest() throws Exception {
        Path dir = artifact(sha256(ServerProcess.MODELS.resolve("dynamic_batch.onnx")));
        try (ServerProcess server = ServerProcess.start(dir, Map.of("modelship.model.name", "fraud"))) {
            V2Client client = new V2Client(server.httpUrl());
            assertThat(client.get("/v2/models/fraud").status()).isEqualTo(200);
            assertThat(client.get("/metrics").text())
                    .contains("modelship_model_info{digest=\"sha256:0123abcd\",format=\"onnx\",model=\"fraud\"} 1.0");
        }
    }

    @Test
    void anArtifactWithoutAConfiguredNameIsServedUnderItsSourceFilesName() throws Exception {
        Path dir = artifact(sha256(ServerProcess.MODELS.resolve("dynamic_batch.onnx")));
        try (ServerProcess server = ServerProcess.start(dir, Map.of())) {
            V2Client client = new V2Client(server.httpUrl());
            assertThat(client.get("/v2/models/fraud_xgb").status()).isEqualTo(200);
            assertThat(client.get("/v2/models/sha256-0123abcd").status()).isEqualTo(404);
        }
    }

    @Test
    void aChecksumMismatchStopsTheServerBeforeItServes() throws Exception {
        Path dir = artifact("0".repeat(64));
        assertFailsToStart(dir, "checksum mismatch");
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
