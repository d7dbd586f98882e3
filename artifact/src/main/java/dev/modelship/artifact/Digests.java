package dev.modelship.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Artifact digests ({@code sha256:<64 hex>}) and the sha256 sums they are made of. */
public final class Digests {
    public static final String PREFIX = "sha256:";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private Digests() {
    }

    /** {@code sha256:<hex>} for a hex sum. */
    public static String of(String hex) {
        return PREFIX + hex;
    }

    /**
     * The hex part of a digest, which also names the artifact's directory; a bare hex sum is
     * returned as it is.
     */
    public static String hex(String digest) {
        return digest.startsWith(PREFIX) ? digest.substring(PREFIX.length()) : digest;
    }

    /** Whether the text is 64 lower-case hex digits. */
    public static boolean isHex64(String text) {
        return text != null && HEX64.matcher(text).matches();
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newSha256().digest(bytes));
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest md = newSha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
