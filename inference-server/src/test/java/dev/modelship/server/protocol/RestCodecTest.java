package dev.modelship.server.protocol;

import dev.modelship.server.model.Datatype;
import dev.modelship.server.model.ModelSignature;
import dev.modelship.server.model.TensorSpec;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RestCodecTest {

    private final RestCodec codec = new RestCodec();

    private static ModelSignature signature(TensorSpec... inputs) {
        return new ModelSignature(List.of(inputs), List.of(new TensorSpec("y", Datatype.FP32, new long[] {-1, 2})));
    }

    private InferRequest decode(String json, ModelSignature sig) {
        return codec.decode(json.getBytes(StandardCharsets.UTF_8), -1, sig);
    }

    private static String input(String name, String datatype, String shape, String data) {
        return "{\"inputs\":[{\"name\":\"" + name + "\",\"datatype\":\"" + datatype + "\",\"shape\":" + shape
                + ",\"data\":" + data + "}]}";
    }

    @Test
    void flatAndNestedDataDecodeToTheSameLittleEndianBytes() {
        ModelSignature sig = signature(new TensorSpec("x", Datatype.FP32, new long[] {-1, 2}));
        Tensor flat = decode(input("x", "FP32", "[2,2]", "[1.5,-2,3,4.25]"), sig).inputs().get("x");
        Tensor nested = decode(input("x", "FP32", "[2,2]", "[[1.5,-2],[3,4.25]]"), sig).inputs().get("x");
        ByteBuffer expected = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1.5f).putFloat(-2f).putFloat(3f).putFloat(4.25f).flip();
        assertThat(flat.data()).isEqualTo(expected);
        assertThat(nested.data()).isEqualTo(expected);
        assertThat(flat.shape()).containsExactly(2, 2);
    }

    @Test
    void integerTypesAreRangeCheckedAndStoredInTheirWidth() {
        ModelSignature sig = signature(new TensorSpec("x", Datatype.UINT8, new long[] {-1}));
        Tensor t = decode(input("x", "UINT8", "[3]", "[0,200,255]"), sig).inputs().get("x");
        assertThat(t.data().get(1) & 0xFF).isEqualTo(200);
        assertThat(t.data().get(2) & 0xFF).isEqualTo(255);
        assertThatThrownBy(() -> decode(input("x", "UINT8", "[1]", "[256]"), sig))
                .hasMessageContaining("out of range for UINT8");
        assertThatThrownBy(() -> decode(input("x", "UINT8", "[1]", "[1.5]"), sig))
                .hasMessageContaining("must be integers");

        ModelSignature i64 = signature(new TensorSpec("x", Datatype.INT64, new long[] {-1}));
        Tensor big = decode(input("x", "INT64", "[2]", "[9223372036854775807,-9223372036854775808]"), i64)
                .inputs().get("x");
        assertThat(big.data().getLong(0)).isEqualTo(Long.MAX_VALUE);
        assertThat(big.data().getLong(8)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void fp16ValuesAreStoredAsHalfPrecisionBits() {
        ModelSignature sig = signature(new TensorSpec("x", Datatype.FP16, new long[] {-1}));
        Tensor t = decode(input("x", "FP16", "[3]", "[1.0,-2.0,0.5]"), sig).inputs().get("x");
        // IEEE 754 binary16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800.
        assertThat(t.data().getShort(0)).isEqualTo((short) 0x3C00);
        assertThat(t.data().getShort(2)).isEqualTo((short) 0xC000);
        assertThat(t.data().getShort(4)).isEqualTo((short) 0x3800);
    }

    @Test
    void bytesInputsAreUtf8Strings() {
        ModelSignature sig = signature(new TensorSpec("s", Datatype.BYTES, new long[] {-1}));
        Tensor t = decode(input("s", "BYTES", "[2]", "[\"cat\",\"naïve\"]"), sig).inputs().get("s");
        assertThat(new String(t.elements()[1], StandardCharsets.UTF_8)).isEqualTo("naïve");
        assertThatThrownBy(() -> decode(input("s", "BYTES", "[1]", "[5]"), sig))
                .hasMessageContaining("BYTES values must be strings");
    }

    @Test
    void eachDefectIsA400ThatNamesTheProblem() {
        ModelSignature sig = signature(new TensorSpec("x", Datatype.FP32, new long[] {-1, 2}),
                new TensorSpec("z", Datatype.INT64, new long[] {-1}));
        String both = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[1,2]},"
                + "{\"name\":\"z\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[7]}]}";
        assertThat(decode(both, sig).inputs()).containsOnlyKeys("x", "z");

        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"inputs\":[", "malformed JSON");
        cases.put("[1,2]", "must be a JSON object");
        cases.put("{}", "needs an 'inputs' array");
        cases.put(both.replace("\"name\":\"x\"", "\"name\":\"w\""), "unknown input 'w'");
        cases.put(both.replace("\"datatype\":\"FP32\"", "\"datatype\":\"FP64\""),
                "input 'x' has datatype FP64 but the model expects FP32");
        cases.put(both.replace("\"datatype\":\"FP32\"", "\"datatype\":\"FLOAT\""), "'FLOAT' is not a datatype");
        cases.put(both.replace("[1,2],\"data\":[1,2]", "[1,2],\"data\":[1,2,3]"), "more values than its shape holds");
        cases.put(both.replace("[1,2],\"data\":[1,2]", "[2,2],\"data\":[1,2]"),
                "input 'x' has 2 values but shape [2, 2] needs 4");
        cases.put(both.replace("\"shape\":[1,2]", "\"shape\":[1,3]"), "but the model expects [-1, 2]");
        cases.put(both.replace("\"shape\":[1,2]", "\"shape\":[1,-2]"), "must hold non-negative integers");
        cases.put(both.replace(",\"data\":[1,2]", ""), "input 'x' has no 'data'");
        cases.put(both.replace("\"name\":\"x\",", ""), "an input needs a string 'name'");
        cases.put("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[1,2]}]}",
                "missing input 'z'");
        cases.put(both.replace("\"data\":[7]", "\"data\":[\"7\"]"), "INT64 values must be integers");
        cases.put(both.replace("}]}", "}],\"outputs\":[{\"name\":\"nope\"}]}"), "unknown output 'nope'");
        cases.put(both.replace("\"shape\":[1]", "\"shape\":[4611686018427387904,4]"), "too large");
        cases.forEach((body, message) -> assertThatThrownBy(() -> decode(body, sig))
                .as(body)
                .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining(message));
    }

    @Test
    void binaryExtensionInputsAreReadFromAfterTheJsonHeader() {
        ModelSignature sig = signature(new TensorSpec("x", Datatype.FP32, new long[] {-1, 2}),
                new TensorSpec("s", Datatype.BYTES, new long[] {-1}));
        String header = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,2],"
                + "\"parameters\":{\"binary_data_size\":8}},"
                + "{\"name\":\"s\",\"datatype\":\"BYTES\",\"shape\":[2],\"parameters\":{\"binary_data_size\":13}}]}";
        ByteBuffer binary = ByteBuffer.allocate(21).order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(0.25f).putFloat(-8f)
                .putInt(3).put("cat".getBytes(StandardCharsets.US_ASCII))
                .putInt(2).put("ab".getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        body.writeBytes(h);
        body.writeBytes(binary.array());

        InferRequest r = codec.decode(body.toByteArray(), h.length, sig);
        assertThat(r.inputs().get("x").data().getFloat(4)).isEqualTo(-8f);
        assertThat(new String(r.inputs().get("s").elements()[0], StandardCharsets.US_ASCII)).isEqualTo("cat");
        assertThat(new String(r.inputs().get("s").elements()[1], StandardCharsets.US_ASCII)).isEqualTo("ab");

        byte[] shortBody = java.util.Arrays.copyOf(body.toByteArray(), body.size() - 1);
        assertThatThrownBy(() -> codec.decode(shortBody, h.length, sig)).hasMessageContaining("binary");
        assertThatThrownBy(() -> codec.decode(body.toByteArray(), body.size() + 5, sig))
                .hasMessageContaining("Inference-Header-Content-Length is");
    }

    @Test
    void responsesCarryJsonDataOrBinaryDataAsAsked() {
        Tensor y = Tensor.ofBytes(Datatype.FP32, new long[] {1, 2},
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(Float.NaN).flip());
        InferResponse response = new InferResponse("m", "1", "req-7", Map.of("y", y));
        InferRequest asJson = new InferRequest("req-7", Map.of(), List.of(), false);
        String json = new String(codec.encode(response, asJson).body(), StandardCharsets.UTF_8);
        assertThat(json).isEqualTo("{\"model_name\":\"m\",\"model_version\":\"1\",\"id\":\"req-7\",\"outputs\":"
                + "[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[1.5,\"NaN\"]}]}");

        InferRequest asBinary = new InferRequest("req-7", Map.of(),
                List.of(new InferRequest.RequestedOutput("y", true)), false);
        RestCodec.Encoded encoded = codec.encode(response, asBinary);
        assertThat(encoded.hasBinary()).isTrue();
        String header = new String(encoded.body(), 0, encoded.headerLength(), StandardCharsets.UTF_8);
        assertThat(header).contains("\"parameters\":{\"binary_data_size\":8}").doesNotContain("\"data\"");
        ByteBuffer tail = ByteBuffer.wrap(encoded.body(), encoded.headerLength(), 8).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(tail.getFloat()).isEqualTo(1.5f);
        assertThat(tail.getFloat()).isNaN();
    }

    /**
     * Data after the datatype and shape (as clients write it) is read straight into primitives;
     * data before them goes through the tree. Both readings must give the same tensor, or the same
     * error, for every kind of data: the tree walk is the reference.
     */
    @Test
    void streamedDataDecodesAsTheTreeWalkDoes() {
        record Case(String datatype, String shape, String data) {
        }
        List<Case> cases = List.of(
                new Case("FP32", "[2,2]", "[[1.5,-2],[3,4.25]]"), new Case("FP32", "[2,2]", "[1,2,3]"),
                new Case("FP32", "[1,2]", "[1,2,3]"), new Case("FP32", "[1,2]", "[1,{\"a\":1}]"),
                new Case("FP32", "[1,2]", "[1,null]"), new Case("FP32", "[1,2]", "[1,\"x\"]"),
                new Case("FP32", "[1,1]", "7"), new Case("FP32", "[1,2]", "[[1],[true]]"),
                new Case("FP64", "[1,2]", "[1e308,-0.0]"), new Case("FP16", "[1,2]", "[65504,0.1]"),
                new Case("INT8", "[1,3]", "[-128,127,0]"), new Case("INT8", "[1,1]", "[128]"),
                new Case("INT32", "[1,2]", "[1,1.0]"), new Case("INT64", "[1,2]", "[9223372036854775807,-1]"),
                new Case("UINT8", "[1,2]", "[255,-1]"), new Case("INT64", "[1,1]", "[92233720368547758070]"),
                new Case("BOOL", "[1,3]", "[true,false,true]"), new Case("BOOL", "[1,2]", "[true,1]"),
                new Case("INT16", "[1,0]", "[]"), new Case("INT16", "[1,0]", "[1]"),
                new Case("FP32", "[1,2]", "[[1,2],{}]"), new Case("FP32", "[1,2]", "[\"a\",{}]"));
        for (Case c : cases) {
            Datatype type = Datatype.valueOf(c.datatype());
            ModelSignature sig = signature(new TensorSpec("x", type, new long[] {-1, -1}));
            String streamed = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"" + c.datatype() + "\",\"shape\":"
                    + c.shape() + ",\"data\":" + c.data() + "}]}";
            String tree = "{\"inputs\":[{\"data\":" + c.data() + ",\"name\":\"x\",\"datatype\":\"" + c.datatype()
                    + "\",\"shape\":" + c.shape() + "}]}";
            assertThat(outcome(streamed, sig)).as(c.toString()).isEqualTo(outcome(tree, sig));
        }
    }

    /** The decoded bytes of input x, or the error message. */
    private String outcome(String json, ModelSignature sig) {
        try {
            ByteBuffer data = decode(json, sig).inputs().get("x").data();
            StringBuilder hex = new StringBuilder();
            while (data.hasRemaining()) {
                hex.append(String.format("%02x", data.get()));
            }
            return hex.toString();
        } catch (InferenceException e) {
            return "error: " + e.getMessage();
        }
    }
}
