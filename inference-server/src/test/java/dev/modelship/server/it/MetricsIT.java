package dev.modelship.server.it;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** /metrics in Prometheus text format with the names ARCHITECTURE.md fixes, and counts that match what was sent. */
class MetricsIT {

    private static final String GOOD = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,4],"
            + "\"data\":[1,2,3,4,5,6,7,8]}]}";

    @Test
    void requestsAreCountedByOutcomeAndTimedInHistograms() throws Exception {
        try (ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("dynamic_batch.onnx"), Map.of())) {
            V2Client client = new V2Client(server.httpUrl());
            for (int i = 0; i < 5; i++) {
                assertThat(client.post("/v2/models/dynamic_batch/infer", GOOD).status()).isEqualTo(200);
            }
            for (int i = 0; i < 3; i++) {
                assertThat(client.post("/v2/models/dynamic_batch/infer", "{\"inputs\":[]}").status()).isEqualTo(400);
            }
            String text = client.get("/metrics").text();
            assertThat(value(text, "modelship_inference_requests_total", "outcome=\"success\"")).isEqualTo(5);
            assertThat(value(text, "modelship_inference_requests_total", "outcome=\"client_error\"")).isEqualTo(3);
            assertThat(value(text, "modelship_inference_request_duration_seconds_count", "protocol=\"rest\"")).isEqualTo(8);
            // Five runs of two rows each (one at a time, so no two share a batch) plus the warm-up is not counted.
            assertThat(value(text, "modelship_inference_batch_size_sum", "model=\"dynamic_batch\"")).isEqualTo(10);
            assertThat(value(text, "modelship_inference_compute_duration_seconds_count", "model=")).isEqualTo(5);
            assertThat(value(text, "modelship_inference_queue_duration_seconds_count", "model=")).isEqualTo(5);
            assertThat(value(text, "modelship_inference_in_flight_requests", "model=")).isEqualTo(0);
            assertThat(value(text, "modelship_model_info", "format=\"onnx\"")).isEqualTo(1);
            assertThat(value(text, "modelship_model_load_duration_seconds", "model=")).isPositive();
            // Histogram buckets from 100 µs to 10 s.
            assertThat(text).contains("modelship_inference_request_duration_seconds_bucket{model=\"dynamic_batch\","
                    + "protocol=\"rest\",le=\"1.0E-4\"}");
            assertThat(text).contains("le=\"10.0\"}");
            assertThat(text).contains("# TYPE modelship_inference_request_duration_seconds histogram");
        }
    }

    @Test
    void aFullQueueIsRejectedWith503AndCounted() throws Exception {
        // A queue of size 0 is always full: every request is turned away at once.
        try (ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("dynamic_batch.onnx"),
                Map.of("modelship.batching.max-queue-size", "0"))) {
            V2Client client = new V2Client(server.httpUrl());
            V2Client.Reply r = client.post("/v2/models/dynamic_batch/infer", GOOD);
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.json().get("error").asText()).contains("queue is full");
            assertThat(value(client.get("/metrics").text(), "modelship_inference_requests_total",
                    "outcome=\"rejected\"")).isEqualTo(1);
        }
    }

    /** The value of the one sample of {@code name} whose labels contain {@code label}. */
    static double value(String text, String name, String label) {
        Pattern p = Pattern.compile("^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE);
        Matcher m = p.matcher(text);
        Double found = null;
        while (m.find()) {
            if (m.group(1).contains(label)) {
                assertThat(found).as("one sample of " + name + " with " + label).isNull();
                found = Double.parseDouble(m.group(2));
            }
        }
        assertThat(found).as(name + "{" + label + "} in /metrics").isNotNull();
        return found;
    }
}
