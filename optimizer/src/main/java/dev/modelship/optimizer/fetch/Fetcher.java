package dev.modelship.optimizer.fetch;

import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.Digests;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Brings a source to local disk: a path or {@code file://}, {@code http(s)://} (streamed),
 * {@code s3://bucket/key} and {@code pvc://claim/path}. The sha256 is computed while bytes
 * flow; with a pin, anything else is refused and the download deleted.
 */
public final class Fetcher {
    private final FetchConfig config;
    private final Progress progress;

    public Fetcher(FetchConfig config, Progress progress) {
        this.config = config;
        this.progress = progress;
    }

    public FetchedSource fetch(String uri, String sha256Pin) {
        if (sha256Pin != null && !sha256Pin.matches("(sha256:)?[0-9a-fA-F]{64}")) {
            throw OptimizerException.usage("--sha256 must be 64 hex digits, got '" + sha256Pin + "'");
        }
        String scheme = uri.contains("://") ? uri.substring(0, uri.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        FetchedSource source = switch (scheme) {
            case "", "file" -> local(uri, scheme.isEmpty() ? Path.of(uri) : Path.of(URI.create(uri)));
            case "pvc" -> local(uri, pvcPath(uri));
            case "http", "https" -> http(uri);
            case "s3" -> s3(uri);
            default -> throw OptimizerException.usage("unsupported source scheme '" + scheme
                    + "' (supported: a path, file://, http://, https://, s3://, pvc://)");
        };
        if (sha256Pin != null) {
            String want = sha256Pin.toLowerCase(Locale.ROOT).replaceFirst("^sha256:", "");
            if (!want.equals(source.sha256())) {
                source.close();
                throw new OptimizerException(BuildReason.CHECKSUM_MISMATCH, "sha256 of " + uri + " is "
                        + source.sha256() + ", but the pin requires " + want + "; refusing it");
            }
        }
        return source;
    }

    private FetchedSource local(String uri, Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            MessageDigest md = Digests.newSha256();
            long n = copy(in, OutputStream.nullOutputStream(), md, -1, uri);
            return new FetchedSource(uri, path, HexFormat.of().formatHex(md.digest()), n, false);
        } catch (NoSuchFileException e) {
            throw new OptimizerException(BuildReason.FETCH_FAILED, "source not found: " + path);
        } catch (IOException e) {
            throw new OptimizerException(BuildReason.FETCH_FAILED, "cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    Path pvcPath(String uri) {
        String rest = uri.substring("pvc://".length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw OptimizerException.usage("a pvc source is pvc://<claim>/<path>, got " + uri);
        }
        Path claimRoot = config.pvcRoot().resolve(rest.substring(0, slash)).normalize();
        Path path = claimRoot.resolve(rest.substring(slash + 1)).normalize();
        if (!path.startsWith(claimRoot)) {
            throw OptimizerException.usage("pvc path escapes its claim: " + uri);
        }
        return path;
    }

    private FetchedSource http(String uri) {
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(java.time.Duration.ofSeconds(30)).build();
        Path tmp = null;
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(config.timeout()).GET().build();
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new OptimizerException(BuildReason.FETCH_FAILED, "GET " + uri + " answered HTTP "
                            + response.statusCode());
                }
                long length = response.headers().firstValueAsLong("content-length").orElse(-1);
                tmp = Files.createTempFile("modelship-source-", ".bin");
                MessageDigest md = Digests.newSha256();
                long n;
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    n = copy(body, out, md, length, uri);
                }
                if (length >= 0 && n != length) {
                    throw new OptimizerException(BuildReason.FETCH_FAILED, "GET " + uri + " ended after " + n
                            + " of " + length + " bytes");
                }
                return new FetchedSource(uri, tmp, HexFormat.of().formatHex(md.digest()), n, true);
            }
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new OptimizerException(BuildReason.FETCH_FAILED, "GET " + uri + " failed: " + e, e);
        } catch (InterruptedException e) {
            deleteQuietly(tmp);
            Thread.currentThread().interrupt();
            throw new OptimizerException(BuildReason.FETCH_FAILED, "GET " + uri + " interrupted", e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private FetchedSource s3(String uri) {
        URI u = URI.create(uri);
        String bucket = u.getHost();
        String key = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
        if (bucket == null || key.isEmpty()) {
            throw OptimizerException.usage("an S3 source is s3://<bucket>/<key>, got " + uri);
        }
        Path tmp = null;
        try (S3Client s3 = S3Clients.create(config);
             ResponseInputStream<GetObjectResponse> in = s3.getObject(GetObjectRequest.builder()
                     .bucket(bucket).key(key).build())) {
            long length = in.response().contentLength() == null ? -1 : in.response().contentLength();
            tmp = Files.createTempFile("modelship-source-", ".bin");
            MessageDigest md = Digests.newSha256();
            long n;
            try (OutputStream out = Files.newOutputStream(tmp)) {
                n = copy(in, out, md, length, uri);
            }
            return new FetchedSource(uri, tmp, HexFormat.of().formatHex(md.digest()), n, true);
        } catch (SdkException e) {
            deleteQuietly(tmp);
            throw new OptimizerException(BuildReason.FETCH_FAILED, "S3 GET " + uri + " failed: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new OptimizerException(BuildReason.FETCH_FAILED, "S3 GET " + uri + " failed: " + e, e);
        }
    }

    /** Copies while hashing; reports progress every 10% on an interactive terminal. */
    private long copy(InputStream in, OutputStream out, MessageDigest md, long length, String what)
            throws IOException {
        boolean show = System.console() != null && length > 8L * 1024 * 1024;
        byte[] buf = new byte[1 << 16];
        long total = 0;
        int lastDecile = 0;
        try (DigestInputStream din = new DigestInputStream(in, md)) {
            int r;
            while ((r = din.read(buf)) >= 0) {
                out.write(buf, 0, r);
                total += r;
                if (show && total * 10 / length > lastDecile) {
                    lastDecile = (int) (total * 10 / length);
                    progress.step(String.format(Locale.ROOT, "fetch %s: %d%% of %s", what, lastDecile * 10,
                            Progress.human(length)));
                }
            }
        }
        return total;
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // temp directory leftover only
            }
        }
    }
}
