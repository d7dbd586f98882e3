package dev.modelship.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestTest {

  static Manifest manifest(int schemaVersion, String digest, Manifest.Output output) {
    return new Manifest(schemaVersion, digest, "0.1.0", "2026-11-29T00:00:00Z",
        new Manifest.Source("file:///m.onnx", "cd".repeat(32), "onnx", 10), List.of(), output,
        new Manifest.Signature(List.of(new Manifest.Tensor("x", "FP32", List.of(-1L, 4L))), List.of()), null);
  }

  @Test
  void aWrittenManifestParsesBackUnchanged() {
    Manifest m = manifest(1, "sha256:" + "ab".repeat(32), new Manifest.Output("model.onnx", "ef".repeat(32), 7));
    assertThat(Manifest.parse(m.toJson())).isEqualTo(m);
  }

  @Test
  void aManifestOfAnotherDigestIsNotThatArtifacts() {
    Manifest m = manifest(1, "sha256:" + "ab".repeat(32), new Manifest.Output("model.onnx", "ef".repeat(32), 7));
    assertThat(Manifest.parse(m.toJson(), "sha256:" + "ab".repeat(32))).isEqualTo(m);
    assertThatThrownBy(() -> Manifest.parse(m.toJson(), "sha256:" + "cd".repeat(32)))
        .hasMessageContaining("is for digest sha256:abab");
  }

  @Test
  void anotherSchemaVersionIsRefused() {
    byte[] v2 = manifest(2, "sha256:" + "ab".repeat(32), new Manifest.Output("model.onnx", "ef".repeat(32), 7)).toJson();
    assertThatThrownBy(() -> Manifest.parse(v2)).hasMessageContaining("schemaVersion 2");
  }

  @Test
  void aManifestThatCannotLocateOrVerifyItsModelIsRefused() {
    String digest = "sha256:" + "ab".repeat(32);
    for (Manifest.Output bad : List.of(
        new Manifest.Output("../model.onnx", "ef".repeat(32), 7),
        new Manifest.Output("manifest.json", "ef".repeat(32), 7),
        new Manifest.Output("model.onnx", "sha256:" + "ef".repeat(32), 7),
        new Manifest.Output("model.onnx", "ef".repeat(32), -1))) {
      assertThatThrownBy(() -> Manifest.parse(manifest(1, digest, bad).toJson())).as(bad.toString())
          .hasMessageContaining("output");
    }
    assertThatThrownBy(() -> Manifest.parse(manifest(1, "ab".repeat(32),
        new Manifest.Output("model.onnx", "ef".repeat(32), 7)).toJson())).hasMessageContaining("digest");
    assertThatThrownBy(() -> Manifest.parse("[1]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(Manifest.InvalidManifestException.class);
  }
}
