package dev.modelship.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A plain HTTP client for the tests: the JDK's, so nothing of the server's code is on the request path. */
public final class V2Client {

    public static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    public V2Client(String base) {
        this.base = base;
    }

    public record Reply(int status, byte[] body, HttpResponse<byte[]> raw) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + new String(body), e);
            }
        }

        public String text() {
            return new String(body);
        }
    }

    public Reply get(String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.body(), r);
    }

    public Reply post(String path, String json) throws IOException, InterruptedException {
        return post(path, json.getBytes(java.nio.charset.StandardCharsets.UTF_8), -1);
    }

    /** Posts a body; headerLength >= 0 sends Inference-Header-Content-Length (binary extension). */
    public Reply post(String path, byte[] body, int headerLength) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headerLength >= 0) {
            b.header("Inference-Header-Content-Length", Integer.toString(headerLength))
                    .header("Content-Type", "application/octet-stream");
        } else {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.body(), r);
    }
}
