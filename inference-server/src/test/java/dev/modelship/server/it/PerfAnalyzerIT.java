package dev.modelship.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

/**
 * Triton's load tool {@code perf_analyzer} (PyPI's {@code perf-analyzer}, installed by
 * {@code scripts/perf-analyzer.sh}) run unchanged against the packaged server on digits_mlp, over
 * HTTP with JSON tensors, HTTP with the binary tensor extension, and gRPC.
 *
 * <p>Each run sends a fixed number of requests ({@code --warmup-request-count} W, then
 * {@code --request-count} N); what perf_analyzer reports having sent (the warm-up count it prints
 * and the requests of its {@code --profile-export-file}) must be what the server counted, both in
 * Triton's statistics ({@code GET /v2/models/digits_mlp/stats}, before and after) and in the
 * Prometheus counter {@code modelship_inference_requests_total} of the protocol used. The answers
 * perf_analyzer recorded must be the model's: the labels scikit-learn predicts for the three
 * digits of {@code examples/models/digits_mlp.request.json} ({@code digits_mlp.expected.json}),
 * which are the input data perf_analyzer sends.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PerfAnalyzerIT {

    private static final String MODEL = "digits_mlp";
    private static final Path INSTALLER = ServerProcess.REPO.resolve("scripts/perf-analyzer.sh");
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);

    private ServerProcess server;
    private V2Client client;
    private Path perfAnalyzer;
    private Path work;
    private Path inputData;
    /** The digits perf_analyzer sends (64 pixels each), and scikit-learn's label and probabilities for each. */
    private final List<List<Double>> rows = new ArrayList<>();
    private final List<Long> labels = new ArrayList<>();
    private final List<List<Double>> probabilitiesOf = new ArrayList<>();

    @BeforeAll
    void setUp() throws Exception {
        perfAnalyzer = locatePerfAnalyzer();
        if (!Files.isExecutable(perfAnalyzer)) {
            fail(perfAnalyzer + " is missing: run bash scripts/perf-analyzer.sh (it installs Triton's perf_analyzer "
                    + "from PyPI with the Debian 13 libraries it needs)");
        }
        work = Files.createTempDirectory("perf-analyzer-it-");
        inputData = writeInputData();
        server = ServerProcess.start(ServerProcess.MODELS.resolve(MODEL + ".onnx"), Map.of());
        client = new V2Client(server.httpUrl());
    }

    @AfterAll
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
        if (work != null) {
            try (var files = Files.walk(work)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    @Test
    void httpWithJsonTensorsIsCountedAsSentAndAnsweredRight() throws Exception {
        Run run = perfAnalyzer("http-json", "rest", 1, 5, 60, "-i", "http", "-u", "127.0.0.1:" + server.httpPort,
                "--input-tensor-format=json", "--output-tensor-format=json");
        assertCountedByServer(run);
        assertAnswersAreTheModels(run);
        // perf_analyzer's server-side figures, from the statistics extension read around its window:
        // the measured requests. It reads the first figures as it starts sending, so with one request
        // at a time the first one may be under way then (its run counted, its answer not yet).
        for (String figure : List.of("Successful request count", "Inference count", "Execution count")) {
            assertThat(run.printed(figure)).as("perf_analyzer's server-side " + figure)
                    .isBetween(run.measured() - 1L, (long) run.measured());
        }
    }

    @Test
    void httpWithTheBinaryExtensionIsCountedAsSentAndAnsweredRight() throws Exception {
        Run run = perfAnalyzer("http-binary", "rest", 4, 10, 200, "-i", "http", "-u", "127.0.0.1:" + server.httpPort,
                "--input-tensor-format=binary", "--output-tensor-format=binary");
        assertCountedByServer(run);
        assertAnswersAreTheModels(run);
    }

    @Test
    void grpcIsCountedAsSentAndAnsweredRight() throws Exception {
        Run run = perfAnalyzer("grpc", "grpc", 4, 10, 200, "-i", "grpc", "-u", server.grpcTarget());
        assertCountedByServer(run);
        assertAnswersAreTheModels(run);
    }

    /**
     * Runs perf_analyzer at {@code concurrency} with {@code warmup} then {@code requests} requests
     * and the digits as input data, reading the server's statistics and metrics before and after;
     * {@code protocol} is the metrics' label for the connection perf_analyzer is given.
     */
    private Run perfAnalyzer(String name, String protocol, int concurrency, int warmup, int requests,
                             String... connection) throws Exception {
        Path export = work.resolve(name + ".export.json");
        Path stdout = work.resolve(name + ".stdout");
        Path stderr = work.resolve(name + ".stderr");
        List<String> cmd = new ArrayList<>(List.of(perfAnalyzer.toString(), "-m", MODEL));
        cmd.addAll(List.of(connection));
        cmd.addAll(List.of("--concurrency-range", Integer.toString(concurrency),
                "--warmup-request-count", Integer.toString(warmup), "--request-count", Integer.toString(requests),
                "--input-data", inputData.toString(), "--profile-export-file", export.toString()));

        JsonNode statsBefore = stats();
        String metricsBefore = client.get("/metrics").text();
        long started = System.currentTimeMillis();
        System.out.println("[perf_analyzer] " + String.join(" ", cmd));
        Process process = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!process.waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            fail("perf_analyzer did not finish within " + RUN_TIMEOUT + "; its output:\n" + Files.readString(stdout)
                    + Files.readString(stderr));
        }
        String out = Files.readString(stdout);
        String err = Files.readString(stderr);
        System.out.println(out.lines().map(l -> "[perf_analyzer] " + l).reduce((a, b) -> a + "\n" + b).orElse(""));
        assertThat(process.exitValue()).as("perf_analyzer's exit code; it said:\n" + out + err + serverLogTail()).isZero();
        assertThat(Files.exists(export)).as(export + " written").isTrue();

        // Read at once: the server counts a request before it answers it, so when perf_analyzer has
        // its last answer, the statistics and metrics hold every request it sent.
        JsonNode statsAfter = stats();
        String metricsAfter = client.get("/metrics").text();
        long read = System.currentTimeMillis();
        Run run = new Run(protocol, concurrency, warmup, requests, out, V2Client.JSON.readTree(export.toFile()),
                statsBefore, statsAfter, metricsBefore, metricsAfter, started, read);
        assertThat(err.lines().filter(l -> !l.isBlank()).toList()).as("perf_analyzer's stderr").isEmpty();
        assertThat(server.process().isAlive()).as("server alive after perf_analyzer").isTrue();
        assertThat(server.log().lines().filter(l -> l.contains(" ERROR ") || l.contains(" SEVERE ")).toList())
                .as("server log after perf_analyzer").isEmpty();
        return run;
    }

    /** One run of perf_analyzer: what was asked, what it said and wrote, the server's figures around it. */
    private record Run(String protocol, int concurrency, int warmup, int requests, String stdout, JsonNode export,
                       JsonNode statsBefore, JsonNode statsAfter, String metricsBefore, String metricsAfter,
                       long startedMillis, long readMillis) {

        /** The requests perf_analyzer measured: those of its profile export. */
        JsonNode measuredRequests() {
            JsonNode experiments = export.path("experiments");
            assertThat(experiments.size()).as("experiments in the profile export (one concurrency)").isEqualTo(1);
            assertThat(experiments.get(0).path("experiment").path("value").asInt()).as("its concurrency")
                    .isEqualTo(concurrency);
            return experiments.get(0).path("requests");
        }

        int measured() {
            return measuredRequests().size();
        }

        /** Warm-up requests perf_analyzer says it sent ("Sending W warmup requests"); 0 if none. */
        int warmupSent() {
            Matcher m = Pattern.compile("Sending (\\d+) warmup requests").matcher(stdout);
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        }

        /** A figure perf_analyzer printed, e.g. "Successful request count: 60". */
        long printed(String label) {
            Matcher m = Pattern.compile("^\\s*" + Pattern.quote(label) + ": (\\d+)$", Pattern.MULTILINE).matcher(stdout);
            assertThat(m.find()).as("'" + label + ": n' in perf_analyzer's output:\n" + stdout).isTrue();
            return Long.parseLong(m.group(1));
        }
    }

    private static void assertCountedByServer(Run run) {
        // What perf_analyzer reports having sent, from its own output.
        assertThat(run.warmupSent()).as("warm-up requests perf_analyzer says it sent").isEqualTo(run.warmup());
        assertThat(run.measured()).as("requests in perf_analyzer's profile export").isEqualTo(run.requests());
        for (JsonNode r : run.measuredRequests()) {
            assertThat(r.path("response_timestamps").size()).as("responses to one request").isEqualTo(1);
        }
        long sent = run.warmupSent() + run.measured();

        // Triton's statistics: every request one row (batch size 1), all successful.
        JsonNode before = modelStats(run.statsBefore());
        JsonNode after = modelStats(run.statsAfter());
        assertThat(delta(before, after, "inference_count")).as("inference_count delta").isEqualTo(sent);
        for (String kind : List.of("success", "queue", "compute_input", "compute_infer", "compute_output")) {
            assertThat(delta(before, after, "inference_stats", kind, "count")).as(kind + ".count delta")
                    .isEqualTo(sent);
            assertThat(delta(before, after, "inference_stats", kind, "ns")).as(kind + ".ns delta").isNotNegative();
        }
        assertThat(delta(before, after, "inference_stats", "success", "ns")).as("success.ns delta").isPositive();
        assertThat(delta(before, after, "inference_stats", "compute_infer", "ns")).as("compute_infer.ns delta")
                .isPositive();
        assertThat(delta(before, after, "inference_stats", "fail", "count")).as("fail.count delta").isZero();
        // Executions are batches: as many as batch_stats counts, holding every row once.
        long executions = delta(before, after, "execution_count");
        Map<Long, Long> batchesBefore = batches(before);
        long batchCount = 0;
        long batchRows = 0;
        for (Map.Entry<Long, Long> e : batches(after).entrySet()) {
            long n = e.getValue() - batchesBefore.getOrDefault(e.getKey(), 0L);
            batchCount += n;
            batchRows += n * e.getKey();
        }
        assertThat(executions).as("execution_count delta").isBetween(1L, sent).isEqualTo(batchCount);
        assertThat(batchRows).as("rows in batch_stats' batches").isEqualTo(sent);
        if (run.concurrency() == 1) {
            assertThat(executions).as("executions, one request at a time").isEqualTo(sent);
        }
        assertThat(after.path("last_inference").asLong()).as("last_inference (ms since the epoch)")
                .isBetween(run.startedMillis(), run.readMillis());

        // Prometheus: the protocol used counted them all as successes, the other none.
        String other = run.protocol().equals("rest") ? "grpc" : "rest";
        assertThat(counterDelta(run.metricsBefore(), run.metricsAfter(), run.protocol(), "success"))
                .as("modelship_inference_requests_total{protocol=\"" + run.protocol() + "\",outcome=\"success\"} delta")
                .isEqualTo(sent);
        assertThat(counterDelta(run.metricsBefore(), run.metricsAfter(), other, "success"))
                .as("modelship_inference_requests_total{protocol=\"" + other + "\",outcome=\"success\"} delta")
                .isZero();
    }

    /** Each answer perf_analyzer recorded is the one scikit-learn gives the digit it sent. */
    private void assertAnswersAreTheModels(Run run) {
        List<Integer> seen = new ArrayList<>();
        for (JsonNode r : run.measuredRequests()) {
            List<Double> sent = new ArrayList<>();
            r.path("request_inputs").path("input").forEach(v -> sent.add(v.asDouble()));
            int row = rows.indexOf(sent);
            assertThat(row).as("input perf_analyzer recorded is one of the digits: " + sent).isNotNegative();
            seen.add(row);
            JsonNode answer = r.path("response_outputs").get(0);
            assertThat(answer).as("response_outputs of a request: " + r.path("response_outputs")).isNotNull();
            assertThat(answer.path("label").asLong()).as("label for digit " + row).isEqualTo(labels.get(row));
            JsonNode probabilities = answer.path("probabilities");
            assertThat(probabilities.size()).as("probabilities for digit " + row).isEqualTo(probabilitiesOf.get(row).size());
            for (int k = 0; k < probabilities.size(); k++) {
                assertThat(probabilities.get(k).asDouble()).as("probability " + k + " for digit " + row)
                        .isCloseTo(probabilitiesOf.get(row).get(k), within(1e-5));
            }
        }
        // perf_analyzer takes the digits in turn: every one was sent.
        assertThat(seen).as("digits sent").containsAll(IntStream.range(0, rows.size()).boxed().toList());
    }

    private static long counterDelta(String before, String after, String protocol, String outcome) {
        Map<String, String> labels = Map.of("model", MODEL, "protocol", protocol, "outcome", outcome);
        return Math.round(sample(after, "modelship_inference_requests_total", labels)
                - sample(before, "modelship_inference_requests_total", labels));
    }

    /** The one model_stats entry, for digits_mlp. */
    private static JsonNode modelStats(JsonNode stats) {
        JsonNode list = stats.path("model_stats");
        assertThat(list.size()).as("model_stats entries in " + stats).isEqualTo(1);
        assertThat(list.get(0).path("name").asText()).isEqualTo(MODEL);
        return list.get(0);
    }

    private static long delta(JsonNode before, JsonNode after, String... path) {
        return number(after, path) - number(before, path);
    }

    private static long number(JsonNode node, String... path) {
        JsonNode n = node;
        for (String p : path) {
            n = n.path(p);
        }
        assertThat(n.isNumber() || n.isTextual()).as(String.join(".", path) + " in " + node).isTrue();
        return n.asLong();
    }

    /** batch_stats: batch size -> executions of that size (compute_infer.count). */
    private static Map<Long, Long> batches(JsonNode modelStats) {
        Map<Long, Long> m = new HashMap<>();
        for (JsonNode b : modelStats.path("batch_stats")) {
            m.put(b.path("batch_size").asLong(), b.path("compute_infer").path("count").asLong());
        }
        return m;
    }

    /** The value of the sample of {@code name} having all {@code labels}; 0 when there is none yet. */
    static double sample(String text, String name, Map<String, String> labels) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
                .matcher(text);
        Double found = null;
        while (m.find()) {
            String set = "," + m.group(1) + ",";
            if (labels.entrySet().stream().allMatch(e -> set.contains("," + e.getKey() + "=\"" + e.getValue() + "\","))) {
                assertThat(found).as("one sample of " + name + labels).isNull();
                found = Double.parseDouble(m.group(2));
            }
        }
        return found == null ? 0 : found;
    }

    private JsonNode stats() throws IOException, InterruptedException {
        V2Client.Reply r = client.get("/v2/models/" + MODEL + "/stats");
        assertThat(r.status()).as("GET /v2/models/" + MODEL + "/stats: " + r.text()).isEqualTo(200);
        return r.json();
    }

    /**
     * perf_analyzer's input data file: the digits of digits_mlp.request.json, one per request in
     * turn ({"data": [{"input": [64 values]}, ...]}); remembers each with its expected label.
     */
    private Path writeInputData() throws IOException {
        JsonNode request = V2Client.JSON.readTree(ServerProcess.MODELS.resolve(MODEL + ".request.json").toFile());
        JsonNode expected = V2Client.JSON.readTree(ServerProcess.MODELS.resolve(MODEL + ".expected.json").toFile());
        JsonNode input = request.path("inputs").get(0);
        int count = input.path("shape").get(0).asInt();
        int width = input.path("shape").get(1).asInt();
        ObjectNode file = V2Client.JSON.createObjectNode();
        ArrayNode data = file.putArray("data");
        for (int i = 0; i < count; i++) {
            List<Double> row = new ArrayList<>();
            ArrayNode values = data.addObject().putArray(input.path("name").asText());
            for (int j = 0; j < width; j++) {
                double v = input.path("data").get(i * width + j).asDouble();
                row.add(v);
                values.add(v);
            }
            rows.add(row);
            labels.add(expected.path("label").get(i).asLong());
            List<Double> probabilities = new ArrayList<>();
            expected.path("probabilities").get(i).forEach(v -> probabilities.add(v.asDouble()));
            probabilitiesOf.add(probabilities);
        }
        assertThat(rows).as("digits in " + MODEL + ".request.json").hasSizeGreaterThan(1);
        Path path = work.resolve("digits.json");
        V2Client.JSON.writeValue(path.toFile(), file);
        return path;
    }

    private String serverLogTail() {
        try {
            String log = server.log();
            return "\n--- server log, last 3000 chars ---\n" + log.substring(Math.max(0, log.length() - 3000));
        } catch (IOException e) {
            return "\n(no server log: " + e + ")";
        }
    }

    /**
     * Where scripts/perf-analyzer.sh puts the tool: $MODELSHIP_TOOLS (default
     * ~/.local/share/modelship)/perf-analyzer-&lt;the version the script pins&gt;/bin/perf_analyzer.
     */
    private static Path locatePerfAnalyzer() throws IOException {
        Matcher m = Pattern.compile("^version=(\\S+)$", Pattern.MULTILINE).matcher(Files.readString(INSTALLER));
        if (!m.find()) {
            fail("no version=... line in " + INSTALLER);
        }
        String tools = System.getenv("MODELSHIP_TOOLS");
        Path root = tools != null && !tools.isEmpty() ? Path.of(tools)
                : Path.of(System.getProperty("user.home"), ".local/share/modelship");
        return root.resolve("perf-analyzer-" + m.group(1)).resolve("bin/perf_analyzer");
    }
}
