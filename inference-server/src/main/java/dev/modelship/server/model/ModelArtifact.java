package dev.modelship.server.model;

import dev.modelship.artifact.Digests;
import dev.modelship.artifact.Manifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The model file to serve, found from what the user pointed at: an {@code .onnx} or
 * {@code .ort} file, or an artifact directory whose {@code manifest.json} (read by the
 * contract's {@link Manifest}, which refuses a schema version it does not know) names the file
 * and its sha256. The checksum is verified here, before anything is served.
 *
 * <p>{@code warmup} is the artifact's validation sample, when the optimizer validated the model.
 *
 * <p>{@code defaultName} is the model's name when none is configured: the file's name, or for an
 * artifact the name of the file it was built from (its directory is named by a digest, which
 * nobody wants to type into a URL).
 */
public record ModelArtifact(Path modelFile, String format, String sha256, Optional<String> digest,
        String defaultName, Optional<Manifest.Warmup> warmup) {

    /** Locates and verifies the model; fails with a message that says what is wrong. */
    public static ModelArtifact locate(Path path) {
        if (!Files.exists(path)) {
            throw new ModelLoadException("model path " + path + " does not exist");
        }
        if (Files.isDirectory(path)) {
            return fromArtifactDirectory(path);
        }
        if (!Files.isReadable(path)) {
            throw new ModelLoadException("model file " + path + " is not readable");
        }
        return new ModelArtifact(path, formatOf(path), sha256(path), Optional.empty(),
                nameFrom(path.getFileName().toString()), Optional.empty());
    }

    private static ModelArtifact fromArtifactDirectory(Path dir) {
        Path manifestPath = dir.resolve(Manifest.FILE);
        if (!Files.isRegularFile(manifestPath)) {
            throw new ModelLoadException("directory " + dir + " is not a Modelship artifact: it has no " + Manifest.FILE);
        }
        Manifest manifest;
        try {
            manifest = Manifest.parse(Files.readAllBytes(manifestPath));
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + manifestPath + ": " + e.getMessage(), e);
        } catch (Manifest.InvalidManifestException e) {
            throw new ModelLoadException(manifestPath + ": " + e.getMessage(), e);
        }
        Path modelFile = dir.resolve(manifest.output().file());
        if (!Files.isRegularFile(modelFile)) {
            throw new ModelLoadException(manifestPath + " names output file '" + manifest.output().file()
                    + "', which is not in " + dir);
        }
        String actual = sha256(modelFile);
        if (!actual.equals(manifest.output().sha256())) {
            throw new ModelLoadException("checksum mismatch for " + modelFile + ": manifest says sha256 "
                    + manifest.output().sha256() + " but the file has " + actual
                    + "; refusing to serve a model that is not the one built");
        }
        String sourceUri = manifest.source() == null || manifest.source().uri() == null ? "" : manifest.source().uri();
        String sourceFile = sourceUri.substring(sourceUri.lastIndexOf('/') + 1);
        String name = nameFrom(sourceFile.isEmpty() ? dir.getFileName().toString() : sourceFile);
        return new ModelArtifact(modelFile, formatOf(modelFile), actual, Optional.of(manifest.digest()), name,
                Optional.ofNullable(manifest.warmup()));
    }

    /** A file name without its extension, made safe for a URL path segment. */
    static String nameFrom(String fileName) {
        int dot = fileName.lastIndexOf('.');
        String base = dot > 0 ? fileName.substring(0, dot) : fileName;
        return base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
    }

    private static String formatOf(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".ort")) {
            return "ort";
        }
        if (name.endsWith(".onnx")) {
            return "onnx";
        }
        throw new ModelLoadException("model file " + file + " must end in .onnx or .ort");
    }

    static String sha256(Path file) {
        try {
            return Digests.sha256(file);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
