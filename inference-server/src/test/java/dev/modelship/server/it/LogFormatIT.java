package dev.modelship.server.it;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** MODELSHIP_LOG_FORMAT as a pod sets it: in the packaged server's environment. */
class LogFormatIT {

    private static final Path MODEL = ServerProcess.MODELS.resolve("digits_mlp.onnx");

    /** Strict: a line is JSON only if all of it is one object (no "19" read off "19:32:23.116 ..."). */
    private static final ObjectReader JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build().reader();

    @TempDir
    Path tmp;

    @Test
    void jsonWritesEveryLineOfAServersLifeAsOneObject() throws Exception {
        Instant before = Instant.now();
        List<String> lines;
        try (ServerProcess server = ServerProcess.launch(MODEL, Map.of(), environment("json"))) {
            server.awaitReady(Duration.ofSeconds(60));
            server.terminate(Duration.ofSeconds(30));
            lines = server.log().lines().toList();
        }
        Instant after = Instant.now();

        List<JsonNode> records = parseEach(lines, before, after);
        assertThat(records).anySatisfy(r -> {
            assertThat(r.path("level").asText()).isEqualTo("INFO");
            assertThat(r.path("loggerName").asText()).isEqualTo("dev.modelship.server.InferenceService");
            assertThat(r.path("message").asText()).startsWith("serving model 'digits_mlp' from " + MODEL);
        });
    }

    @Test
    void jsonPutsTheStackTraceOnTheLineOfTheFailure() throws Exception {
        Path broken = tmp.resolve("broken.onnx");
        Files.writeString(broken, "not a model");
        Instant before = Instant.now();
        List<String> lines;
        try (ServerProcess server = ServerProcess.launch(broken, Map.of(), environment("json"))) {
            assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).as("the server stops").isTrue();
            assertThat(server.process().exitValue()).isNotZero();
            lines = server.log().lines().toList();
        }
        Instant after = Instant.now();

        List<JsonNode> errors = parseEach(lines, before, after).stream()
                .filter(r -> r.path("level").asText().equals("ERROR")).toList();
        assertThat(errors).as(String.join("\n", lines)).hasSize(1);
        JsonNode failure = errors.get(0);
        assertThat(failure.path("message").asText()).isEqualTo("Failed to start application");
        assertThat(failure.path("stackTrace").asText())
                .contains("Caused by: dev.modelship.server.model.ModelLoadException: ONNX Runtime cannot load " + broken)
                .contains("\n\tat dev.modelship.server.InferenceService.onStart(");
    }

    @Test
    void textIsTheDefaultAndNoneOfItsLinesIsJson() throws Exception {
        for (String format : new String[] {null, "text"}) {
            List<String> lines;
            try (ServerProcess server = ServerProcess.launch(MODEL, Map.of(), environment(format))) {
                server.awaitReady(Duration.ofSeconds(60));
                server.terminate(Duration.ofSeconds(30));
                lines = server.log().lines().toList();
            }

            assertThat(lines).as("MODELSHIP_LOG_FORMAT=" + format).isNotEmpty()
                    .allSatisfy(line -> assertThat(jsonObject(line)).isEmpty())
                    .anySatisfy(line -> assertThat(line).matches(
                            "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[d\\.m\\.s\\.InferenceService] serving model 'digits_mlp' .*"));
        }
    }

    @Test
    void anyOtherValueStopsTheServerAtStartNamingTheVariable() throws Exception {
        for (String format : new String[] {"bogus", "JSON"}) {
            try (ServerProcess server = ServerProcess.launch(MODEL, Map.of(), environment(format))) {
                assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).as("the server stops").isTrue();
                assertThat(server.process().exitValue()).isNotZero();
                assertThat(server.log()).contains("MODELSHIP_LOG_FORMAT." + format).doesNotContain("serving model");
            }
        }
    }

    /** The variable as given (null: unset); without the JVM's "Picked up ..." notes, which are not log lines. */
    private static Map<String, String> environment(String logFormat) {
        Map<String, String> env = new HashMap<>();
        env.put("MODELSHIP_LOG_FORMAT", logFormat);
        env.put("JAVA_TOOL_OPTIONS", null);
        env.put("JDK_JAVA_OPTIONS", null);
        return env;
    }

    /** Every line as a JSON object with the keys an aggregator reads, logged between the two instants. */
    private static List<JsonNode> parseEach(List<String> lines, Instant before, Instant after) {
        assertThat(lines).isNotEmpty();
        List<JsonNode> records = new ArrayList<>();
        for (String line : lines) {
            JsonNode r = jsonObject(line).orElseThrow(() -> new AssertionError("not a JSON object: " + line));
            assertThat(OffsetDateTime.parse(r.path("timestamp").asText()).toInstant()).isBetween(before, after);
            assertThat(r.path("level").asText()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");
            assertThat(r.path("loggerName").asText()).isNotBlank();
            assertThat(r.path("threadName").asText()).isNotBlank();
            assertThat(r.path("message").isTextual()).as(line).isTrue();
            records.add(r);
        }
        return records;
    }

    private static Optional<JsonNode> jsonObject(String line) {
        try {
            JsonNode node = JSON.readTree(line);
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (JsonProcessingException notJson) {
            return Optional.empty();
        }
    }
}
