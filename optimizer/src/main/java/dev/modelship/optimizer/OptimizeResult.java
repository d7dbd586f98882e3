package dev.modelship.optimizer;

import dev.modelship.optimizer.artifact.Manifest;
import java.nio.file.Path;

/** What a run left: the artifact directory, its manifest, and whether it was reused. */
public record OptimizeResult(String digest, Path directory, Manifest manifest, boolean reused) {
}
