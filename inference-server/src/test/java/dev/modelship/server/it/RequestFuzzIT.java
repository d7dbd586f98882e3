package dev.modelship.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.modelship.server.grpc.v2.GRPCInferenceServiceGrpc;
import dev.modelship.server.grpc.v2.InferParameter;
import dev.modelship.server.grpc.v2.InferTensorContents;
import dev.modelship.server.grpc.v2.ModelInferRequest;
import dev.modelship.server.grpc.v2.ModelInferResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Fuzzes the request parsers of the packaged server with a seeded, generated corpus:
 * mutated JSON requests, mutated requests in Triton's binary tensor extension, and gRPC
 * ModelInfer messages with random field values, against three models that together use
 * every datatype the server takes.
 *
 * <p>Every answer must be a success or a client error that explains itself: no 5xx, no
 * gRPC INTERNAL/UNKNOWN, every 4xx a JSON {"error": "..."}. About one input in eight is
 * left valid; those must be answered exactly right, by an oracle computed here: all_types
 * is one Identity per datatype (output = input), string_input a lookup table. Afterwards
 * the servers are alive, logged no error, and still answer a valid request correctly
 * (scikit-learn's predictions in digits_mlp.expected.json).
 *
 * <p>Reproduce one input with {@code -Dmodelship.fuzz.seed=S -Dmodelship.fuzz.inputs=N}:
 * input i is generated from {@code new Random(seed * 1_000_003 + i)} alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestFuzzIT {

    private static final long SEED = Long.getLong("modelship.fuzz.seed", 20_261_126L);
    private static final int INPUTS = Integer.getInteger("modelship.fuzz.inputs", 20_000);
    private static final int THREADS = 4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static final List<String> DATATYPES = List.of("BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8",
            "UINT16", "UINT32", "UINT64", "FP16", "BF16", "FP32", "FP64", "BYTES");
    private static final List<String> ODD_STRINGS = List.of("", " ", "NaN", "Infinity", "-Infinity", "inf", "nan",
            "null", "true", "1e999999", "0x10", "fp32", "Fp32", "FP32 ", "INT", "STRING", "input\u0000", "\u00e9\u2603",
            "\uD83D\uDE00", "../../etc/passwd", "%s%s%n", "x".repeat(5000), "inputs", "binary_data_size", "-1");
    private static final long[] ODD_LONGS = {0, 1, 2, 3, 4, 7, 63, 64, 65, -1, -2, -64, Integer.MAX_VALUE,
            Integer.MIN_VALUE, 1L << 31, 1L << 32, 1L << 40, 1L << 53, Long.MAX_VALUE, Long.MIN_VALUE,
            Long.MAX_VALUE / 64, 268_435_456L, 33_554_431L};

    /** A model under fuzz: its server, name and inputs (name, datatype) with the shapes it accepts. */
    private record Target(String model, ServerProcess server, List<String[]> inputs) {
        long[] validShape(Random r) {
            return switch (model) {
                case "digits_mlp" -> new long[] {1 + r.nextInt(3), 64};
                case "string_input" -> new long[] {r.nextInt(5)};
                default -> new long[] {1 + r.nextInt(3), 1 + r.nextInt(3)};
            };
        }
    }

    private record Failure(long index, String kind, String problem, String input) {
    }

    /** A tensor in canonical form: datatype, shape and each element as text. */
    private record Expected(String datatype, List<Long> shape, List<String> values) {
    }

    /** Set by a generator when it produced a valid request: the outputs it must get, computed without the server. */
    private static final class Oracle {
        Map<String, Expected> outputs;
    }

    private final List<Target> targets = new ArrayList<>();
    private final List<ServerProcess> launched = new ArrayList<>();
    private final Map<String, LongAdder> millisByKind = new ConcurrentHashMap<>();
    /** Refusal messages with names and numbers blanked: how many different checks the corpus reached. */
    private final Set<String> refusals = ConcurrentHashMap.newKeySet();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private HttpClient http;

    @BeforeAll
    void startServers() throws Exception {
        List<String[]> allTypes = new ArrayList<>();
        for (String t : List.of("BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "FP16", "FP32", "FP64", "BYTES")) {
            allTypes.add(new String[] {"x_" + t, t});
        }
        Map<String, List<String[]>> models = Map.of(
                "digits_mlp", List.<String[]>of(new String[] {"input", "FP32"}),
                "string_input", List.<String[]>of(new String[] {"animal", "BYTES"}),
                "all_types", allTypes);
        for (String model : List.of("digits_mlp", "string_input", "all_types")) {
            launched.add(ServerProcess.launch(ServerProcess.MODELS.resolve(model + ".onnx"), Map.of()));
        }
        for (int i = 0; i < launched.size(); i++) {
            String model = List.of("digits_mlp", "string_input", "all_types").get(i);
            ServerProcess server = ServerProcess.awaitOrRelaunch(launched.get(i), ServerProcess.MODELS.resolve(model + ".onnx"));
            targets.add(new Target(model, server, models.get(model)));
            channels.put(model, ManagedChannelBuilder.forTarget(server.grpcTarget()).usePlaintext()
                    .maxInboundMessageSize(64 << 20).build());
        }
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    void stopServers() throws InterruptedException {
        channels.values().forEach(ManagedChannel::shutdownNow);
        for (Target t : targets) {
            t.server().close();
        }
        for (ServerProcess server : launched) {
            server.close();
        }
    }

    @Test
    void generatedCorpusGetsOnlyAnswersThatExplainThemselves() throws Exception {
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        Map<String, LongAdder> kinds = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger next = new AtomicInteger();
        Map<String, Integer> logStart = new TreeMap<>();
        for (Target t : targets) {
            logStart.put(t.model(), t.server().log().length());
        }
        long started = System.nanoTime();

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < THREADS; w++) {
            workers.add(pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < INPUTS; ) {
                    runOne(i, outcomes, kinds, failures);
                }
                return null;
            }));
        }
        for (Future<?> f : workers) {
            f.get(10, TimeUnit.MINUTES);
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - started) / 1e9;

        System.out.printf("RequestFuzzIT: tried %d inputs in %.1f s (seed %d, %d threads): %s%n  outcomes %s%n"
                        + "  client-side milliseconds by kind %s%n", INPUTS, seconds, SEED, THREADS, new TreeMap<>(kinds),
                new TreeMap<>(outcomes), new TreeMap<>(millisByKind));
        System.out.printf("  %d different refusal messages (names and numbers blanked), e.g.:%n", refusals.size());
        refusals.stream().sorted().limit(150).forEach(m -> System.out.println("    " + m));
        failures.stream().limit(20).forEach(f -> System.out.printf(
                "RequestFuzzIT FAILURE input %d (%s): %s%n    input: %s%n", f.index(), f.kind(), f.problem(), f.input()));

        assertThat(failures).as("inputs answered with a server error or without a JSON error body; first: "
                + failures.stream().limit(5).map(Failure::toString).toList()).isEmpty();
        long total = kinds.values().stream().mapToLong(LongAdder::sum).sum();
        assertThat(total).isEqualTo(INPUTS);
        // The corpus must reach past the first checks: some inputs are accepted, some refused.
        assertThat(outcomes.getOrDefault("rest 200", new LongAdder()).sum()).isPositive();
        assertThat(outcomes.getOrDefault("grpc OK", new LongAdder()).sum()).isPositive();
        assertThat(outcomes.getOrDefault("rest 400", new LongAdder()).sum()).isPositive();
        assertThat(outcomes.getOrDefault("grpc INVALID_ARGUMENT", new LongAdder()).sum()).isPositive();
        assertThat(outcomes.getOrDefault("valid requests answered exactly right", new LongAdder()).sum())
                .isGreaterThan(INPUTS / 50);

        for (Target t : targets) {
            assertThat(t.server().process().isAlive()).as(t.model() + " server alive").isTrue();
            assertThat(t.server().log().substring(logStart.get(t.model())).lines()
                    .filter(l -> l.contains(" ERROR ") || l.contains(" SEVERE ")).toList())
                    .as(t.model() + " server logged errors during the fuzz").isEmpty();
        }
        digitsStillCorrect();
    }

    /**
     * A request of a hundred bytes that declares a tensor of hundreds of millions of
     * elements but carries one value is refused at once: the server must not first
     * allocate for the declared size.
     */
    @Test
    void tinyRequestsDeclaringHugeTensorsAreRefusedAtOnce() throws Exception {
        Target digits = target("digits_mlp");
        Target strings = target("string_input");
        byte[] jsonBody = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[4194303,64],\"data\":[1]}]}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] header = "{\"inputs\":[{\"name\":\"animal\",\"datatype\":\"BYTES\",\"shape\":[268435455],\"parameters\":{\"binary_data_size\":5}}]}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] binaryBody = concat(header, new byte[] {1, 0, 0, 0, 'x'});
        int each = 8;
        ExecutorService pool = Executors.newFixedThreadPool(2 * each);
        long started = System.nanoTime();
        List<Future<HttpResponse<byte[]>>> answers = new ArrayList<>();
        for (int i = 0; i < each; i++) {
            answers.add(pool.submit(() -> post(digits, "/infer", jsonBody, Map.of())));
            answers.add(pool.submit(() -> post(strings, "/infer", binaryBody,
                    Map.of("Inference-Header-Content-Length", String.valueOf(header.length)))));
        }
        for (Future<HttpResponse<byte[]>> a : answers) {
            HttpResponse<byte[]> response = a.get(2, TimeUnit.MINUTES);
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(response.body()).path("error").asText()).isNotEmpty();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("RequestFuzzIT: %d tiny requests declaring ~2^28 elements answered in %.2f s%n",
                2 * each, seconds);
        // Generous: refusing 16 requests of ~100 bytes takes milliseconds; allocating ~1 GB
        // for each before looking at the data takes tens of seconds on 2 cores.
        assertThat(seconds).as("16 tiny requests declaring huge tensors were answered within 5 s").isLessThan(5.0);
        digitsStillCorrect();
    }

    /**
     * A body whose first bytes make Jackson read it as UTF-32 but which holds an invalid
     * code point is malformed JSON: a client error, not a server error.
     */
    @Test
    void invalidUtf32BodyIsAClientError() throws Exception {
        byte[] body = {0, 0, 0, '{', 0, 0, 0, '"', 0, 0, 0, 'a', 0x39, 0x38, 0x39, 0x39};
        HttpResponse<byte[]> response = post(target("digits_mlp"), "/infer", body, Map.of());
        assertThat(response.statusCode()).as(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("error").asText()).contains("JSON");
    }

    /** Refusals by the HTTP layer itself (a request line over its limit) also explain themselves in JSON. */
    @Test
    void overlongRequestLineGetsAJsonError() throws Exception {
        HttpResponse<byte[]> response = post(target("digits_mlp"), "/v2/models/" + "x".repeat(5000) + "/infer",
                "{}".getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(response.statusCode()).isBetween(400, 499);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(JSON.readTree(response.body()).path("error").asText()).isNotBlank();
    }

    /**
     * Bytes that are not a ModelInferRequest at all. grpc-java itself refuses them before our
     * code runs (as UNKNOWN "Application error processing RPC", logging a stack trace, its own
     * upstream behaviour); what we require is that none is taken for a request and the
     * server keeps serving.
     */
    @Test
    void unparseableGrpcMessagesAreRefusedAndTheServerKeepsServing() throws Exception {
        MethodDescriptor.Marshaller<byte[]> raw = new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(byte[] value) {
                return new ByteArrayInputStream(value);
            }

            @Override
            public byte[] parse(InputStream stream) {
                try {
                    return stream.readAllBytes();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        MethodDescriptor<byte[], byte[]> modelInfer = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName())
                .setRequestMarshaller(raw).setResponseMarshaller(raw).build();
        Random r = new Random(SEED);
        Map<String, Integer> statuses = new TreeMap<>();
        byte[] valid = ModelInferRequest.newBuilder().setModelName("digits_mlp").addInputs(
                ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32").addShape(1)
                        .addShape(64)).addRawInputContents(ByteString.copyFrom(new byte[256])).build().toByteArray();
        for (int i = 0; i < 200; i++) {
            byte[] garbage = i % 2 == 0 ? randomBytes(r, r.nextInt(80))
                    : Arrays.copyOf(valid, 1 + r.nextInt(valid.length - 1)); // a valid message cut short
            if (i % 2 == 1 && r.nextBoolean()) {
                garbage[r.nextInt(garbage.length)] = (byte) r.nextInt(256);
            }
            try {
                ClientCalls.blockingUnaryCall(channels.get("digits_mlp"), modelInfer,
                        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), garbage);
                statuses.merge("OK", 1, Integer::sum);
            } catch (StatusRuntimeException e) {
                statuses.merge(e.getStatus().getCode().name(), 1, Integer::sum);
            }
        }
        System.out.println("RequestFuzzIT: 200 unparseable ModelInfer messages answered " + statuses);
        assertThat(statuses).doesNotContainKey("OK");
        assertThat(target("digits_mlp").server().process().isAlive()).isTrue();
        digitsStillCorrect();
    }

    // ---- one input ---------------------------------------------------------------------------------------

    private void runOne(int index, Map<String, LongAdder> outcomes, Map<String, LongAdder> kinds,
                        ConcurrentLinkedQueue<Failure> failures) {
        Random r = new Random(SEED * 1_000_003L + index);
        Target t = targets.get(r.nextInt(targets.size()));
        int lane = index % 20;
        String kind = lane < 9 ? "rest-json" : lane < 15 ? "rest-binary" : "grpc";
        kinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
        // Described only when it failed: rendering every input would cost more than sending it.
        Supplier<String> input = () -> "";
        long started = System.nanoTime();
        Oracle oracle = new Oracle();
        try {
            if (kind.equals("grpc")) {
                ModelInferRequest request = grpcRequest(r, t, oracle);
                input = request::toString;
                String problem = sendGrpc(t, request, outcomes, oracle);
                if (problem != null) {
                    failures.add(new Failure(index, kind + " " + t.model(), problem, excerpt(input.get())));
                }
                return;
            }
            String path = "/infer";
            Map<String, String> headers = new TreeMap<>();
            byte[] body;
            if (kind.equals("rest-json")) {
                body = jsonRequest(r, t, oracle);
                if (oracle.outputs == null && r.nextInt(30) == 0) {
                    path = fuzzedPath(r, t);
                }
            } else {
                body = binaryRequest(r, t, headers, oracle);
            }
            if (oracle.outputs == null && r.nextInt(6) == 0) {
                headers.put("Content-Type", pick(r, List.of("application/json", "application/octet-stream",
                        "text/plain", "application/json; charset=utf-16", "multipart/form-data; boundary=zz",
                        "application/x-www-form-urlencoded", "*/*", "garbage")));
            }
            String finalPath = path;
            input = () -> headers + " " + finalPath + " " + describe(body);
            String problem = sendRest(t, path, body, headers, outcomes, oracle);
            if (problem != null) {
                failures.add(new Failure(index, kind + " " + t.model(), problem, excerpt(input.get())));
            }
        } catch (Exception e) {
            failures.add(new Failure(index, kind + " " + t.model(), "client side: " + e, excerpt(input.get())));
        } finally {
            millisByKind.computeIfAbsent(kind, k -> new LongAdder()).add((System.nanoTime() - started) / 1_000_000);
        }
    }

    private String sendRest(Target t, String path, byte[] body, Map<String, String> headers,
                            Map<String, LongAdder> outcomes, Oracle oracle) throws Exception {
        HttpResponse<byte[]> response = post(t, path, body, headers);
        int code = response.statusCode();
        outcomes.computeIfAbsent("rest " + code, k -> new LongAdder()).increment();
        String text = excerpt(new String(response.body(), StandardCharsets.UTF_8));
        if (code >= 500 || code < 200 || (code >= 300 && code < 400)) {
            return "status " + code + ": " + text;
        }
        if (oracle.outputs != null && code != 200) {
            return "a valid request got " + code + ": " + text;
        }
        if (code >= 400) {
            String type = response.headers().firstValue("Content-Type").orElse("");
            if (!type.startsWith("application/json")) {
                return "status " + code + " with Content-Type '" + type + "': " + text;
            }
            JsonNode error;
            try {
                error = JSON.readTree(response.body());
            } catch (IOException e) {
                return "status " + code + " with a body that is not JSON: " + text;
            }
            if (error == null || !error.path("error").isTextual() || error.path("error").asText().isBlank()) {
                return "status " + code + " without {\"error\": \"...\"}: " + text;
            }
            refusals.add(code + " " + normalize(error.path("error").asText()));
            return null;
        }
        return checkSuccess(response, oracle, outcomes);
    }

    /** A 200 must be a well-formed V2 response; binary outputs must add up to the body's tail. */
    private static String checkSuccess(HttpResponse<byte[]> response, Oracle oracle, Map<String, LongAdder> outcomes) {
        byte[] body = response.body();
        Optional<String> headerLength = response.headers().firstValue("Inference-Header-Content-Length");
        int jsonLength = headerLength.map(Integer::parseInt).orElse(body.length);
        JsonNode root;
        try {
            root = JSON.readTree(Arrays.copyOf(body, jsonLength));
        } catch (IOException | RuntimeException e) {
            return "200 whose JSON part does not parse: " + e.getMessage();
        }
        if (root == null || !root.path("outputs").isArray() || root.path("outputs").isEmpty()) {
            return "200 without outputs: " + excerpt(new String(body, StandardCharsets.UTF_8));
        }
        long binary = 0;
        Map<String, Expected> got = new TreeMap<>();
        for (JsonNode o : root.path("outputs")) {
            if (!o.path("name").isTextual() || !o.path("shape").isArray() || !o.path("datatype").isTextual()) {
                return "200 with a malformed output: " + o;
            }
            String datatype = o.path("datatype").asText();
            List<Long> shape = new ArrayList<>();
            o.path("shape").forEach(d -> shape.add(d.asLong()));
            long size = o.path("parameters").path("binary_data_size").asLong(0);
            if (!o.has("data") && !o.path("parameters").has("binary_data_size")) {
                return "200 with an output that has neither data nor binary_data_size: " + o;
            }
            if (jsonLength + binary + size > body.length) {
                return "200 whose binary outputs overrun the body: " + o;
            }
            got.put(o.path("name").asText(), new Expected(datatype, shape, o.has("data")
                    ? canonicalJson(datatype, o.get("data"))
                    : canonicalBinary(datatype, Arrays.copyOfRange(body, (int) (jsonLength + binary),
                            (int) (jsonLength + binary + size)))));
            binary += size;
        }
        if (binary != body.length - jsonLength) {
            return "200 whose binary_data_size sum " + binary + " differs from the " + (body.length - jsonLength)
                    + " bytes after the JSON";
        }
        return compare(oracle, got, outcomes);
    }

    /** The outputs of a valid request must be exactly what the oracle computed. */
    private static String compare(Oracle oracle, Map<String, Expected> got, Map<String, LongAdder> outcomes) {
        if (oracle.outputs == null) {
            return null;
        }
        for (Map.Entry<String, Expected> e : got.entrySet()) {
            Expected want = oracle.outputs.get(e.getKey());
            if (want == null) {
                return "output '" + e.getKey() + "' was not expected";
            }
            if (!want.equals(e.getValue())) {
                return "output '" + e.getKey() + "' is " + e.getValue() + " but must be " + want;
            }
        }
        outcomes.computeIfAbsent("valid requests answered exactly right", k -> new LongAdder()).increment();
        return null;
    }

    private String sendGrpc(Target t, ModelInferRequest request, Map<String, LongAdder> outcomes, Oracle oracle) {
        try {
            ModelInferResponse response = GRPCInferenceServiceGrpc.newBlockingStub(channels.get(t.model()))
                    .withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(request);
            outcomes.computeIfAbsent("grpc OK", k -> new LongAdder()).increment();
            if (response.getOutputsCount() == 0) {
                return "OK without outputs";
            }
            if (response.getRawOutputContentsCount() != 0
                    && response.getRawOutputContentsCount() != response.getOutputsCount()) {
                return "OK with " + response.getRawOutputContentsCount() + " raw contents for "
                        + response.getOutputsCount() + " outputs";
            }
            Map<String, Expected> got = new TreeMap<>();
            for (int i = 0; i < response.getOutputsCount(); i++) {
                ModelInferResponse.InferOutputTensor o = response.getOutputs(i);
                got.put(o.getName(), new Expected(o.getDatatype(), o.getShapeList(),
                        response.getRawOutputContentsCount() > 0
                                ? canonicalBinary(o.getDatatype(), response.getRawOutputContents(i).toByteArray())
                                : canonicalContents(o.getDatatype(), o.getContents())));
            }
            return compare(oracle, got, outcomes);
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            outcomes.computeIfAbsent("grpc " + code, k -> new LongAdder()).increment();
            if (oracle.outputs != null) {
                return "a valid request got " + e.getStatus();
            }
            if (!Set.of(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, Status.Code.RESOURCE_EXHAUSTED)
                    .contains(code)) {
                return "status " + e.getStatus();
            }
            String description = e.getStatus().getDescription();
            if (description == null || description.isBlank()) {
                return code + " without a description";
            }
            refusals.add(code + " " + normalize(description));
            return null;
        }
    }

    private HttpResponse<byte[]> post(Target t, String path, byte[] body, Map<String, String> headers)
            throws IOException, InterruptedException {
        String uri = path.startsWith("/v2/") ? t.server().httpUrl() + path
                : t.server().httpUrl() + "/v2/models/" + t.model() + path;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    // ---- JSON requests -------------------------------------------------------------------------------------

    private byte[] jsonRequest(Random r, Target t, Oracle oracle) throws IOException {
        ObjectNode root = validJson(r, t, false, null);
        if (r.nextInt(8) == 0) {
            oracle.outputs = expectedOutputs(t, root, List.of());
            return JSON.writeValueAsBytes(root);
        }
        JsonNode mutated = root;
        int treeMutations = r.nextInt(5);
        for (int m = 0; m < treeMutations; m++) {
            mutated = mutateTree(r, mutated, t);
        }
        byte[] body = JSON.writeValueAsBytes(mutated);
        if (treeMutations == 0 || r.nextInt(3) == 0) {
            int textMutations = 1 + r.nextInt(3);
            for (int m = 0; m < textMutations; m++) {
                body = mutateText(r, body);
            }
        }
        return body;
    }

    /** A valid request; with {@code binary} some inputs go to {@code parts} as binary data instead of "data". */
    private ObjectNode validJson(Random r, Target t, boolean binary, List<byte[]> parts) {
        ObjectNode root = NODES.objectNode();
        if (r.nextBoolean()) {
            root.put("id", "fuzz-" + r.nextInt(1000));
        }
        ArrayNode inputs = root.putArray("inputs");
        for (String[] in : t.inputs()) {
            long[] shape = t.validShape(r);
            ObjectNode node = inputs.addObject();
            node.put("name", in[0]);
            node.put("datatype", in[1]);
            ArrayNode s = node.putArray("shape");
            Arrays.stream(shape).forEach(s::add);
            if (binary && r.nextInt(4) != 0) {
                byte[] data = binaryTensor(r, in[1], count(shape));
                node.putObject("parameters").put("binary_data_size", data.length);
                parts.add(data);
            } else {
                node.set("data", jsonTensor(r, in[1], shape, r.nextBoolean()));
            }
        }
        if (r.nextBoolean()) {
            root.putObject("parameters").put("binary_data_output", r.nextBoolean());
        }
        return root;
    }

    private static JsonNode jsonTensor(Random r, String datatype, long[] shape, boolean nested) {
        int n = (int) count(shape);
        ArrayNode flat = NODES.arrayNode();
        for (int i = 0; i < n; i++) {
            flat.add(validValue(r, datatype));
        }
        if (!nested || shape.length < 2) {
            return flat;
        }
        ArrayNode outer = NODES.arrayNode();
        int inner = (int) (n / Math.max(1, shape[0]));
        for (int row = 0; row < shape[0]; row++) {
            ArrayNode a = outer.addArray();
            for (int j = 0; j < inner; j++) {
                a.add(flat.get(row * inner + j));
            }
        }
        return outer;
    }

    private static JsonNode validValue(Random r, String datatype) {
        return switch (datatype) {
            case "BOOL" -> NODES.booleanNode(r.nextBoolean());
            case "INT8" -> NODES.numberNode(r.nextInt(256) - 128);
            case "INT16" -> NODES.numberNode(r.nextInt(65536) - 32768);
            case "INT32" -> NODES.numberNode(r.nextInt());
            case "INT64" -> NODES.numberNode(r.nextLong());
            case "UINT8" -> NODES.numberNode(r.nextInt(256));
            case "FP16" -> NODES.numberNode((r.nextInt(2001) - 1000) / 8.0); // exact in binary16
            case "FP32", "FP64" -> NODES.numberNode(r.nextInt(4) == 0 ? (double) r.nextInt(17)
                    : (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(20) - 10));
            default -> NODES.textNode(bytesValue(r));
        };
    }

    private static final List<String> ANIMALS = List.of("cat", "dog", "bird", "fish");

    /** A BYTES element: often one of string_input's animals (or a near miss), otherwise random text. */
    private static String bytesValue(Random r) {
        return switch (r.nextInt(5)) {
            case 0, 1 -> pick(r, ANIMALS);
            case 2 -> pick(r, List.of("Cat", "", "dog ", "fish\u0000", "b\u00efrd"));
            default -> randomText(r, r.nextInt(10));
        };
    }

    private JsonNode mutateTree(Random r, JsonNode root, Target t) {
        if (!(root instanceof ObjectNode obj) || r.nextInt(40) == 0) {
            return randomValue(r, 2);
        }
        List<JsonNode> inputList = new ArrayList<>();
        obj.path("inputs").forEach(inputList::add);
        JsonNode picked = inputList.isEmpty() ? null : inputList.get(r.nextInt(inputList.size()));
        ObjectNode input = picked instanceof ObjectNode o ? o : null;
        switch (r.nextInt(12)) {
            case 0 -> replaceRandomNode(r, obj);
            case 1 -> removeRandomField(r, obj);
            case 2 -> randomContainer(r, obj).ifPresent(c -> {
                if (c instanceof ObjectNode o) {
                    o.set(pick(r, List.of("inputs", "outputs", "parameters", "data", "shape", "datatype", "name",
                            "binary_data_size", "id", "model_name", randomText(r, 4))), randomValue(r, 2));
                } else {
                    ((ArrayNode) c).add(randomValue(r, 2));
                }
            });
            case 3 -> {
                if (input != null) {
                    input.set("datatype", r.nextInt(4) == 0 ? randomValue(r, 1)
                            : NODES.textNode(r.nextBoolean() ? pick(r, DATATYPES) : pick(r, ODD_STRINGS)));
                }
            }
            case 4 -> {
                if (input != null) {
                    input.set("shape", r.nextInt(5) == 0 ? randomValue(r, 1) : oddShape(r));
                }
            }
            case 5 -> {
                if (input != null) {
                    input.set("data", oddData(r, input.path("datatype").asText()));
                }
            }
            case 6 -> {
                if (input != null) {
                    input.set("name", r.nextInt(3) == 0 ? randomValue(r, 1)
                            : NODES.textNode(r.nextBoolean() ? pick(r, otherInputNames(t)) : pick(r, ODD_STRINGS)));
                }
            }
            case 7 -> {
                ObjectNode target = input != null && r.nextBoolean() ? input : obj;
                JsonNode value = r.nextInt(3) == 0 ? randomValue(r, 1) : NODES.numberNode(pick(r, ODD_LONGS));
                if (r.nextInt(5) == 0) {
                    target.set("parameters", randomValue(r, 1));
                } else {
                    JsonNode params = target.path("parameters");
                    ObjectNode p = params instanceof ObjectNode o ? o : target.putObject("parameters");
                    p.set(pick(r, List.of("binary_data_size", "binary_data_output", "binary_data", "content_type",
                            randomText(r, 3))), value);
                }
            }
            case 8 -> {
                ArrayNode outputs = obj.path("outputs") instanceof ArrayNode a ? a : obj.putArray("outputs");
                ObjectNode o = outputs.addObject();
                o.set("name", r.nextInt(4) == 0 ? randomValue(r, 1)
                        : NODES.textNode(r.nextBoolean() ? pick(r, outputNames(t)) : pick(r, ODD_STRINGS)));
                if (r.nextBoolean()) {
                    o.set("parameters", r.nextBoolean() ? randomValue(r, 1)
                            : NODES.objectNode().set("binary_data", randomValue(r, 0)));
                }
            }
            case 9 -> {
                if (input != null && obj.path("inputs") instanceof ArrayNode a) {
                    a.add(input.deepCopy());
                }
            }
            case 10 -> obj.set("id", randomValue(r, 1));
            default -> {
                if (input != null) {
                    // Data whose nesting does not follow the shape, or values of the wrong kind.
                    JsonNode data = input.path("data");
                    if (data instanceof ArrayNode a && !a.isEmpty()) {
                        a.set(r.nextInt(a.size()), r.nextBoolean() ? randomValue(r, 1) : oddNumber(r));
                    } else {
                        input.set("data", deepArray(r.nextInt(80), oddNumber(r)));
                    }
                }
            }
        }
        return obj;
    }

    private static List<String> otherInputNames(Target t) {
        return List.of("input", "animal", "x_FP16", "x_BYTES", "x_UINT16", "a", "b", t.inputs().get(0)[0]);
    }

    private static List<String> ownOutputs(Target t) {
        return switch (t.model()) {
            case "digits_mlp" -> List.of("label", "probabilities");
            case "string_input" -> List.of("animal_id", "animal_class", "known");
            default -> t.inputs().stream().map(in -> "y_" + in[1]).toList();
        };
    }

    private static List<String> outputNames(Target t) {
        return List.of("label", "probabilities", "animal_id", "animal_class", "known", "y_FP16", "y_BYTES", "y_BOOL",
                "output_probability", "nope");
    }

    private static JsonNode oddShape(Random r) {
        ArrayNode s = NODES.arrayNode();
        int dims = r.nextInt(20) == 0 ? 17 + r.nextInt(100) : r.nextInt(4);
        for (int i = 0; i < dims; i++) {
            switch (r.nextInt(8)) {
                case 0 -> s.add(1.5);
                case 1 -> s.add("3");
                case 2 -> s.add(new BigInteger("123456789012345678901234567890"));
                case 3 -> s.addNull();
                default -> s.add(pick(r, ODD_LONGS));
            }
        }
        return s;
    }

    private static JsonNode oddData(Random r, String datatype) {
        return switch (r.nextInt(7)) {
            case 0 -> NODES.textNode(pick(r, ODD_STRINGS));
            case 1 -> deepArray(1 + r.nextInt(200), validValue(r, datatype));
            case 2 -> {
                ArrayNode a = NODES.arrayNode();
                for (int i = 0, n = r.nextInt(130); i < n; i++) {
                    a.add(r.nextBoolean() ? validValue(r, datatype) : oddNumber(r));
                }
                yield a;
            }
            case 3 -> {
                ArrayNode a = NODES.arrayNode();
                for (int i = 0, n = r.nextInt(10); i < n; i++) {
                    a.add(pick(r, List.of("NaN", "Infinity", "-Infinity", "nan", "1.0")));
                }
                yield a;
            }
            case 4 -> NODES.objectNode().set("values", NODES.arrayNode().add(1).add(2));
            case 5 -> NODES.arrayNode().add(NODES.arrayNode().add(1)).add(2).add(NODES.arrayNode());
            default -> randomValue(r, 3);
        };
    }

    private static JsonNode oddNumber(Random r) {
        return switch (r.nextInt(9)) {
            case 0 -> NODES.numberNode(new BigInteger("18446744073709551616"));
            case 1 -> NODES.numberNode(new BigInteger("-9223372036854775809"));
            case 2 -> NODES.numberNode(300);
            case 3 -> NODES.numberNode(-129);
            case 4 -> NODES.numberNode(1e39);
            case 5 -> NODES.numberNode(Double.MIN_VALUE);
            case 6 -> NODES.numberNode(-0.0);
            case 7 -> NODES.numberNode(new java.math.BigDecimal("1e400"));
            default -> NODES.numberNode(pick(r, ODD_LONGS));
        };
    }

    private static JsonNode deepArray(int depth, JsonNode leaf) {
        JsonNode node = leaf;
        for (int i = 0; i < depth; i++) {
            node = NODES.arrayNode().add(node);
        }
        return node;
    }

    private static JsonNode randomValue(Random r, int depth) {
        int choice = r.nextInt(depth > 0 ? 10 : 8);
        return switch (choice) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(r.nextBoolean());
            case 2 -> NODES.numberNode(pick(r, ODD_LONGS));
            case 3 -> NODES.numberNode(r.nextGaussian() * 1e6);
            case 4 -> NODES.textNode(pick(r, ODD_STRINGS));
            case 5 -> NODES.textNode(randomText(r, r.nextInt(20)));
            case 6 -> NODES.arrayNode();
            case 7 -> NODES.objectNode();
            case 8 -> {
                ArrayNode a = NODES.arrayNode();
                for (int i = 0, n = r.nextInt(5); i < n; i++) {
                    a.add(randomValue(r, depth - 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = NODES.objectNode();
                for (int i = 0, n = r.nextInt(4); i < n; i++) {
                    o.set(pick(r, List.of("name", "shape", "datatype", "data", "parameters", randomText(r, 3))),
                            randomValue(r, depth - 1));
                }
                yield o;
            }
        };
    }

    /** Replaces a node anywhere in the tree. */
    private static void replaceRandomNode(Random r, ObjectNode root) {
        List<JsonNode[]> slots = new ArrayList<>();
        collect(root, slots);
        if (slots.isEmpty()) {
            return;
        }
        JsonNode[] slot = slots.get(r.nextInt(slots.size()));
        JsonNode value = randomValue(r, 2);
        if (slot[0] instanceof ObjectNode o) {
            o.set(slot[1].asText(), value);
        } else {
            ((ArrayNode) slot[0]).set(slot[1].asInt(), value);
        }
    }

    private static void removeRandomField(Random r, ObjectNode root) {
        List<JsonNode[]> slots = new ArrayList<>();
        collect(root, slots);
        if (slots.isEmpty()) {
            return;
        }
        JsonNode[] slot = slots.get(r.nextInt(slots.size()));
        if (slot[0] instanceof ObjectNode o) {
            o.remove(slot[1].asText());
        } else {
            ((ArrayNode) slot[0]).remove(slot[1].asInt());
        }
    }

    /** Every (container, key-or-index) pair under {@code node}. */
    private static void collect(JsonNode node, List<JsonNode[]> slots) {
        if (node instanceof ObjectNode o) {
            o.fieldNames().forEachRemaining(name -> {
                slots.add(new JsonNode[] {o, NODES.textNode(name)});
                collect(o.get(name), slots);
            });
        } else if (node instanceof ArrayNode a) {
            // Long data arrays: a few of their slots are enough.
            for (int i = 0; i < a.size(); i += Math.max(1, a.size() / 8)) {
                slots.add(new JsonNode[] {a, NODES.numberNode(i)});
                collect(a.get(i), slots);
            }
        }
    }

    private static Optional<ContainerNode<?>> randomContainer(Random r, ObjectNode root) {
        List<ContainerNode<?>> containers = new ArrayList<>();
        containers.add(root);
        List<JsonNode[]> slots = new ArrayList<>();
        collect(root, slots);
        for (JsonNode[] s : slots) {
            JsonNode child = s[0] instanceof ObjectNode o ? o.get(s[1].asText()) : s[0].get(s[1].asInt());
            if (child instanceof ContainerNode<?> c) {
                containers.add(c);
            }
        }
        return Optional.of(containers.get(r.nextInt(containers.size())));
    }

    private static final List<String> TOKENS = List.of(",", "]", "}", "[", "{", "\"", ":", "null", "1e999999",
            "-", "NaN", "Infinity", "\\u0000", "\\ud800", "\\", "\u0000", "\u00ff", "\"inputs\":", "[]", "{}", "0",
            "-0.0e-0", "\t\n ", "/*", "//", "'", "tru", "01", "1.", ".5", "+1", "0x1F");

    private static byte[] mutateText(Random r, byte[] body) {
        int n = body.length;
        int at = n == 0 ? 0 : r.nextInt(n + 1);
        switch (r.nextInt(11)) {
            case 0:
                return Arrays.copyOf(body, at);
            case 1: {
                int end = Math.min(n, at + 1 + r.nextInt(40));
                return concat(Arrays.copyOf(body, at), Arrays.copyOfRange(body, end, n));
            }
            case 2:
                return insert(body, at, pick(r, TOKENS).getBytes(StandardCharsets.UTF_8));
            case 3: {
                if (n == 0) {
                    return body;
                }
                byte[] copy = body.clone();
                copy[Math.min(at, n - 1)] = (byte) r.nextInt(256);
                return copy;
            }
            case 4: {
                int end = Math.min(n, at + r.nextInt(200));
                return insert(body, at, Arrays.copyOfRange(body, at, end));
            }
            case 5: {
                if (r.nextInt(4) != 0) {
                    return insert(body, at, randomBytes(r, 1 + r.nextInt(8)));
                }
                return randomBytes(r, r.nextInt(300));
            }
            case 6: {
                int depth = (int) pick(r, new long[] {65, 1000, 20_000});
                String prefix = r.nextBoolean() ? "[" : "{\"a\":";
                String suffix = prefix.equals("[") ? "]" : "}";
                return concat(concat(prefix.repeat(depth).getBytes(StandardCharsets.UTF_8), body),
                        suffix.repeat(r.nextBoolean() ? depth : depth / 2).getBytes(StandardCharsets.UTF_8));
            }
            case 7: {
                // Duplicate fields: a second "inputs" (or "shape"/"data") member in the same object.
                String s = new String(body, StandardCharsets.UTF_8);
                String field = pick(r, List.of("\"inputs\":", "\"shape\":", "\"data\":", "\"datatype\":", "\"name\":"));
                int i = s.indexOf(field);
                if (i < 0) {
                    return body;
                }
                String dup = field + pick(r, List.of("[]", "null", "\"FP32\"", "[1,64]", "[[1]]", "{}")) + ",";
                return (s.substring(0, i) + dup + s.substring(i)).getBytes(StandardCharsets.UTF_8);
            }
            case 8: {
                String s = new String(body, StandardCharsets.UTF_8);
                String big = pick(r, List.of("1e999999", "9".repeat(400), "-" + "9".repeat(30), "1e-999999",
                        "0." + "0".repeat(1000) + "1", "123456789012345678901234567890e5"));
                return s.replaceFirst("\\d+(\\.\\d+)?", big).getBytes(StandardCharsets.UTF_8);
            }
            case 9: {
                Charset cs = pick(r, List.of(StandardCharsets.UTF_16BE, StandardCharsets.UTF_16LE,
                        StandardCharsets.UTF_16, Charset.forName("UTF-32"), StandardCharsets.ISO_8859_1));
                byte[] reencoded = new String(body, StandardCharsets.UTF_8).getBytes(cs);
                return r.nextBoolean() ? reencoded : concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, body);
            }
            default:
                return r.nextBoolean() ? new byte[0] : "null".getBytes(StandardCharsets.UTF_8);
        }
    }

    private static String fuzzedPath(Random r, Target t) {
        // Kept under the HTTP layer's 4096-byte request line: overlongRequestLineGetsAJsonError covers that limit.
        String model = r.nextBoolean() ? t.model() : pick(r, ODD_STRINGS) + randomText(r, 3);
        model = model.length() > 200 ? model.substring(0, 200) : model;
        String enc = URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
        String version = r.nextBoolean() ? "" : "/versions/" + URLEncoder.encode(pick(r, List.of("1", "2", "0",
                "-1", "01", "latest", "\u00e9", " ", "9".repeat(30))), StandardCharsets.UTF_8).replace("+", "%20");
        return "/v2/models/" + (enc.isEmpty() ? "%20" : enc) + version + "/infer";
    }

    // ---- binary extension requests --------------------------------------------------------------------------

    private byte[] binaryRequest(Random r, Target t, Map<String, String> headers, Oracle oracle) throws IOException {
        List<byte[]> parts = new ArrayList<>();
        ObjectNode root = validJson(r, t, true, parts);
        if (r.nextBoolean()) {
            ArrayNode outputs = root.putArray("outputs");
            for (String name : ownOutputs(t)) {
                if (r.nextInt(3) == 0) {
                    outputs.addObject().put("name", name).putObject("parameters").put("binary_data", r.nextBoolean());
                }
            }
        }
        int mutations = r.nextInt(4);
        Integer headerLie = null;
        boolean noHeader = false;
        for (int m = 0; m < mutations; m++) {
            switch (r.nextInt(10)) {
                case 0 -> headerLie = r.nextInt(3);
                case 1 -> {
                    List<JsonNode> sized = new ArrayList<>();
                    root.path("inputs").forEach(in -> {
                        if (in.path("parameters").has("binary_data_size")) {
                            sized.add(in);
                        }
                    });
                    if (!sized.isEmpty()) {
                        ObjectNode p = (ObjectNode) sized.get(r.nextInt(sized.size())).path("parameters");
                        long size = p.path("binary_data_size").asLong();
                        p.set("binary_data_size", switch (r.nextInt(6)) {
                            case 0 -> NODES.numberNode(size + 1);
                            case 1 -> NODES.numberNode(size - 1);
                            case 2 -> NODES.numberNode(pick(r, ODD_LONGS));
                            case 3 -> NODES.numberNode(size + 0.5);
                            case 4 -> NODES.textNode(String.valueOf(size));
                            default -> NODES.numberNode(0);
                        });
                    }
                }
                case 2 -> {
                    if (!parts.isEmpty()) {
                        int i = r.nextInt(parts.size());
                        parts.set(i, Arrays.copyOf(parts.get(i), r.nextInt(parts.get(i).length + 1)));
                    }
                }
                case 3 -> parts.add(randomBytes(r, 1 + r.nextInt(64)));
                case 4 -> lieInBytesPrefix(r, root, parts);
                case 5 -> {
                    if (!parts.isEmpty()) {
                        byte[] p = parts.get(r.nextInt(parts.size()));
                        for (int k = 0; k < 1 + r.nextInt(4) && p.length > 0; k++) {
                            p[r.nextInt(p.length)] = (byte) r.nextInt(256);
                        }
                    }
                }
                case 6 -> mutateTree(r, root, t);
                case 7 -> noHeader = r.nextInt(3) == 0;
                case 8 -> {
                    for (JsonNode in : root.path("inputs")) {
                        if (in.path("parameters").has("binary_data_size") && in instanceof ObjectNode o) {
                            o.set("data", NODES.arrayNode().add(1));
                            break;
                        }
                    }
                }
                default -> {
                    if (parts.size() > 1) {
                        int a = r.nextInt(parts.size());
                        int b = r.nextInt(parts.size());
                        byte[] tmp = parts.get(a);
                        parts.set(a, parts.get(b));
                        parts.set(b, tmp);
                    }
                }
            }
        }
        byte[] header = JSON.writeValueAsBytes(root);
        if (mutations == 0) {
            oracle.outputs = expectedOutputs(t, root, parts);
        } else if (r.nextInt(10) == 0) {
            header = mutateText(r, header);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(header);
        for (byte[] p : parts) {
            body.write(p);
        }
        if (!noHeader) {
            String value = String.valueOf(header.length);
            if (headerLie != null) {
                value = switch (headerLie) {
                    case 0 -> String.valueOf(header.length + pick(r, new long[] {-1, 1, -header.length, 4, 1 << 20}));
                    case 1 -> String.valueOf(pick(r, ODD_LONGS));
                    default -> pick(r, List.of("", " ", "abc", "1e3", "0x10", "+12", " 12 ", "99999999999", "-0",
                            String.valueOf(body.size()), String.valueOf(body.size() + 1), "12abc"));
                };
            }
            headers.put("Inference-Header-Content-Length", value);
        }
        return body.toByteArray();
    }

    /** Overwrites one 4-byte length prefix of a binary BYTES input with a lie. */
    private static void lieInBytesPrefix(Random r, ObjectNode root, List<byte[]> parts) {
        int part = 0;
        for (JsonNode in : root.path("inputs")) {
            if (!in.path("parameters").has("binary_data_size")) {
                continue;
            }
            if (in.path("datatype").asText().equals("BYTES") && part < parts.size() && parts.get(part).length >= 4) {
                byte[] p = parts.get(part);
                int lie = switch (r.nextInt(5)) {
                    case 0 -> -1;
                    case 1 -> Integer.MAX_VALUE;
                    case 2 -> p.length;
                    case 3 -> Integer.MIN_VALUE;
                    default -> r.nextInt();
                };
                ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).putInt(0, lie);
                return;
            }
            part++;
        }
    }

    private static byte[] binaryTensor(Random r, String datatype, long count) {
        int n = (int) count;
        return switch (datatype) {
            case "BOOL" -> {
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) r.nextInt(2);
                }
                yield b;
            }
            case "BYTES" -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (int i = 0; i < n; i++) {
                    byte[] e = bytesValue(r).getBytes(StandardCharsets.UTF_8);
                    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(e.length).array());
                    out.writeBytes(e);
                }
                yield out.toByteArray();
            }
            default -> randomBytes(r, n * elementSize(datatype));
        };
    }

    private static int elementSize(String datatype) {
        return switch (datatype) {
            case "BOOL", "INT8", "UINT8" -> 1;
            case "INT16", "UINT16", "FP16", "BF16" -> 2;
            case "INT32", "UINT32", "FP32" -> 4;
            default -> 8;
        };
    }

    // ---- gRPC requests --------------------------------------------------------------------------------------

    private ModelInferRequest grpcRequest(Random r, Target t, Oracle oracle) {
        boolean raw = r.nextBoolean() || t.inputs().stream().anyMatch(in -> in[1].equals("FP16"));
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(t.model());
        if (r.nextBoolean()) {
            b.setModelVersion("1");
        }
        for (String[] in : t.inputs()) {
            long[] shape = t.validShape(r);
            ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(in[0]).setDatatype(in[1]);
            Arrays.stream(shape).forEach(tensor::addShape);
            if (raw) {
                b.addRawInputContents(ByteString.copyFrom(binaryTensor(r, in[1], count(shape))));
            } else {
                tensor.setContents(typedContents(r, in[1], (int) count(shape)));
            }
            b.addInputs(tensor);
        }
        int mutations = r.nextInt(5);
        for (int m = 0; m < mutations; m++) {
            mutateGrpc(r, b, t);
        }
        if (mutations == 0) {
            Map<String, Expected> inputs = new TreeMap<>();
            for (int i = 0; i < b.getInputsCount(); i++) {
                ModelInferRequest.InferInputTensor in = b.getInputs(i);
                inputs.put(in.getName(), new Expected(in.getDatatype(), in.getShapeList(), raw
                        ? canonicalBinary(in.getDatatype(), b.getRawInputContents(i).toByteArray())
                        : canonicalContents(in.getDatatype(), in.getContents())));
            }
            oracle.outputs = expectedOutputs(t.model(), inputs);
        }
        return b.build();
    }

    private static InferTensorContents typedContents(Random r, String datatype, int n) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        for (int i = 0; i < n; i++) {
            switch (datatype) {
                case "BOOL" -> c.addBoolContents(r.nextBoolean());
                case "INT8" -> c.addIntContents(r.nextInt(256) - 128);
                case "INT16" -> c.addIntContents(r.nextInt(65536) - 32768);
                case "INT32" -> c.addIntContents(r.nextInt());
                case "INT64" -> c.addInt64Contents(r.nextLong());
                case "UINT8" -> c.addUintContents(r.nextInt(256));
                case "FP32" -> c.addFp32Contents((float) r.nextGaussian() * 8);
                case "FP64" -> c.addFp64Contents(r.nextGaussian() * 8);
                case "BYTES" -> c.addBytesContents(ByteString.copyFromUtf8(bytesValue(r)));
                default -> c.addUint64Contents(r.nextLong());
            }
        }
        return c.build();
    }

    private static InferTensorContents randomContents(Random r) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(8)) {
                case 0 -> c.addBoolContents(r.nextBoolean());
                case 1 -> c.addIntContents(r.nextInt());
                case 2 -> c.addInt64Contents(r.nextLong());
                case 3 -> c.addUintContents(r.nextInt());
                case 4 -> c.addUint64Contents(r.nextLong());
                case 5 -> c.addFp32Contents(Float.intBitsToFloat(r.nextInt()));
                case 6 -> c.addFp64Contents(Double.longBitsToDouble(r.nextLong()));
                default -> c.addBytesContents(ByteString.copyFrom(randomBytes(r, r.nextInt(8))));
            }
        }
        return c.build();
    }

    private static InferParameter randomParameter(Random r) {
        InferParameter.Builder p = InferParameter.newBuilder();
        switch (r.nextInt(5)) {
            case 0 -> p.setBoolParam(r.nextBoolean());
            case 1 -> p.setInt64Param(pick(r, ODD_LONGS));
            case 2 -> p.setStringParam(pick(r, ODD_STRINGS));
            case 3 -> p.setDoubleParam(r.nextGaussian());
            default -> p.setUint64Param(r.nextLong());
        }
        return p.build();
    }

    private static void mutateGrpc(Random r, ModelInferRequest.Builder b, Target t) {
        int inputs = b.getInputsCount();
        int i = inputs == 0 ? -1 : r.nextInt(inputs);
        switch (r.nextInt(14)) {
            case 0 -> b.setModelName(pick(r, List.of("", "digits_mlp", "string_input", "all_types", "nope",
                    "\u00e9\u2603", "digits_mlp ", "x".repeat(3000))));
            case 1 -> b.setModelVersion(pick(r, List.of("", "1", "0", "2", "-1", "01", "latest", "9".repeat(30))));
            case 2 -> b.setId(randomText(r, r.nextInt(50)));
            case 3 -> {
                if (i >= 0) {
                    b.removeInputs(i);
                    if (i < b.getRawInputContentsCount()) {
                        List<ByteString> raw = new ArrayList<>(b.getRawInputContentsList());
                        raw.remove(i);
                        b.clearRawInputContents().addAllRawInputContents(raw);
                    }
                }
            }
            case 4 -> {
                if (i >= 0) {
                    b.addInputs(b.getInputs(i));
                    if (i < b.getRawInputContentsCount()) {
                        b.addRawInputContents(b.getRawInputContents(i));
                    }
                }
            }
            case 5 -> {
                if (i >= 0) {
                    b.setInputs(i, b.getInputs(i).toBuilder().setName(r.nextBoolean() ? pick(r, otherInputNames(t))
                            : pick(r, ODD_STRINGS)));
                }
            }
            case 6 -> {
                if (i >= 0) {
                    b.setInputs(i, b.getInputs(i).toBuilder().setDatatype(r.nextBoolean() ? pick(r, DATATYPES)
                            : pick(r, ODD_STRINGS)));
                }
            }
            case 7 -> {
                if (i >= 0) {
                    ModelInferRequest.InferInputTensor.Builder tb = b.getInputs(i).toBuilder().clearShape();
                    for (int d = 0, n = r.nextInt(20) == 0 ? 17 + r.nextInt(60) : r.nextInt(4); d < n; d++) {
                        tb.addShape(pick(r, ODD_LONGS));
                    }
                    b.setInputs(i, tb);
                }
            }
            case 8 -> {
                if (i >= 0) {
                    InferTensorContents.Builder c = b.getInputs(i).getContents().toBuilder();
                    c.mergeFrom(randomContents(r));
                    b.setInputs(i, b.getInputs(i).toBuilder().setContents(c));
                }
            }
            case 9 -> {
                if (i >= 0) {
                    b.setInputs(i, b.getInputs(i).toBuilder().clearContents());
                }
            }
            case 10 -> {
                int raw = b.getRawInputContentsCount();
                switch (r.nextInt(4)) {
                    case 0 -> b.addRawInputContents(ByteString.copyFrom(randomBytes(r, r.nextInt(64))));
                    case 1 -> {
                        if (raw > 0) {
                            List<ByteString> list = new ArrayList<>(b.getRawInputContentsList());
                            list.remove(r.nextInt(raw));
                            b.clearRawInputContents().addAllRawInputContents(list);
                        }
                    }
                    case 2 -> {
                        if (raw > 0) {
                            int k = r.nextInt(raw);
                            byte[] bytes = b.getRawInputContents(k).toByteArray();
                            if (bytes.length >= 4) {
                                // For BYTES the first word is a length prefix: make it lie.
                                int lie = switch (r.nextInt(4)) {
                                    case 0 -> -1;
                                    case 1 -> Integer.MAX_VALUE;
                                    case 2 -> bytes.length;
                                    default -> r.nextInt();
                                };
                                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
                                        .putInt(r.nextBoolean() ? 0 : r.nextInt(bytes.length / 4) * 4, lie);
                            } else {
                                bytes = randomBytes(r, r.nextInt(16));
                            }
                            b.setRawInputContents(k, ByteString.copyFrom(bytes));
                        }
                    }
                    default -> {
                        if (raw > 0) {
                            int k = r.nextInt(raw);
                            ByteString s = b.getRawInputContents(k);
                            b.setRawInputContents(k, s.substring(0, r.nextInt(s.size() + 1)));
                        }
                    }
                }
            }
            case 11 -> b.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                    .setName(r.nextBoolean() ? pick(r, outputNames(t)) : pick(r, ODD_STRINGS))
                    .putParameters("binary_data", randomParameter(r)));
            case 12 -> {
                if (i >= 0 && r.nextBoolean()) {
                    b.setInputs(i, b.getInputs(i).toBuilder().putParameters(
                            pick(r, List.of("binary_data_size", "content_type", randomText(r, 3))), randomParameter(r)));
                } else {
                    b.putParameters(pick(r, List.of("binary_data_output", "priority", "timeout", randomText(r, 3))),
                            randomParameter(r));
                }
            }
            default -> {
                // Typed contents alongside raw, or raw for only some inputs.
                if (i >= 0) {
                    if (b.getRawInputContentsCount() > 0) {
                        b.setInputs(i, b.getInputs(i).toBuilder().setContents(randomContents(r)));
                    } else {
                        b.addRawInputContents(ByteString.copyFrom(randomBytes(r, r.nextInt(32))));
                    }
                }
            }
        }
    }


    // ---- the oracle: what a valid request must produce, computed here ------------------------------------------

    /** From a valid REST request: its inputs as JSON data or, in order, as binary parts. */
    private static Map<String, Expected> expectedOutputs(Target t, ObjectNode root, List<byte[]> parts) {
        Map<String, Expected> inputs = new TreeMap<>();
        int part = 0;
        for (JsonNode in : root.path("inputs")) {
            String datatype = in.path("datatype").asText();
            List<Long> shape = new ArrayList<>();
            in.path("shape").forEach(d -> shape.add(d.asLong()));
            List<String> values = in.path("parameters").has("binary_data_size")
                    ? canonicalBinary(datatype, parts.get(part++)) : canonicalJson(datatype, in.path("data"));
            inputs.put(in.path("name").asText(), new Expected(datatype, shape, values));
        }
        return expectedOutputs(t.model(), inputs);
    }

    /**
     * all_types is one Identity per datatype: y_T equals x_T. string_input maps each animal
     * by the table it was built from (examples/models/README.md). digits_mlp has no oracle here
     * (the Python suites compare it with ONNX Runtime and scikit-learn).
     */
    private static Map<String, Expected> expectedOutputs(String model, Map<String, Expected> inputs) {
        Map<String, Expected> out = new TreeMap<>();
        switch (model) {
            case "all_types" -> inputs.forEach((name, tensor) -> out.put("y_" + name.substring(2), tensor));
            case "string_input" -> {
                Expected animal = inputs.get("animal");
                List<String> ids = new ArrayList<>();
                List<String> classes = new ArrayList<>();
                List<String> known = new ArrayList<>();
                for (String a : animal.values()) {
                    int id = ANIMALS.indexOf(a);
                    ids.add(String.valueOf(id));
                    classes.add(id < 0 ? "unknown" : id < 2 ? "mammal" : a);
                    known.add(String.valueOf(id >= 0));
                }
                out.put("animal_id", new Expected("INT64", animal.shape(), ids));
                out.put("animal_class", new Expected("BYTES", animal.shape(), classes));
                out.put("known", new Expected("BOOL", animal.shape(), known));
            }
            default -> {
                return null;
            }
        }
        return out;
    }

    private static List<String> canonicalJson(String datatype, JsonNode data) {
        List<String> values = new ArrayList<>();
        flattenJson(data, values, datatype);
        return values;
    }

    private static void flattenJson(JsonNode node, List<String> out, String datatype) {
        if (node.isArray()) {
            node.forEach(child -> flattenJson(child, out, datatype));
            return;
        }
        out.add(switch (datatype) {
            case "BOOL" -> String.valueOf(node.asBoolean());
            case "FP16", "FP32" -> Float.toString(node.isTextual() ? Float.parseFloat(node.asText())
                    : (float) node.asDouble());
            case "FP64" -> Double.toString(node.isTextual() ? Double.parseDouble(node.asText()) : node.asDouble());
            case "BYTES" -> node.asText();
            default -> node.bigIntegerValue().toString();
        });
    }

    private static List<String> canonicalBinary(String datatype, byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        List<String> values = new ArrayList<>();
        while (in.hasRemaining()) {
            values.add(switch (datatype) {
                case "BOOL" -> String.valueOf(in.get() != 0);
                case "INT8" -> String.valueOf(in.get());
                case "UINT8" -> String.valueOf(in.get() & 0xFF);
                case "INT16" -> String.valueOf(in.getShort());
                case "INT32" -> String.valueOf(in.getInt());
                case "INT64" -> String.valueOf(in.getLong());
                case "FP16" -> Float.toString(halfToFloat(in.getShort()));
                case "FP32" -> Float.toString(in.getFloat());
                case "FP64" -> Double.toString(in.getDouble());
                case "BYTES" -> {
                    byte[] e = new byte[in.getInt()];
                    in.get(e);
                    yield new String(e, StandardCharsets.UTF_8);
                }
                default -> throw new IllegalArgumentException(datatype);
            });
        }
        return values;
    }

    private static List<String> canonicalContents(String datatype, InferTensorContents c) {
        return switch (datatype) {
            case "BOOL" -> c.getBoolContentsList().stream().map(String::valueOf).toList();
            case "INT8", "INT16", "INT32" -> c.getIntContentsList().stream().map(String::valueOf).toList();
            case "INT64" -> c.getInt64ContentsList().stream().map(String::valueOf).toList();
            case "UINT8" -> c.getUintContentsList().stream().map(Integer::toUnsignedString).toList();
            case "FP32" -> c.getFp32ContentsList().stream().map(f -> Float.toString(f)).toList();
            case "FP64" -> c.getFp64ContentsList().stream().map(d -> Double.toString(d)).toList();
            case "BYTES" -> c.getBytesContentsList().stream().map(ByteString::toStringUtf8).toList();
            default -> throw new IllegalArgumentException(datatype + " has no typed contents");
        };
    }

    /** IEEE 754 binary16 to float, written out here rather than borrowed from the server's libraries. */
    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits >>> 15) << 31;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exponent == 31) {
            return mantissa != 0 ? Float.NaN : sign != 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    // ---- after the storm -------------------------------------------------------------------------------------

    /** digits_mlp still answers a valid REST and gRPC request with scikit-learn's predictions. */
    private void digitsStillCorrect() throws Exception {
        Target digits = target("digits_mlp");
        assertThat(digits.server().process().isAlive()).isTrue();
        JsonNode request = JSON.readTree(Files.readString(ServerProcess.MODELS.resolve("digits_mlp.request.json")));
        JsonNode expected = JSON.readTree(Files.readString(ServerProcess.MODELS.resolve("digits_mlp.expected.json")));
        List<Long> labels = new ArrayList<>();
        expected.path("label").forEach(v -> labels.add(v.asLong()));
        List<Double> probabilities = new ArrayList<>();
        expected.path("probabilities").forEach(row -> row.forEach(v -> probabilities.add(v.asDouble())));

        HttpResponse<byte[]> response = post(digits, "/infer", JSON.writeValueAsBytes(request), Map.of());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode outputs = JSON.readTree(response.body()).path("outputs");
        for (JsonNode o : outputs) {
            List<Double> got = new ArrayList<>();
            o.path("data").forEach(v -> got.add(v.asDouble()));
            if (o.path("name").asText().equals("label")) {
                assertThat(got.stream().map(Double::longValue).toList()).isEqualTo(labels);
            } else {
                assertThat(got).hasSameSizeAs(probabilities);
                for (int i = 0; i < got.size(); i++) {
                    assertThat(got.get(i)).isCloseTo(probabilities.get(i), within(1e-5));
                }
            }
        }
        assertThat(outputs).hasSize(2);

        JsonNode in = request.path("inputs").get(0);
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        in.path("data").forEach(v -> contents.addFp32Contents((float) v.asDouble()));
        ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
                .setName("input").setDatatype("FP32").setContents(contents);
        in.path("shape").forEach(d -> tensor.addShape(d.asLong()));
        ModelInferResponse grpc = GRPCInferenceServiceGrpc.newBlockingStub(channels.get("digits_mlp"))
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .modelInfer(ModelInferRequest.newBuilder().setModelName("digits_mlp").addInputs(tensor).build());
        // Answered in raw_output_contents, as Triton answers, typed contents in or not.
        assertThat(grpc.getRawOutputContentsCount()).isEqualTo(grpc.getOutputsCount());
        for (int n = 0; n < grpc.getOutputsCount(); n++) {
            java.nio.ByteBuffer raw = grpc.getRawOutputContents(n).asReadOnlyByteBuffer()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            if (grpc.getOutputs(n).getName().equals("label")) {
                List<Long> got = new ArrayList<>();
                while (raw.hasRemaining()) {
                    got.add(raw.getLong());
                }
                assertThat(got).isEqualTo(labels);
            } else {
                List<Float> got = new ArrayList<>();
                while (raw.hasRemaining()) {
                    got.add(raw.getFloat());
                }
                assertThat(got).hasSameSizeAs(probabilities);
                for (int i = 0; i < got.size(); i++) {
                    assertThat((double) got.get(i)).isCloseTo(probabilities.get(i), within(1e-5));
                }
            }
        }
    }

    // ---- small helpers -----------------------------------------------------------------------------------------

    private Target target(String model) {
        return targets.stream().filter(t -> t.model().equals(model)).findFirst().orElseThrow();
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static <T> T pick(Random r, List<T> list) {
        return list.get(r.nextInt(list.size()));
    }

    private static long pick(Random r, long[] values) {
        return values[r.nextInt(values.length)];
    }

    private static String randomText(Random r, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int kind = r.nextInt(10);
            if (kind < 6) {
                s.append((char) ('a' + r.nextInt(26)));
            } else if (kind < 8) {
                s.append((char) (0xA0 + r.nextInt(0x700)));
            } else if (kind < 9) {
                s.appendCodePoint(0x1F600 + r.nextInt(64));
            } else {
                s.append((char) r.nextInt(32));
            }
        }
        return s.toString();
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] insert(byte[] body, int at, byte[] what) {
        return concat(concat(Arrays.copyOf(body, at), what), Arrays.copyOfRange(body, at, body.length));
    }

    private static String describe(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        boolean printable = text.chars().allMatch(c -> c >= 0x20 && c != 0xFFFD || c == '\n' || c == '\t');
        return printable ? text : "base64:" + Base64.getEncoder().encodeToString(body);
    }

    private static String normalize(String message) {
        String m = message.replaceAll("(, got|, found) .*", "$1 _").replaceAll("'[^']*'", "'_'")
                .replaceAll("0x[0-9a-fA-F]+", "0xH").replaceAll("-?\\d+", "N").replaceAll("\\[.*\\]", "[_]");
        int limit = m.startsWith("malformed JSON") ? 45 : 90;
        return m.length() > limit ? m.substring(0, limit) : m;
    }

    private static String excerpt(String s) {
        return s.length() <= 600 ? s : s.substring(0, 600) + "... (" + s.length() + " chars)";
    }
}
