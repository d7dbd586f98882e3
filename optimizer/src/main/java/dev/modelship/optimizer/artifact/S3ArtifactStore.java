package dev.modelship.optimizer.artifact;

import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.Progress;
import dev.modelship.optimizer.fetch.FetchConfig;
import dev.modelship.optimizer.fetch.S3Clients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Artifacts in an S3-compatible bucket: {@code <prefix>/<digest hex>/{model file, manifest.json}}.
 * The artifact is built in a local directory first, then the model is uploaded and the manifest
 * last, so a manifest in the bucket means a complete artifact. An existing manifest is never
 * overwritten: the key is the content's digest, and a later upload must not replace an artifact
 * that pods may already be pulling.
 */
public final class S3ArtifactStore implements ArtifactStore {
    private final S3Location location;
    private final S3Client s3;
    private final Progress progress;

    public S3ArtifactStore(S3Location location, FetchConfig config, Progress progress) {
        this.location = location;
        this.s3 = S3Clients.forStore(config, System.getenv());
        this.progress = progress;
    }

    @Override
    public String location(String digest) {
        return location.uri(digest);
    }

    @Override
    public Optional<Manifest> existing(String digest) {
        String key = location.key(digest, Manifest.FILE);
        byte[] bytes;
        try {
            bytes = s3.getObjectAsBytes(b -> b.bucket(location.bucket()).key(key)).asByteArray();
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw new OptimizerException(BuildReason.STORE_FAILED, "cannot read the artifact store "
                    + location + ": " + e.getMessage(), e);
        }
        Manifest manifest;
        try {
            manifest = Manifest.parse(bytes, digest);
        } catch (Manifest.InvalidManifestException e) {
            throw damaged(digest, "its manifest.json is not one this optimizer can use (" + e.getMessage() + ")", e);
        }
        // The size is checked here without a download; the sha256 is checked by every pull.
        long size;
        try {
            size = s3.headObject(b -> b.bucket(location.bucket())
                    .key(location.key(digest, manifest.output().file()))).contentLength();
        } catch (NoSuchKeyException e) {
            throw damaged(digest, "its model file " + manifest.output().file() + " is missing", e);
        } catch (SdkException e) {
            throw new OptimizerException(BuildReason.STORE_FAILED, "cannot read the artifact store "
                    + location + ": " + e.getMessage(), e);
        }
        if (size != manifest.output().bytes()) {
            throw damaged(digest, "its model file " + manifest.output().file() + " has " + size
                    + " bytes, the manifest says " + manifest.output().bytes(), null);
        }
        return Optional.of(manifest);
    }

    /** A manifest is never overwritten, so a damaged artifact needs a person; the message says what to do. */
    private OptimizerException damaged(String digest, String what, Exception cause) {
        return new OptimizerException(BuildReason.ARTIFACT_CORRUPT, "artifact " + location.uri(digest)
                + " is damaged: " + what + "; it is never overwritten: delete " + location.uri(digest)
                + "/ to rebuild it", cause);
    }

    @Override
    public String write(String digest, String modelFile, byte[] model, Manifest manifest) {
        Path work = null;
        try {
            work = Files.createTempDirectory("modelship-publish-");
            Path dir = new DirectoryArtifactStore(work).writeDirectory(digest, modelFile, model, manifest);
            if (existing(digest).isPresent()) {
                progress.step("artifact " + location.uri(digest) + " was published meanwhile; it stays as it is");
                return location.uri(digest);
            }
            s3.putObject(b -> b.bucket(location.bucket()).key(location.key(digest, modelFile)),
                    RequestBody.fromFile(dir.resolve(modelFile)));
            try {
                // If-None-Match: * closes the gap between the check above and this write.
                s3.putObject(b -> b.bucket(location.bucket()).key(location.key(digest, Manifest.FILE)).ifNoneMatch("*"),
                        RequestBody.fromFile(dir.resolve(Manifest.FILE)));
            } catch (S3Exception e) {
                if (e.statusCode() != 412) {
                    throw e;
                }
                progress.step("artifact " + location.uri(digest) + " was published meanwhile; it stays as it is");
            }
            return location.uri(digest);
        } catch (SdkException e) {
            throw new OptimizerException(BuildReason.STORE_FAILED, "cannot publish the artifact to "
                    + location.uri(digest) + ": " + e.getMessage() + " (no manifest was written, so nothing"
                    + " will load it)", e);
        } catch (IOException | UncheckedIOException e) {
            throw new OptimizerException(BuildReason.STORE_FAILED, "cannot stage the artifact for upload: "
                    + e.getMessage(), e);
        } finally {
            DirectoryArtifactStore.deleteQuietly(work);
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
