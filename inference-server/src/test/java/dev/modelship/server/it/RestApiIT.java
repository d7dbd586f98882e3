package dev.modelship.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The REST API against the packaged server serving examples/models/digits_mlp.onnx;
 * expected predictions are scikit-learn's own (digits_mlp.expected.json).
 */
class RestApiIT {

    private static ServerProcess server;
    private static V2Client client;
    private static JsonNode request;
    private static JsonNode expected;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start(ServerProcess.MODELS.resolve("digits_mlp.onnx"), Map.of());
        client = new V2Client(server.httpUrl());
        request = V2Client.JSON.readTree(ServerProcess.MODELS.resolve("digits_mlp.request.json").toFile());
        expected = V2Client.JSON.readTree(ServerProcess.MODELS.resolve("digits_mlp.expected.json").toFile());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void serverAndModelMetadataAndHealth() throws Exception {
        JsonNode server = client.get("/v2").json();
        assertThat(server.get("name").asText()).isEqualTo("modelship");
        assertThat(server.get("extensions").toString()).contains("binary_tensor_data");
        assertThat(client.get("/v2/health/live").status()).isEqualTo(200);
        assertThat(client.get("/v2/health/ready").status()).isEqualTo(200);
        assertThat(client.get("/v2/models/digits_mlp/ready").status()).isEqualTo(200);
        assertThat(client.get("/v2/models/digits_mlp/versions/1/ready").status()).isEqualTo(200);

        JsonNode meta = client.get("/v2/models/digits_mlp").json();
        assertThat(meta.get("name").asText()).isEqualTo("digits_mlp");
        assertThat(meta.get("inputs").toString())
                .isEqualTo("[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[-1,64]}]");
        assertThat(meta.get("outputs").toString()).isEqualTo("[{\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[-1]},"
                + "{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":[-1,10]}]");
        assertThat(client.get("/v2/models/digits_mlp/versions/1").json()).isEqualTo(meta);
    }

    @Test
    void unknownModelsAndVersionsAre404WithAMessage() throws Exception {
        for (String path : new String[] {"/v2/models/nope", "/v2/models/digits_mlp/versions/2",
                "/v2/models/nope/ready"}) {
            V2Client.Reply r = client.get(path);
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.json().get("error").asText()).contains("unknown model");
        }
        V2Client.Reply r = client.post("/v2/models/nope/infer", request.toString());
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("error").asText()).contains("'nope'").contains("digits_mlp");
    }

    @Test
    void predictionsEqualScikitLearns() throws Exception {
        V2Client.Reply r = client.post("/v2/models/digits_mlp/infer", request.toString());
        assertThat(r.status()).isEqualTo(200);
        assertMatchesExpected(r.json());
    }

    @Test
    void nestedDataIdAndRequestedOutputs() throws Exception {
        ObjectNode nested = request.deepCopy();
        ObjectNode input = (ObjectNode) nested.get("inputs").get(0);
        ArrayNode flat = (ArrayNode) input.get("data");
        ArrayNode rows = V2Client.JSON.createArrayNode();
        for (int row = 0; row < 3; row++) {
            ArrayNode r = rows.addArray();
            for (int c = 0; c < 64; c++) {
                r.add(flat.get(row * 64 + c));
            }
        }
        input.set("data", rows);
        nested.put("id", "req-42");
        nested.putArray("outputs").addObject().put("name", "label");

        JsonNode out = client.post("/v2/models/digits_mlp/versions/1/infer", nested.toString()).json();
        assertThat(out.get("id").asText()).isEqualTo("req-42");
        assertThat(out.get("model_name").asText()).isEqualTo("digits_mlp");
        assertThat(out.get("outputs")).hasSize(1);
        assertThat(out.get("outputs").get(0).get("name").asText()).isEqualTo("label");
        assertThat(out.get("outputs").get(0).get("data")).isEqualTo(expected.get("label"));
    }

    @Test
    void binaryTensorDataBothWays() throws Exception {
        JsonNode input = request.get("inputs").get(0);
        ByteBuffer raw = ByteBuffer.allocate(3 * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
        input.get("data").forEach(v -> raw.putFloat(v.floatValue()));
        String header = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[3,64],"
                + "\"parameters\":{\"binary_data_size\":" + raw.capacity() + "}}],"
                + "\"outputs\":[{\"name\":\"label\",\"parameters\":{\"binary_data\":true}},"
                + "{\"name\":\"probabilities\",\"parameters\":{\"binary_data\":false}}]}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(h);
        body.writeBytes(raw.array());

        V2Client.Reply r = client.post("/v2/models/digits_mlp/infer", body.toByteArray(), h.length);
        assertThat(r.status()).isEqualTo(200);
        int jsonLength = Integer.parseInt(r.raw().headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        JsonNode json = V2Client.JSON.readTree(new String(r.body(), 0, jsonLength, StandardCharsets.UTF_8));
        JsonNode label = json.get("outputs").get(0);
        assertThat(label.get("parameters").get("binary_data_size").asInt()).isEqualTo(3 * 8);
        ByteBuffer labels = ByteBuffer.wrap(r.body(), jsonLength, 24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 3; i++) {
            assertThat(labels.getLong()).isEqualTo(expected.get("label").get(i).asLong());
        }
        assertThat(r.body().length).isEqualTo(jsonLength + 24);
        JsonNode probabilities = json.get("outputs").get(1).get("data");
        for (int i = 0; i < 30; i++) {
            assertThat(probabilities.get(i).asDouble())
                    .isCloseTo(expected.get("probabilities").get(i / 10).get(i % 10).asDouble(), within(1e-5));
        }
    }

    @Test
    void badRequestsAre400WithAMessageAndTheServerKeepsServing() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{not json", "malformed JSON");
        cases.put("{\"inputs\":[{\"name\":\"pixels\",\"datatype\":\"FP32\",\"shape\":[1,64],\"data\":[]}]}",
                "unknown input 'pixels'");
        cases.put("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"INT32\",\"shape\":[1,64],\"data\":[]}]}",
                "has datatype INT32 but the model expects FP32");
        cases.put("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,64],\"data\":[1,2,3]}]}",
                "has 3 values but shape [1, 64] needs 64");
        cases.put("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,63],\"data\":[]}]}",
                "the model expects [-1, 64]");
        cases.put("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"data\":[]}]}", "needs a 'shape' array");
        cases.put("{\"id\":\"x\"}", "needs an 'inputs' array");
        cases.put("{\"inputs\":[]}", "missing input 'input'");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            V2Client.Reply r = client.post("/v2/models/digits_mlp/infer", c.getKey());
            assertThat(r.status()).as(c.getKey()).isEqualTo(400);
            assertThat(r.json().get("error").asText()).as(c.getKey()).contains(c.getValue());
        }
        V2Client.Reply badHeader = client.post("/v2/models/digits_mlp/infer",
                request.toString().getBytes(StandardCharsets.UTF_8), 999_999);
        assertThat(badHeader.status()).isEqualTo(400);
        assertThat(badHeader.json().get("error").asText()).contains("Inference-Header-Content-Length");

        assertMatchesExpected(client.post("/v2/models/digits_mlp/infer", request.toString()).json());
    }

    @Test
    void oversizedBodiesAre413() throws Exception {
        try (ServerProcess small = ServerProcess.start(ServerProcess.MODELS.resolve("digits_mlp.onnx"),
                Map.of("modelship.limits.max-request-size", "512"))) {
            V2Client c = new V2Client(small.httpUrl());
            String body = request.toString();
            assertThat(body.length()).isGreaterThan(512);
            V2Client.Reply r = c.post("/v2/models/digits_mlp/infer", body);
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.json().get("error").asText()).contains("exceeds the limit of 512 bytes");
            assertThat(c.get("/v2/health/ready").status()).isEqualTo(200);
        }
    }

    private static void assertMatchesExpected(JsonNode out) {
        JsonNode label = out.get("outputs").get(0);
        JsonNode probabilities = out.get("outputs").get(1);
        assertThat(label.get("name").asText()).isEqualTo("label");
        assertThat(label.get("datatype").asText()).isEqualTo("INT64");
        assertThat(label.get("shape").toString()).isEqualTo("[3]");
        assertThat(label.get("data")).isEqualTo(expected.get("label"));
        assertThat(probabilities.get("shape").toString()).isEqualTo("[3,10]");
        for (int i = 0; i < 30; i++) {
            assertThat(probabilities.get("data").get(i).asDouble())
                    .isCloseTo(expected.get("probabilities").get(i / 10).get(i % 10).asDouble(), within(1e-5));
        }
    }

    static byte[] readModel(String name) throws Exception {
        return Files.readAllBytes(ServerProcess.MODELS.resolve(name));
    }
}
