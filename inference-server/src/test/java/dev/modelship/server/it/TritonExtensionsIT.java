package dev.modelship.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Triton's extensions where a standard client cannot reach (the Python suites,
 * test_triton_extensions_*.py, cover what clients do): what a malformed or hostile call gets, and
 * that the server goes on serving after each. Expected predictions are scikit-learn's own.
 */
class TritonExtensionsIT {

    private static ServerProcess digits;
    private static ServerProcess fixedBatch;
    private static V2Client client;
    private static byte[] request;
    private static String expectedLabels;

    @BeforeAll
    static void start() throws Exception {
        digits = ServerProcess.launch(ServerProcess.MODELS.resolve("digits_mlp.onnx"), Map.of());
        fixedBatch = ServerProcess.launch(ServerProcess.MODELS.resolve("fixed_batch.onnx"), Map.of());
        digits = ServerProcess.awaitOrRelaunch(digits, ServerProcess.MODELS.resolve("digits_mlp.onnx"));
        fixedBatch = ServerProcess.awaitOrRelaunch(fixedBatch, ServerProcess.MODELS.resolve("fixed_batch.onnx"));
        client = new V2Client(digits.httpUrl());
        request = Files.readAllBytes(ServerProcess.MODELS.resolve("digits_mlp.request.json"));
        expectedLabels = V2Client.JSON.readTree(ServerProcess.MODELS.resolve("digits_mlp.expected.json").toFile())
                .get("label").toString();
    }

    @AfterAll
    static void stop() throws Exception {
        digits.close();
        fixedBatch.close();
    }

    @Test
    void aModelWithAFixedFirstDimensionHasNoBatchingInItsConfiguration() throws Exception {
        // fixed_batch.onnx: x FP32 [1, 4] -> y FP32 [1, 3] (examples/models/README.md).
        JsonNode config = new V2Client(fixedBatch.httpUrl()).get("/v2/models/fixed_batch/config").json();
        assertThat(config.get("max_batch_size").asInt()).isZero();
        assertThat(config.get("input").get(0).get("dims").toString()).isEqualTo("[1,4]");
        assertThat(config.get("output").get(0).get("dims").toString()).isEqualTo("[1,3]");
        assertThat(config.has("dynamic_batching")).isFalse();
    }

    @Test
    void gzipAndDeflateBodiesAreInflatedAndAnswersCompressedWhenAsked() throws Exception {
        // Java's default: HTTP/2, asked for with an upgrade from HTTP/1.1 on the first request.
        HttpClient http = HttpClient.newHttpClient();
        for (String encoding : new String[] {"gzip", "deflate"}) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(digits.httpUrl() + "/v2/models/digits_mlp/infer"))
                    .header("Content-Type", "application/json").header("Content-Encoding", encoding)
                    .header("Accept-Encoding", "gzip")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(compress(encoding, request))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(encoding).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Encoding")).hasValue("gzip");
            JsonNode answer = V2Client.JSON.readTree(new GZIPInputStream(new java.io.ByteArrayInputStream(r.body())));
            assertThat(answer.get("outputs").get(0).get("data").toString()).as(encoding).isEqualTo(expectedLabels);
        }
    }

    @Test
    void aCompressedBodyThatInflatesPastTheLimitIsRefusedAndTheServerGoesOn() throws Exception {
        // 80 MB of JSON in about 80 KB of gzip: over the 64 MB request limit once inflated.
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bomb)) {
            gz.write("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,64],\"data\":[".getBytes());
            byte[] zeros = "0,".repeat(1 << 20).getBytes();
            for (int i = 0; i < 40; i++) {
                gz.write(zeros);
            }
            gz.write("0]}]}".getBytes());
        }
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(digits.httpUrl() + "/v2/models/digits_mlp/infer"))
                .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bomb.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(V2Client.JSON.readTree(r.body()).get("error").asText()).contains("inflates to more than the limit");
        assertServing();
    }

    @Test
    void aBodyThatIsNotWhatItsContentEncodingSaysGetsAJsonError() throws Exception {
        Map<String, Integer> statusByEncoding = Map.of("gzip", 400, "deflate", 400, "br", 415);
        for (Map.Entry<String, Integer> e : statusByEncoding.entrySet()) {
            HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(digits.httpUrl() + "/v2/models/digits_mlp/infer"))
                    .header("Content-Type", "application/json").header("Content-Encoding", e.getKey())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(request)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(V2Client.JSON.readTree(r.body()).get("error").asText()).as(e.getKey()).contains("Content-Encoding");
        }
        assertServing();
    }

    @Test
    void malformedCallsToTheExtensionsGetAJsonError() throws Exception {
        Map<String, String> refused = Map.of(
                "/v2/systemsharedmemory/region/r/register", "{\"key\": 7, \"byte_size\": 16}",
                "/v2/repository/index", "[1, 2]",
                "/v2/repository/models/digits_mlp/load", "{not json");
        for (Map.Entry<String, String> call : refused.entrySet()) {
            V2Client.Reply reply = client.post(call.getKey(), call.getValue());
            assertThat(reply.status()).as(call.getKey()).isEqualTo(400);
            assertThat(reply.json().get("error").asText()).as(call.getKey()).isNotBlank();
        }
        assertThat(client.get("/v2/models/nope/stats").status()).isEqualTo(404);
        assertThat(client.get("/v2/models/nope/config").status()).isEqualTo(404);
        assertThat(client.get("/v2/models/digits_mlp/versions/2/config").status()).isEqualTo(404);
        assertServing();
    }

    @Test
    void sharedMemoryKeysNameObjectsInDevShmAndNothingElse() throws Exception {
        Path outside = Files.createTempFile("modelship-not-shm-", ".bin");
        Files.write(outside, new byte[64]);
        Path link = Path.of("/dev/shm/modelship-it-link-" + ProcessHandle.current().pid());
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, outside);
        try {
            for (String key : new String[] {"/../../" + outside, "/" + outside.getFileName(), "/" + link.getFileName(),
                    "/dev/shm/x", ""}) {
                V2Client.Reply reply = client.post("/v2/systemsharedmemory/region/r/register",
                        V2Client.JSON.writeValueAsString(Map.of("key", key, "byte_size", 16)));
                assertThat(reply.status()).as(key).isEqualTo(400);
                assertThat(reply.json().get("error").asText()).as(key).contains("shared memory key");
            }
            assertThat(client.get("/v2/systemsharedmemory/status").json()).isEmpty();
        } finally {
            Files.deleteIfExists(link);
            Files.deleteIfExists(outside);
        }
        assertServing();
    }

    @Test
    void anInputRegionSmallerThanItsTensorIsRefused() throws Exception {
        Path object = Path.of("/dev/shm/modelship-it-small-" + ProcessHandle.current().pid());
        Files.write(object, new byte[64]);
        try {
            assertThat(client.post("/v2/systemsharedmemory/region/small/register",
                    "{\"key\": \"/" + object.getFileName() + "\", \"byte_size\": 64}").status()).isEqualTo(200);
            // One row of 64 FP32 is 256 bytes; the region holds 64.
            V2Client.Reply reply = client.post("/v2/models/digits_mlp/infer", """
                    {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64],
                      "parameters": {"shared_memory_region": "small", "shared_memory_byte_size": 256}}]}
                    """);
            assertThat(reply.status()).isEqualTo(400);
            assertThat(reply.json().get("error").asText()).contains("holds 64 bytes");
            // An offset past the end of the object it maps.
            assertThat(client.post("/v2/systemsharedmemory/region/past/register",
                    "{\"key\": \"/" + object.getFileName() + "\", \"offset\": 32, \"byte_size\": 64}").status())
                    .isEqualTo(400);
            // Offsets whose sum with the size overflows a long.
            assertThat(client.post("/v2/systemsharedmemory/region/huge/register",
                    "{\"key\": \"/" + object.getFileName() + "\", \"offset\": 9223372036854775807, \"byte_size\": 64}")
                    .status()).isEqualTo(400);
            V2Client.Reply overflow = client.post("/v2/models/digits_mlp/infer", """
                    {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64],
                      "parameters": {"shared_memory_region": "small", "shared_memory_byte_size": 256,
                                     "shared_memory_offset": 9223372036854775807}}]}
                    """);
            assertThat(overflow.status()).isEqualTo(400);
        } finally {
            client.post("/v2/systemsharedmemory/unregister", "");
            Files.deleteIfExists(object);
        }
        assertServing();
    }

    private static void assertServing() throws Exception {
        V2Client.Reply reply = client.post("/v2/models/digits_mlp/infer", new String(request, StandardCharsets.UTF_8));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().get("outputs").get(0).get("data").toString()).isEqualTo(expectedLabels);
    }

    private static byte[] compress(String encoding, byte[] body) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var z = encoding.equals("gzip") ? new GZIPOutputStream(out)
                : new java.util.zip.DeflaterOutputStream(out)) {
            z.write(body);
        }
        return out.toByteArray();
    }
}
