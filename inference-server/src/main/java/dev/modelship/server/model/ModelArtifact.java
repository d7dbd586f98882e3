package dev.modelship.server.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The model file to serve, found from what the user pointed at: an {@code .onnx} or
 * {@code .ort} file, or an artifact directory whose {@code manifest.json} names the
 * file and its sha256. The checksum is verified here, before anything is served.
 *
 * <p>{@code defaultName} is the model's name when none is configured: the file's name, or for an
 * artifact the name of the file it was built from (its directory is named by a digest, which
 * nobody wants to type into a URL).
 */
public record ModelArtifact(Path modelFile, String format, String sha256, Optional<String> digest,
        String defaultName) {

    public static final String MANIFEST = "manifest.json";

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
        return new ModelArtifact(path, formatOf(path), sha256(path), Optional.empty(), nameFrom(path.getFileName().toString()));
    }

    private static ModelArtifact fromArtifactDirectory(Path dir) {
        Path manifestPath = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestPath)) {
            throw new ModelLoadException("directory " + dir + " is not a Modelship artifact: it has no " + MANIFEST);
        }
        JsonNode manifest;
        try {
            manifest = new ObjectMapper().readTree(manifestPath.toFile());
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + manifestPath + ": " + e.getMessage(), e);
        }
        JsonNode output = manifest.path("output");
        String file = output.path("file").asText("");
        String expected = stripAlgorithm(output.path("sha256").asText(""));
        if (file.isEmpty() || expected.isEmpty()) {
            throw new ModelLoadException(manifestPath + " lacks output.file or output.sha256");
        }
        Path modelFile = dir.resolve(file).normalize();
        if (!modelFile.startsWith(dir.normalize()) || !Files.isRegularFile(modelFile)) {
            throw new ModelLoadException(manifestPath + " names output file '" + file + "', which is not in " + dir);
        }
        String actual = sha256(modelFile);
        if (!actual.equalsIgnoreCase(expected)) {
            throw new ModelLoadException("checksum mismatch for " + modelFile + ": manifest says sha256 " + expected
                    + " but the file has " + actual + "; refusing to serve a model that is not the one built");
        }
        String digest = manifest.path("digest").asText("");
        if (digest.isEmpty()) {
            digest = dir.getFileName().toString();
        }
        String sourceUri = manifest.path("source").path("uri").asText("");
        String sourceFile = sourceUri.substring(sourceUri.lastIndexOf('/') + 1);
        String name = nameFrom(sourceFile.isEmpty() ? dir.getFileName().toString() : sourceFile);
        return new ModelArtifact(modelFile, formatOf(modelFile), actual, Optional.of(digest), name);
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

    private static String stripAlgorithm(String s) {
        return s.startsWith("sha256:") ? s.substring("sha256:".length()) : s;
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
