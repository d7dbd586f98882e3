package dev.modelship.optimizer.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelship.artifact.BuildReason;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.Progress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FetcherTest {

    @TempDir
    Path tmp;

    private Fetcher fetcher(Path pvcRoot) {
        return new Fetcher(new FetchConfig(null, "us-east-1", pvcRoot, Duration.ofSeconds(10)), Progress.silent());
    }

    @Test
    void readsPathsAndFileUrisWithTheirSha256() throws Exception {
        Path f = tmp.resolve("m.bin");
        Files.writeString(f, "hello model\n", StandardCharsets.UTF_8);
        String expected = sha256sum(f);
        try (FetchedSource s = fetcher(tmp).fetch(f.toString(), null)) {
            assertThat(s.sha256()).isEqualTo(expected);
            assertThat(s.bytes()).isEqualTo(12);
            assertThat(s.file()).isEqualTo(f);
        }
        try (FetchedSource s = fetcher(tmp).fetch(f.toUri().toString(), "sha256:" + expected)) {
            assertThat(s.sha256()).isEqualTo(expected);
        }
        // A local source is the user's file: closing never deletes it.
        assertThat(f).exists();
    }

    @Test
    void pvcUrisResolveUnderTheMountRootAndStayInsideTheirClaim() throws Exception {
        Path claim = Files.createDirectories(tmp.resolve("models-claim/fraud"));
        Files.writeString(claim.resolve("model.json"), "{}");
        try (FetchedSource s = fetcher(tmp).fetch("pvc://models-claim/fraud/model.json", null)) {
            assertThat(s.file()).isEqualTo(claim.resolve("model.json"));
            assertThat(s.bytes()).isEqualTo(2);
        }
        assertThatThrownBy(() -> fetcher(tmp).fetch("pvc://models-claim/../../etc/passwd", null))
                .hasMessageContaining("escapes its claim");
        assertThatThrownBy(() -> fetcher(tmp).fetch("pvc://models-claim", null))
                .hasMessageContaining("pvc://<claim>/<path>");
    }

    @Test
    void aWrongPinIsAChecksumMismatchAndAMissingFileAFetchError() throws Exception {
        Path f = tmp.resolve("m.bin");
        Files.writeString(f, "hello model\n");
        assertThatThrownBy(() -> fetcher(tmp).fetch(f.toString(), "a".repeat(64)))
                .isInstanceOf(OptimizerException.class).hasMessageContaining("refusing")
                .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.CHECKSUM_MISMATCH);
        assertThatThrownBy(() -> fetcher(tmp).fetch(f.toString(), "abc"))
                .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.INVALID_ARGUMENTS);
        assertThatThrownBy(() -> fetcher(tmp).fetch(tmp.resolve("none").toString(), null))
                .hasMessageContaining("source not found")
                .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.FETCH_FAILED);
        assertThatThrownBy(() -> fetcher(tmp).fetch("ftp://host/model.onnx", null))
                .hasMessageContaining("unsupported source scheme 'ftp'");
    }

    /** sha256 by the coreutils tool, not by the code under test. */
    static String sha256sum(Path f) throws Exception {
        Process p = new ProcessBuilder("sha256sum", f.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        return out.split("\\s+")[0];
    }
}
