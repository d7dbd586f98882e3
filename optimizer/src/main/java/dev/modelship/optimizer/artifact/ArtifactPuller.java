package dev.modelship.optimizer.artifact;

import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.Digests;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.OptimizerException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Copies one artifact from a bucket to a local directory and proves it is the one built: the
 * manifest must name the digest the URI names, and the model must have the manifest's size and
 * sha256. The directory appears whole and verified, or not at all. What a serving pod's init
 * container runs before the server starts.
 */
public final class ArtifactPuller {
    /** Manifests are a few KiB; a bound keeps a wrong object from filling the heap. */
    private static final int MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

    /** What was pulled (or found already in place). */
    public record Pulled(String digest, Path directory, String file, long bytes, String sha256, boolean reused) {
    }

    private final S3Client s3;

    public ArtifactPuller(S3Client s3) {
        this.s3 = s3;
    }

    /**
     * @param uri {@code s3://bucket/[prefix/]<digest hex>}
     * @param target the artifact directory to create; its parent is created when missing
     */
    public Pulled pull(String uri, Path target) {
        S3Location parsed = S3Location.parse(uri);
        int slash = parsed.prefix().lastIndexOf('/');
        String hex = parsed.prefix().substring(slash + 1);
        if (!Digests.isHex64(hex)) {
            throw OptimizerException.usage("an artifact URI is s3://<bucket>/[<prefix>/]<64 hex digest>, got " + uri);
        }
        S3Location store = new S3Location(parsed.bucket(), slash < 0 ? "" : parsed.prefix().substring(0, slash));
        String digest = Digests.of(hex);

        if (Files.exists(target)) {
            Pulled present = verifiedLocal(target, digest);
            if (present == null) {
                throw OptimizerException.usage(target + " exists and is not an intact copy of " + digest
                        + "; refusing to replace it");
            }
            return present;
        }

        Path tmp = null;
        try {
            Path parent = target.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, ".tmp-pull-" + hex.substring(0, 12) + "-");
            byte[] manifestBytes = manifestBytes(store, digest, uri);
            Manifest.Output out = expectedOutput(manifestBytes, digest, uri);

            Path model = tmp.resolve(out.file());
            String key = store.key(digest, out.file());
            long n;
            MessageDigest md = Digests.newSha256();
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(store.bucket()).key(key));
                 OutputStream os = new DigestOutputStream(Files.newOutputStream(model), md)) {
                n = copyAtMost(in, os, out.bytes() + 1);
            } catch (NoSuchKeyException e) {
                throw new OptimizerException(BuildReason.FETCH_FAILED, "artifact " + uri + " has a manifest but no "
                        + out.file() + " (s3://" + store.bucket() + "/" + key + " not found)", e);
            }
            if (n != out.bytes()) {
                throw new OptimizerException(BuildReason.ARTIFACT_CORRUPT, "s3://" + store.bucket() + "/" + key + " has "
                        + (n > out.bytes() ? "more than " + out.bytes() : String.valueOf(n)) + " bytes, but the manifest says "
                        + out.bytes() + "; refusing it");
            }
            String sha = HexFormat.of().formatHex(md.digest());
            if (!sha.equals(out.sha256())) {
                throw new OptimizerException(BuildReason.ARTIFACT_CORRUPT, "sha256 of s3://" + store.bucket() + "/" + key + " is "
                        + sha + ", but the manifest says " + out.sha256() + "; refusing it");
            }
            // The manifest is kept byte for byte, so the server's own check reads what was verified here.
            Files.write(tmp.resolve(Manifest.FILE), manifestBytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                // Another puller finished first; theirs was verified the same way.
                DirectoryArtifactStore.deleteQuietly(tmp);
                tmp = null;
                return pull(uri, target);
            }
            tmp = null;
            return new Pulled(digest, target, out.file(), n, sha, false);
        } catch (SdkException e) {
            throw new OptimizerException(BuildReason.FETCH_FAILED, "S3 GET " + uri + " failed: " + e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new OptimizerException(BuildReason.STORE_FAILED, "cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            DirectoryArtifactStore.deleteQuietly(tmp);
        }
    }

    private byte[] manifestBytes(S3Location store, String digest, String uri) {
        String key = store.key(digest, Manifest.FILE);
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(store.bucket()).key(key))) {
            byte[] bytes = in.readNBytes(MAX_MANIFEST_BYTES + 1);
            if (bytes.length > MAX_MANIFEST_BYTES) {
                throw new OptimizerException(BuildReason.ARTIFACT_CORRUPT, "s3://" + store.bucket() + "/" + key
                        + " is larger than " + MAX_MANIFEST_BYTES + " bytes; not a manifest");
            }
            return bytes;
        } catch (NoSuchKeyException e) {
            throw new OptimizerException(BuildReason.FETCH_FAILED, "no artifact at " + uri + " (s3://" + store.bucket() + "/"
                    + key + " not found; an artifact without a manifest is incomplete)", e);
        } catch (IOException e) {
            throw new OptimizerException(BuildReason.FETCH_FAILED, "S3 GET s3://" + store.bucket() + "/" + key + " failed: " + e, e);
        }
    }

    /** The manifest's promise about the model, after checking that it is this digest's manifest. */
    private static Manifest.Output expectedOutput(byte[] manifestBytes, String digest, String where) {
        try {
            return Manifest.parse(manifestBytes, digest).output();
        } catch (Manifest.InvalidManifestException e) {
            throw new OptimizerException(BuildReason.ARTIFACT_CORRUPT, "manifest.json of " + where + ": "
                    + e.getMessage() + "; refusing it");
        }
    }

    /** The directory as it is, when it already holds this digest's verified artifact; else null. */
    private static Pulled verifiedLocal(Path dir, String digest) {
        try {
            Manifest.Output out = expectedOutput(Files.readAllBytes(dir.resolve(Manifest.FILE)), digest, dir.toString());
            Path model = dir.resolve(out.file());
            long n = Files.size(model);
            String sha = Digests.sha256(model);
            return n == out.bytes() && sha.equals(out.sha256()) ? new Pulled(digest, dir, out.file(), n, sha, true) : null;
        } catch (IOException | OptimizerException e) {
            return null;
        }
    }

    /** Copies at most {@code limit} bytes, so an oversized object is found without storing all of it. */
    private static long copyAtMost(InputStream in, OutputStream out, long limit) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int r;
        while (total < limit && (r = in.read(buf, 0, (int) Math.min(buf.length, limit - total))) >= 0) {
            out.write(buf, 0, r);
            total += r;
        }
        return total;
    }
}
