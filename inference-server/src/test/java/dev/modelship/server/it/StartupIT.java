package dev.modelship.server.it;

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
