package dev.modelship.optimizer;

import dev.modelship.artifact.Manifest;

/**
 * What a run left: where the artifact is (a directory or s3:// URI), its manifest, whether it was
 * reused, and its validation report with the gates this run checked it against.
 */
public record OptimizeResult(String digest, String location, Manifest manifest, boolean reused,
                             Manifest.Validation validation) {
}
