package dev.modelship.optimizer.artifact;

import dev.modelship.artifact.Digests;
import dev.modelship.optimizer.OptimizerException;
import java.util.Locale;

/**
 * A place in a bucket: {@code s3://bucket[/prefix]}. Artifacts live under it as
 * {@code <prefix>/<digest hex>/<file>}, the same layout as an artifact directory.
 */
public record S3Location(String bucket, String prefix) {

    public static boolean isS3(String uri) {
        return uri != null && uri.toLowerCase(Locale.ROOT).startsWith("s3://");
    }

    /** Parses {@code s3://bucket}, {@code s3://bucket/} or {@code s3://bucket/a/b/}; the prefix has no slashes at its ends. */
    public static S3Location parse(String uri) {
        if (!isS3(uri)) {
            throw OptimizerException.usage("not an s3:// URI: " + uri);
        }
        String rest = uri.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("^/+|/+$", "");
        // S3's bucket naming rules, so a typo fails here rather than as an opaque SDK error.
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw OptimizerException.usage("'" + bucket + "' in " + uri + " is not a valid S3 bucket name");
        }
        if (prefix.contains("//")) {
            throw OptimizerException.usage("empty path segment in " + uri);
        }
        return new S3Location(bucket, prefix);
    }

    /** The key of {@code file} in the artifact of {@code digest} ({@code sha256:<hex>} or the hex alone). */
    public String key(String digest, String file) {
        return keyPrefix(digest) + "/" + file;
    }

    /** {@code <prefix>/<digest hex>}, without a trailing slash. */
    public String keyPrefix(String digest) {
        String dir = Digests.hex(digest);
        return prefix.isEmpty() ? dir : prefix + "/" + dir;
    }

    /** {@code s3://bucket/<prefix>/<digest hex>}, what the pull command takes. */
    public String uri(String digest) {
        return "s3://" + bucket + "/" + keyPrefix(digest);
    }

    @Override
    public String toString() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
}
