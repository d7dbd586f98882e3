package dev.modelship.optimizer.artifact;

import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.Digests;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.OptimizerException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Artifact directories under one root: {@code <root>/<digest hex>/{model file, manifest.json}}.
 * A directory appears whole or not at all: it is written under a temporary name and renamed.
 */
public final class DirectoryArtifactStore implements ArtifactStore {
    private final Path root;

    public DirectoryArtifactStore(Path root) {
        this.root = root;
    }

    public Path directory(String digest) {
        return root.resolve(Digests.hex(digest));
    }

    @Override
    public String location(String digest) {
        return directory(digest).toString();
    }

    /** The manifest of an existing, intact artifact for this digest, if there is one. */
    @Override
    public Optional<Manifest> existing(String digest) {
        Path dir = directory(digest);
        Path manifestFile = dir.resolve(Manifest.FILE);
        if (!Files.isRegularFile(manifestFile)) {
            return Optional.empty();
        }
        try {
            Manifest m = Manifest.parse(Files.readAllBytes(manifestFile), digest);
            Path model = dir.resolve(m.output().file());
            // A damaged artifact, or another digest's, is rebuilt rather than served.
            if (!Files.isRegularFile(model)
                    || !Digests.sha256(model).equals(m.output().sha256())) {
                return Optional.empty();
            }
            return Optional.of(m);
        } catch (IOException | Manifest.InvalidManifestException e) {
            return Optional.empty();
        }
    }

    @Override
    public String write(String digest, String modelFile, byte[] model, Manifest manifest) {
        return writeDirectory(digest, modelFile, model, manifest).toString();
    }

    /** Writes model and manifest to a temporary directory, then renames it into place. */
    public Path writeDirectory(String digest, String modelFile, byte[] model, Manifest manifest) {
        Path target = directory(digest);
        Path tmp = null;
        try {
            Files.createDirectories(root);
            tmp = Files.createTempDirectory(root, ".tmp-" + Digests.hex(digest).substring(0, 12) + "-");
            Files.write(tmp.resolve(modelFile), model);
            Files.write(tmp.resolve(Manifest.FILE), manifest.toJson());
            if (existing(digest).isPresent()) {
                // Another builder finished the same digest meanwhile; theirs is equally good and
                // may already be served, so it stays.
                deleteQuietly(tmp);
                return target;
            }
            if (Files.exists(target)) {
                // A damaged directory (no manifest, or a model whose sha256 is wrong): replace it.
                deleteTree(target);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            return target;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            // Another builder finished the same digest first; theirs is equally good.
            deleteQuietly(tmp);
            return target;
        } catch (IOException | UncheckedIOException e) {
            deleteQuietly(tmp);
            throw new OptimizerException(BuildReason.STORE_FAILED, "cannot write the artifact to " + target
                    + ": " + e.getMessage() + " (nothing was left behind)", e);
        }
    }

    static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            deleteTree(dir);
        } catch (IOException ignored) {
            // Best effort: the directory has a .tmp- name and is never read as an artifact.
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
