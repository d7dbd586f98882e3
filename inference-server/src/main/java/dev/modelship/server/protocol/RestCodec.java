package dev.modelship.server.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelship.server.model.Datatype;
import dev.modelship.server.model.ModelSignature;
import dev.modelship.server.model.TensorSpec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The REST form of the protocol: JSON requests and responses, with Triton's binary
 * tensor data extension (a JSON header of {@code Inference-Header-Content-Length}
 * bytes followed by the raw tensors named by {@code binary_data_size}).
 *
 * <p>Every defect in a request becomes an {@link InferenceException} with status 400
 * that names the input and the problem; nothing here throws anything else for input
 * it was given.
 */
public final class RestCodec {

    private final ObjectMapper mapper;
    private final JsonFactory factory;

    public RestCodec() {
        this.factory = JsonFactory.builder()
                // Deep nesting is never a valid tensor; refuse it early.
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
                // Parsing numbers is most of a JSON request's cost; FastDoubleParser gives the same,
                // correctly rounded values about 15 % faster (bench/server/JsonDecode.java).
                .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                .build();
        this.mapper = new ObjectMapper(factory);
    }

    // ---- requests ------------------------------------------------------------------

    /**
     * Decodes a request body. {@code headerLength} is the value of
     * Inference-Header-Content-Length, or -1 when the body is JSON alone.
     */
    public InferRequest decode(byte[] body, int headerLength, ModelSignature signature) {
        return decode(body, headerLength, signature, SharedMemory.NONE);
    }

    /** {@link #decode(byte[], int, ModelSignature)} with tensors that may be given in shared memory. */
    public InferRequest decode(byte[] body, int headerLength, ModelSignature signature, SharedMemory sharedMemory) {
        if (headerLength > body.length) {
            throw InferenceException.badRequest(
                    "Inference-Header-Content-Length is %d but the body has only %d bytes", headerLength, body.length);
        }
        int jsonLength = headerLength >= 0 ? headerLength : body.length;
        Map<JsonNode, StreamedData> streamed = new IdentityHashMap<>();
        JsonNode root;
        try {
            root = parse(body, jsonLength, streamed);
        } catch (JsonProcessingException e) {
            throw InferenceException.badRequest("malformed JSON: %s", e.getOriginalMessage());
        } catch (IOException e) {
            // Reading a byte array fails only on undecodable text (CharConversionException).
            throw InferenceException.badRequest("malformed JSON: %s", e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw InferenceException.badRequest("the request body must be a JSON object");
        }
        ByteBuffer binary = ByteBuffer.wrap(body, jsonLength, body.length - jsonLength).slice()
                .order(ByteOrder.LITTLE_ENDIAN);

        String id = optionalText(root, "id", "request");
        boolean binaryByDefault = booleanParameter(root.get("parameters"), "binary_data_output", "request");

        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray()) {
            throw InferenceException.badRequest("the request needs an 'inputs' array");
        }
        Map<String, Tensor> decoded = new LinkedHashMap<>();
        for (JsonNode input : inputs) {
            if (!input.isObject()) {
                throw InferenceException.badRequest("each entry of 'inputs' must be an object");
            }
            String name = requiredText(input, "name", "an input");
            if (decoded.containsKey(name)) {
                throw InferenceException.badRequest("input '%s' is given twice", name);
            }
            TensorSpec spec = signature.input(name).orElseThrow(() -> InferenceException.badRequest(
                    "unknown input '%s'; the model's inputs are %s", name, names(signature.inputs())));
            decoded.put(name, decodeInput(input, streamed.get(input), name, spec, binary, sharedMemory));
        }
        if (binary.hasRemaining()) {
            throw InferenceException.badRequest(
                    "%d bytes of binary data follow the JSON header but no input claims them", binary.remaining());
        }
        requireAllInputs(decoded, signature);

        List<InferRequest.RequestedOutput> outputs = new ArrayList<>();
        JsonNode requested = root.get("outputs");
        if (requested != null && !requested.isNull()) {
            if (!requested.isArray()) {
                throw InferenceException.badRequest("'outputs' must be an array");
            }
            for (JsonNode o : requested) {
                if (!o.isObject()) {
                    throw InferenceException.badRequest("each entry of 'outputs' must be an object");
                }
                String name = requiredText(o, "name", "a requested output");
                signature.output(name).orElseThrow(() -> InferenceException.badRequest(
                        "unknown output '%s'; the model's outputs are %s", name, names(signature.outputs())));
                JsonNode params = o.get("parameters");
                Boolean asBinary = params != null && params.has("binary_data")
                        ? booleanParameter(params, "binary_data", "output '" + name + "'") : null;
                SharedMemory.Reference target = sharedMemoryReference(params, "output '" + name + "'");
                if (target != null) {
                    sharedMemory.check(target);
                }
                outputs.add(new InferRequest.RequestedOutput(name, asBinary, target));
            }
        }
        return new InferRequest(id, decoded, outputs, binaryByDefault);
    }

    static void requireAllInputs(Map<String, Tensor> decoded, ModelSignature signature) {
        for (TensorSpec spec : signature.inputs()) {
            if (!decoded.containsKey(spec.name())) {
                throw InferenceException.badRequest("missing input '%s' (%s); the model needs %s",
                        spec.name(), spec.datatype(), names(signature.inputs()));
            }
        }
    }

    /**
     * The request as a tree, except each input's numeric {@code data}, which goes straight into
     * primitive arrays ({@link StreamedData}) when the input's datatype and shape come before it (as
     * every client writes them); any other data stays in the tree. The whole body is read here, so
     * malformed JSON anywhere is found before anything is decoded, as with a plain tree.
     */
    private JsonNode parse(byte[] body, int length, Map<JsonNode, StreamedData> streamed) throws IOException {
        try (JsonParser p = mapper.createParser(body, 0, length)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                return t == null ? null : mapper.readTree(p);
            }
            ObjectNode root = mapper.createObjectNode();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (p.nextToken() == JsonToken.START_ARRAY && field.equals("inputs")) {
                    ArrayNode inputs = root.putArray(field);
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        inputs.add(p.currentToken() == JsonToken.START_OBJECT ? input(p, streamed) : mapper.readTree(p));
                    }
                } else {
                    root.set(field, mapper.readTree(p));
                }
            }
            return root;
        }
    }

    /** One input object, the parser on its START_OBJECT. */
    private ObjectNode input(JsonParser p, Map<JsonNode, StreamedData> streamed) throws IOException {
        ObjectNode input = mapper.createObjectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            StreamedData data = field.equals("data") && value != JsonToken.VALUE_NULL ? stream(p, input) : null;
            if (data != null) {
                input.remove(field);
                streamed.put(input, data);
            } else {
                if (field.equals("data")) {
                    streamed.remove(input);
                }
                input.set(field, mapper.readTree(p));
            }
        }
        return input;
    }

    /**
     * The input's data read from the parser, when its datatype (one that streams) and a valid shape
     * were given before it; null, reading nothing, when the tree walk is to read the data.
     */
    private static StreamedData stream(JsonParser p, ObjectNode input) throws IOException {
        JsonNode type = input.get("datatype");
        Datatype datatype = type != null && type.isTextual() ? Datatype.parse(type.textValue()).orElse(null) : null;
        if (datatype == null || !StreamedData.streams(datatype)) {
            return null;
        }
        long count;
        try {
            count = checkSize("", shape(input.get("shape"), ""));
        } catch (InferenceException e) {
            return null; // decodeInput reports the shape
        }
        return StreamedData.read(p, datatype, (int) count);
    }

    private Tensor decodeInput(JsonNode input, StreamedData streamedData, String name, TensorSpec spec,
                               ByteBuffer binary, SharedMemory sharedMemory) {
        String typeName = requiredText(input, "datatype", "input '" + name + "'");
        Datatype datatype = Datatype.parse(typeName).orElseThrow(() -> InferenceException.badRequest(
                "input '%s': '%s' is not a datatype of the protocol", name, typeName));
        long[] shape = shape(input.get("shape"), name);
        checkAgainstSpec(name, datatype, shape, spec);

        JsonNode params = input.get("parameters");
        boolean hasData = input.has("data") || streamedData != null;
        SharedMemory.Reference source = sharedMemoryReference(params, "input '" + name + "'");
        if (source != null) {
            if (hasData || params.has("binary_data_size")) {
                throw InferenceException.badRequest("input '%s' is in shared memory and must not also have data", name);
            }
            return BinaryTensors.read(name, datatype, shape, sharedMemory.read(source));
        }
        JsonNode binarySize = params != null && params.isObject() ? params.get("binary_data_size") : null;
        if (binarySize != null) {
            if (!binarySize.canConvertToLong() || binarySize.asLong() < 0 || !binarySize.isIntegralNumber()) {
                throw InferenceException.badRequest("input '%s': binary_data_size must be a non-negative integer", name);
            }
            if (hasData) {
                throw InferenceException.badRequest("input '%s' has both 'data' and binary_data_size", name);
            }
            return fromBinary(name, datatype, shape, binary, binarySize.asLong());
        }
        if (streamedData != null) {
            int count = (int) checkSize(name, shape);
            if (!streamedData.readAs(datatype, count)) {
                throw InferenceException.badRequest("input '%s' gives its datatype or shape twice", name);
            }
            return streamedData.toTensor(name, shape, count);
        }
        JsonNode data = input.get("data");
        if (data == null || data.isNull()) {
            throw InferenceException.badRequest("input '%s' has no 'data' (and no binary_data_size)", name);
        }
        return fromJson(name, datatype, shape, data);
    }

    static void checkAgainstSpec(String name, Datatype datatype, long[] shape, TensorSpec spec) {
        if (datatype != spec.datatype()) {
            throw InferenceException.badRequest("input '%s' has datatype %s but the model expects %s",
                    name, datatype, spec.datatype());
        }
        if (datatype.javaType().isEmpty()) {
            throw InferenceException.badRequest(
                    "input '%s': %s tensors cannot be fed to ONNX Runtime's Java API", name, datatype);
        }
        if (!spec.accepts(shape)) {
            throw InferenceException.badRequest("input '%s' has shape %s but the model expects %s (-1 is any size)",
                    name, Arrays.toString(shape), Arrays.toString(spec.shape()));
        }
    }

    static long[] shape(JsonNode node, String name) {
        if (node == null || !node.isArray()) {
            throw InferenceException.badRequest("input '%s' needs a 'shape' array", name);
        }
        if (node.size() > 16) {
            throw InferenceException.badRequest("input '%s' has %d dimensions; at most 16 are allowed", name, node.size());
        }
        long[] shape = new long[node.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = node.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw InferenceException.badRequest("input '%s': shape %s must hold non-negative integers", name, node);
            }
            shape[i] = d.asLong();
        }
        checkSize(name, shape);
        return shape;
    }

    static long checkSize(String name, long[] shape) {
        try {
            long n = Tensor.elementCount(shape);
            if (n > Integer.MAX_VALUE / 8) {
                throw InferenceException.badRequest("input '%s': shape %s is too large", name, Arrays.toString(shape));
            }
            return n;
        } catch (ArithmeticException e) {
            throw InferenceException.badRequest("input '%s': shape %s is too large", name, Arrays.toString(shape));
        }
    }

    private static Tensor fromBinary(String name, Datatype datatype, long[] shape, ByteBuffer binary, long size) {
        if (size > binary.remaining()) {
            throw InferenceException.badRequest("input '%s' claims %d bytes of binary data but only %d remain",
                    name, size, binary.remaining());
        }
        ByteBuffer own = binary.slice().order(ByteOrder.LITTLE_ENDIAN);
        own.limit((int) size);
        binary.position(binary.position() + (int) size);
        return BinaryTensors.read(name, datatype, shape, own);
    }

    private static Tensor fromJson(String name, Datatype datatype, long[] shape, JsonNode data) {
        int count = (int) checkSize(name, shape);
        // Grown as values are found: the declared shape alone must not decide an allocation.
        List<JsonNode> flat = new ArrayList<>(Math.min(count, 4096));
        flatten(data, flat, name, count);
        if (flat.size() != count) {
            throw InferenceException.badRequest("input '%s' has %d values but shape %s needs %d",
                    name, flat.size(), Arrays.toString(shape), count);
        }
        if (datatype == Datatype.BYTES) {
            byte[][] elements = new byte[count][];
            for (int i = 0; i < count; i++) {
                JsonNode v = flat.get(i);
                if (!v.isTextual()) {
                    throw InferenceException.badRequest("input '%s': BYTES values must be strings, got %s",
                            name, v.getNodeType().name().toLowerCase());
                }
                elements[i] = v.textValue().getBytes(StandardCharsets.UTF_8);
            }
            return Tensor.ofElements(shape, elements);
        }
        ByteBuffer out = ByteBuffer.allocate(count * datatype.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (JsonNode v : flat) {
            if (datatype == Datatype.BOOL) {
                if (!v.isBoolean()) {
                    throw InferenceException.badRequest("input '%s': BOOL values must be true or false, got %s", name, v);
                }
                out.put((byte) (v.booleanValue() ? 1 : 0));
            } else if (datatype.isIntegral()) {
                if (!v.isIntegralNumber()) {
                    throw InferenceException.badRequest("input '%s': %s values must be integers, got %s",
                            name, datatype, v);
                }
                TensorValues.putIntegral(out, datatype, v.bigIntegerValue(), name);
            } else {
                if (!v.isNumber()) {
                    throw InferenceException.badRequest("input '%s': %s values must be numbers, got %s",
                            name, datatype, v);
                }
                TensorValues.putFloating(out, datatype, v.doubleValue());
            }
        }
        out.flip();
        return Tensor.ofBytes(datatype, shape, out);
    }

    private static void flatten(JsonNode node, List<JsonNode> out, String name, int limit) {
        if (node.isArray()) {
            for (JsonNode child : node) {
                flatten(child, out, name, limit);
            }
        } else if (node.getNodeType() == JsonNodeType.OBJECT || node.isNull()) {
            throw InferenceException.badRequest("input '%s': 'data' must hold values or arrays of values, found %s",
                    name, node.isNull() ? "null" : "an object");
        } else {
            if (out.size() >= limit) {
                throw InferenceException.badRequest("input '%s' has more values than its shape holds (%d)", name, limit);
            }
            out.add(node);
        }
    }

    // ---- responses -----------------------------------------------------------------

    /** An encoded response: the body, and the JSON header's length when binary data follows it. */
    public record Encoded(byte[] body, int headerLength) {
        public boolean hasBinary() {
            return headerLength >= 0;
        }
    }

    public Encoded encode(InferResponse response, InferRequest request) {
        return encode(response, request, SharedMemory.NONE);
    }

    /** Encodes a response, writing the outputs asked for in shared memory there instead. */
    public Encoded encode(InferResponse response, InferRequest request, SharedMemory sharedMemory) {
        Map<String, Boolean> binaryByName = new LinkedHashMap<>();
        Map<String, SharedMemory.Reference> inSharedMemory = new LinkedHashMap<>();
        for (InferRequest.RequestedOutput o : request.outputs()) {
            binaryByName.put(o.name(), o.binary() != null ? o.binary() : request.binaryOutputsByDefault());
            if (o.sharedMemory() != null) {
                inSharedMemory.put(o.name(), o.sharedMemory());
            }
        }
        ByteArrayOutputStream json = new ByteArrayOutputStream(256);
        List<Tensor> binaryParts = new ArrayList<>();
        try (JsonGenerator g = factory.createGenerator(json)) {
            g.writeStartObject();
            g.writeStringField("model_name", response.modelName());
            g.writeStringField("model_version", response.modelVersion());
            if (response.id() != null) {
                g.writeStringField("id", response.id());
            }
            g.writeArrayFieldStart("outputs");
            for (Map.Entry<String, Tensor> e : response.outputs().entrySet()) {
                Tensor t = e.getValue();
                boolean asBinary = binaryByName.getOrDefault(e.getKey(), request.binaryOutputsByDefault());
                g.writeStartObject();
                g.writeStringField("name", e.getKey());
                g.writeStringField("datatype", t.datatype().name());
                g.writeArrayFieldStart("shape");
                for (long d : t.shape()) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                SharedMemory.Reference target = inSharedMemory.get(e.getKey());
                if (target != null) {
                    byte[] bytes = BinaryTensors.toBytes(t);
                    sharedMemory.write(target, e.getKey(), bytes);
                    g.writeObjectFieldStart("parameters");
                    g.writeStringField("shared_memory_region", target.region());
                    g.writeNumberField("shared_memory_byte_size", bytes.length);
                    if (target.offset() != 0) {
                        g.writeNumberField("shared_memory_offset", target.offset());
                    }
                    g.writeEndObject();
                } else if (asBinary) {
                    g.writeObjectFieldStart("parameters");
                    g.writeNumberField("binary_data_size", t.binarySize());
                    g.writeEndObject();
                    binaryParts.add(t);
                } else {
                    g.writeFieldName("data");
                    writeData(g, t);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (binaryParts.isEmpty()) {
            return new Encoded(json.toByteArray(), -1);
        }
        int headerLength = json.size();
        for (Tensor t : binaryParts) {
            BinaryTensors.write(t, json);
        }
        return new Encoded(json.toByteArray(), headerLength);
    }

    private static void writeData(JsonGenerator g, Tensor t) throws IOException {
        g.writeStartArray();
        int n = (int) t.elementCount();
        if (t.datatype() == Datatype.BYTES) {
            for (byte[] e : t.elements()) {
                g.writeString(new String(e, StandardCharsets.UTF_8));
            }
        } else {
            ByteBuffer in = t.data();
            for (int i = 0; i < n; i++) {
                Object v = TensorValues.get(in, t.datatype(), i);
                if (v instanceof Boolean b) {
                    g.writeBoolean(b);
                } else if (v instanceof Float f) {
                    writeFloat(g, f);
                } else if (v instanceof Double d) {
                    writeDouble(g, d);
                } else if (v instanceof BigInteger b) {
                    g.writeNumber(b);
                } else {
                    g.writeNumber(((Number) v).longValue());
                }
            }
        }
        g.writeEndArray();
    }

    // JSON has no NaN or infinities; Triton and KServe write them as strings.
    private static void writeFloat(JsonGenerator g, float f) throws IOException {
        if (Float.isFinite(f)) {
            g.writeNumber(f);
        } else {
            g.writeString(Float.toString(f));
        }
    }

    private static void writeDouble(JsonGenerator g, double d) throws IOException {
        if (Double.isFinite(d)) {
            g.writeNumber(d);
        } else {
            g.writeString(Double.toString(d));
        }
    }

    // ---- helpers -------------------------------------------------------------------

    private static String requiredText(JsonNode node, String field, String what) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw InferenceException.badRequest("%s needs a string '%s'", what, field);
        }
        return v.textValue();
    }

    private static String optionalText(JsonNode node, String field, String what) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw InferenceException.badRequest("%s field '%s' must be a string", what, field);
        }
        return v.textValue();
    }

    private static boolean booleanParameter(JsonNode params, String field, String what) {
        if (params == null || params.isNull()) {
            return false;
        }
        if (!params.isObject()) {
            throw InferenceException.badRequest("%s 'parameters' must be an object", what);
        }
        JsonNode v = params.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw InferenceException.badRequest("%s parameter '%s' must be true or false", what, field);
        }
        return v.booleanValue();
    }

    /**
     * The shared_memory_region, shared_memory_offset (default 0) and shared_memory_byte_size
     * parameters of an input or output, or null when it has no region.
     */
    private static SharedMemory.Reference sharedMemoryReference(JsonNode params, String what) {
        if (params == null || !params.isObject() || !params.has("shared_memory_region")) {
            return null;
        }
        JsonNode region = params.get("shared_memory_region");
        if (!region.isTextual()) {
            throw InferenceException.badRequest("%s: shared_memory_region must be a string", what);
        }
        JsonNode size = params.get("shared_memory_byte_size");
        if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
            throw InferenceException.badRequest("%s: shared_memory_byte_size must be given as a non-negative"
                    + " integer with shared_memory_region", what);
        }
        JsonNode offset = params.get("shared_memory_offset");
        if (offset != null && (!offset.isIntegralNumber() || !offset.canConvertToLong() || offset.asLong() < 0)) {
            throw InferenceException.badRequest("%s: shared_memory_offset must be a non-negative integer", what);
        }
        return new SharedMemory.Reference(region.textValue(), offset == null ? 0 : offset.asLong(), size.asLong());
    }

    static List<String> names(List<TensorSpec> specs) {
        return specs.stream().map(TensorSpec::name).toList();
    }

    /** Writes {"error": message}, the body of every 4xx and 5xx answer. */
    public byte[] error(String message) {
        try {
            return mapper.writeValueAsBytes(Map.of("error", message == null ? "internal error" : message));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ObjectMapper mapper() {
        return mapper;
    }
}
