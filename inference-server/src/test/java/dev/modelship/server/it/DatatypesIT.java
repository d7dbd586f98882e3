package dev.modelship.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Every datatype, several inputs and outputs, strings and non-tensor outputs, through the packaged server. */
class DatatypesIT {

    /** Values at each type's extremes, written as a client would write them in JSON. */
    private static final Map<String, String> VALUES = new LinkedHashMap<>();

    static {
        VALUES.put("BOOL", "[[true,false,true],[false,false,true]]");
        VALUES.put("INT8", "[[-128,127,0],[1,-1,5]]");
        VALUES.put("INT16", "[[-32768,32767,0],[1,-1,5]]");
        VALUES.put("INT32", "[[-2147483648,2147483647,0],[1,-1,5]]");
        VALUES.put("INT64", "[[-9223372036854775808,9223372036854775807,0],[1,-1,5]]");
        VALUES.put("UINT8", "[[0,255,128],[1,2,3]]");
        VALUES.put("FP16", "[[65504.0,-65504.0,0.5],[1.5,-2.0,0.0009765625]]");
        VALUES.put("FP32", "[[3.4028235E38,-1.5,1.17549435E-38],[0.1,2.5,-0.0]]");
        VALUES.put("FP64", "[[1.7976931348623157E308,-1.5,4.9E-324],[0.1,2.5,-0.0]]");
        VALUES.put("BYTES", "[[\"\",\"a\",\"h\\u00e9llo\"],[\"with space\",\"0\",\"\\u2603\"]]");
    }

    @Test
    void everyDatatypeRoundTripsThroughJson() throws Exception {
        try (ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("all_types.onnx"), Map.of())) {
            V2Client client = new V2Client(server.httpUrl());
            List<String> inputs = new ArrayList<>();
            VALUES.forEach((type, data) -> inputs.add("{\"name\":\"x_" + type + "\",\"datatype\":\"" + type
                    + "\",\"shape\":[2,3],\"data\":" + data + "}"));
            V2Client.Reply r = client.post("/v2/models/all_types/infer", "{\"inputs\":[" + String.join(",", inputs) + "]}");
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            Map<String, JsonNode> outputs = new LinkedHashMap<>();
            r.json().get("outputs").forEach(o -> outputs.put(o.get("name").asText(), o));
            assertThat(outputs).hasSize(VALUES.size());
            for (Map.Entry<String, String> e : VALUES.entrySet()) {
                JsonNode out = outputs.get("y_" + e.getKey());
                assertThat(out.get("datatype").asText()).isEqualTo(e.getKey());
                assertThat(out.get("shape").toString()).isEqualTo("[2,3]");
                JsonNode sent = V2Client.JSON.readTree(e.getValue());
                List<JsonNode> flat = new ArrayList<>();
                sent.forEach(row -> row.forEach(flat::add));
                for (int i = 0; i < 6; i++) {
                    JsonNode got = out.get("data").get(i);
                    if (e.getKey().startsWith("FP")) {
                        assertThat(got.asDouble()).as(e.getKey() + "[" + i + "]").isEqualTo(flat.get(i).asDouble());
                    } else {
                        assertThat(got.asText()).as(e.getKey() + "[" + i + "]").isEqualTo(flat.get(i).asText());
                    }
                }
            }
        }
    }

    @Test
    void fp16AndBytesRoundTripThroughBinaryData() throws Exception {
        try (ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("all_types.onnx"), Map.of())) {
            V2Client client = new V2Client(server.httpUrl());
            // FP16 bits for 1.0, -2.0, 65504, 0.5 (IEEE 754 binary16), and two strings with length prefixes.
            ByteBuffer fp16 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF).putShort((short) 0x3800);
            ByteBuffer bytes = ByteBuffer.allocate(4 + 3 + 4 + 0).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(3).put("abc".getBytes(StandardCharsets.US_ASCII)).putInt(0);
            List<String> inputs = new ArrayList<>();
            inputs.add("{\"name\":\"x_FP16\",\"datatype\":\"FP16\",\"shape\":[2,2],\"parameters\":{\"binary_data_size\":8}}");
            inputs.add("{\"name\":\"x_BYTES\",\"datatype\":\"BYTES\",\"shape\":[1,2],\"parameters\":{\"binary_data_size\":11}}");
            VALUES.forEach((type, data) -> {
                if (!type.equals("FP16") && !type.equals("BYTES")) {
                    inputs.add("{\"name\":\"x_" + type + "\",\"datatype\":\"" + type + "\",\"shape\":[2,3],\"data\":" + data + "}");
                }
            });
            String header = "{\"inputs\":[" + String.join(",", inputs) + "],\"outputs\":["
                    + "{\"name\":\"y_FP16\",\"parameters\":{\"binary_data\":true}},"
                    + "{\"name\":\"y_BYTES\",\"parameters\":{\"binary_data\":true}}]}";
            byte[] h = header.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            body.writeBytes(h);
            body.writeBytes(fp16.array());
            body.writeBytes(bytes.array());
            V2Client.Reply r = client.post("/v2/models/all_types/infer", body.toByteArray(), h.length);
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            int json = Integer.parseInt(r.raw().headers().firstValue("Inference-Header-Content-Length").orElseThrow());
            byte[] tail = java.util.Arrays.copyOfRange(r.body(), json, r.body().length);
            byte[] expectedTail = new byte[8 + 11];
            System.arraycopy(fp16.array(), 0, expectedTail, 0, 8);
            System.arraycopy(bytes.array(), 0, expectedTail, 8, 11);
            assertThat(tail).containsExactly(expectedTail);
        }
    }

    @Test
    void severalInputsAndOutputsOfDifferentTypes() throws Exception {
        try (ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("multi_io.onnx"), Map.of())) {
            V2Client client = new V2Client(server.httpUrl());
            String body = "{\"inputs\":[{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[2,4],\"data\":[1,2,3,4,0.5,-1,8,2]},"
                    + "{\"name\":\"b\",\"datatype\":\"INT64\",\"shape\":[2,4],\"data\":[4,3,2,1,0,0,10,-3]}]}";
            JsonNode out = client.post("/v2/models/multi_io/infer", body).json();
            Map<String, JsonNode> byName = new LinkedHashMap<>();
            out.get("outputs").forEach(o -> byName.put(o.get("name").asText(), o));
            // Expected values worked by hand from the model's definition (README of examples/models).
            assertThat(byName.get("sum").get("data").toString()).isEqualTo("[5.0,5.0,5.0,5.0,0.5,-1.0,18.0,-1.0]");
            assertThat(byName.get("b_times_2").get("data").toString()).isEqualTo("[8,6,4,2,0,0,20,-6]");
            assertThat(byName.get("a_greater_b").get("datatype").asText()).isEqualTo("BOOL");
            assertThat(byName.get("a_greater_b").get("data").toString())
                    .isEqualTo("[false,false,true,true,true,false,false,true]");
            assertThat(byName.get("a_as_fp64").get("datatype").asText()).isEqualTo("FP64");
            assertThat(byName.get("b_as_int32").get("datatype").asText()).isEqualTo("INT32");
            assertThat(byName.get("a_row_sum").get("shape").toString()).isEqualTo("[2]");
            assertThat(byName.get("a_row_sum").get("data").toString()).isEqualTo("[10.0,9.5]");
        }
    }

    @Test
    void stringInputsAndOutputs() throws Exception {
        try (ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("string_input.onnx"), Map.of())) {
            V2Client client = new V2Client(server.httpUrl());
            JsonNode out = client.post("/v2/models/string_input/infer",
                    "{\"inputs\":[{\"name\":\"animal\",\"datatype\":\"BYTES\",\"shape\":[4],"
                            + "\"data\":[\"cat\",\"fish\",\"zebra\",\"Dog\"]}]}").json();
            Map<String, String> byName = new LinkedHashMap<>();
            out.get("outputs").forEach(o -> byName.put(o.get("name").asText(), o.get("data").toString()));
            assertThat(byName.get("animal_id")).isEqualTo("[0,3,-1,-1]");
            assertThat(byName.get("animal_class")).isEqualTo("[\"mammal\",\"fish\",\"unknown\",\"unknown\"]");
            assertThat(byName.get("known")).isEqualTo("[true,true,false,false]");
        }
    }

    @Test
    void zipMapProbabilitiesComeBackAsAnFp32Matrix() throws Exception {
        JsonNode request = V2Client.JSON.readTree(ServerProcess.MODELS.resolve("digits_mlp.request.json").toFile());
        JsonNode expected = V2Client.JSON.readTree(ServerProcess.MODELS.resolve("digits_mlp.expected.json").toFile());
        try (ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("digits_mlp_zipmap.onnx"), Map.of())) {
            V2Client client = new V2Client(server.httpUrl());
            JsonNode meta = client.get("/v2/models/digits_mlp_zipmap").json();
            assertThat(meta.get("outputs").get(1).toString())
                    .isEqualTo("{\"name\":\"output_probability\",\"datatype\":\"FP32\",\"shape\":[-1,-1]}");
            JsonNode out = client.post("/v2/models/digits_mlp_zipmap/infer", request.toString()).json();
            JsonNode p = out.get("outputs").get(1);
            assertThat(p.get("shape").toString()).isEqualTo("[3,10]");
            for (int i = 0; i < 30; i++) {
                assertThat(p.get("data").get(i).asDouble())
                        .isCloseTo(expected.get("probabilities").get(i / 10).get(i % 10).asDouble(), within(1e-5));
            }
        }
    }

    @Test
    void aModelWithTypesTheJavaRuntimeCannotCarryIsRefusedAtStartup() throws Exception {
        ServerProcess server = ServerProcess.launch(ServerProcess.MODELS.resolve("unsigned_wide.onnx"), Map.of());
        try {
            assertThat(server.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(server.process().exitValue()).isNotZero();
            assertThat(server.log()).contains("ONNX Runtime's Java API has no tensors of that type");
        } finally {
            server.terminate(Duration.ofSeconds(10));
        }
    }
}
