package dev.modelship.optimizer;

import dev.modelship.optimizer.artifact.Manifest;
/** What a run left: where the artifact is (a directory or s3:// URI), its manifest, and whether it was reused. */
public record OptimizeResult(String digest, String location, Manifest manifest, boolean reused) {
}
