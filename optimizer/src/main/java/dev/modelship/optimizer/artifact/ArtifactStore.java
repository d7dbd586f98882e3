package dev.modelship.optimizer.artifact;

import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.Progress;
import dev.modelship.optimizer.fetch.FetchConfig;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where artifacts are kept, each under its digest: a directory ({@link DirectoryArtifactStore})
 * or an S3-compatible bucket ({@link S3ArtifactStore}). An artifact appears whole or not at all.
 */
public interface ArtifactStore extends AutoCloseable {

    /** Opens the store {@code --out} names: {@code s3://bucket[/prefix]}, or else a directory. */
    static ArtifactStore open(String out, FetchConfig config, Progress progress) {
        if (S3Location.isS3(out)) {
            return new S3ArtifactStore(S3Location.parse(out), config, progress);
        }
        return new DirectoryArtifactStore(Path.of(out));
    }

    /** Where the artifact of this digest is (or would be), as a user names it. */
    String location(String digest);

    /** The manifest of an existing, complete artifact for this digest, if there is one. */
    Optional<Manifest> existing(String digest);

    /** Stores model and manifest under the digest; returns {@link #location}. */
    String write(String digest, String modelFile, byte[] model, Manifest manifest);

    @Override
    default void close() {
    }
}
