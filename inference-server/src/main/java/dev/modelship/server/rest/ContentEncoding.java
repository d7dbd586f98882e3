package dev.modelship.server.rest;

import dev.modelship.server.protocol.InferenceException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Inference request bodies compressed as Triton's clients send them ({@code Content-Encoding: gzip},
 * or {@code deflate}, which HTTP defines as the zlib format), inflated here rather than by the HTTP
 * server: a body that is not what its header says gets a 400 with the reason, and one that inflates
 * past the request size limit a 413, both as JSON, instead of a closed connection.
 */
final class ContentEncoding {

    private ContentEncoding() {
    }

    /** The body as sent before compression; at most {@code limit} bytes. */
    static byte[] decode(byte[] body, String encoding, long limit) {
        if (encoding == null || encoding.isBlank() || encoding.trim().equalsIgnoreCase("identity")) {
            return body;
        }
        String name = encoding.trim().toLowerCase(Locale.ROOT);
        try (InputStream in = switch (name) {
            case "gzip", "x-gzip" -> new GZIPInputStream(new ByteArrayInputStream(body));
            case "deflate" -> new InflaterInputStream(new ByteArrayInputStream(body));
            default -> throw new InferenceException(InferenceException.UNSUPPORTED_MEDIA_TYPE, "Content-Encoding '"
                    + encoding + "' is not supported; send the body as it is, or compressed with gzip or deflate");
        }) {
            // Sized for a typical ratio, never by what the sender claims: the limit is checked as it grows.
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(32L, body.length * 4L), 1 << 20));
            byte[] chunk = new byte[64 * 1024];
            for (int n; (n = in.read(chunk)) > 0; ) {
                if (out.size() + (long) n > limit) {
                    throw new InferenceException(InferenceException.PAYLOAD_TOO_LARGE, "the request body inflates to"
                            + " more than the limit of " + limit + " bytes (modelship.limits.max-request-size)");
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw InferenceException.badRequest("the request body is not %s data, as its Content-Encoding says: %s",
                    name, e.getMessage());
        }
    }
}
