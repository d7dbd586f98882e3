package dev.modelship.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** SIGTERM: requests already received are answered in full; none is lost. */
class ShutdownIT {

    @Test
    void requestsInFlightAtSigtermAllComplete() throws Exception {
        // A long batching delay holds every request in the server's queue, so all of them
        // are certainly in flight when SIGTERM arrives.
        ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("dynamic_batch.onnx"),
                Map.of("modelship.batching.max-queue-delay", "1500ms", "modelship.batching.max-batch-size", "1000"));
        V2Client client = new V2Client(server.httpUrl());
        String body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}";
        JsonNode reference = client.post("/v2/models/dynamic_batch/infer", body).json().get("outputs");

        int n = 24;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<CompletableFuture<V2Client.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            replies.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return new V2Client(server.httpUrl()).post("/v2/models/dynamic_batch/infer", body);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, pool));
        }
        awaitInFlight(client, n);
        int exit = server.terminate(Duration.ofSeconds(40));

        for (CompletableFuture<V2Client.Reply> f : replies) {
            V2Client.Reply r = f.get(10, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("outputs")).isEqualTo(reference);
        }
        assertThat(exit).as("exit code after SIGTERM (0, or 143 = killed by the signal after a clean stop)")
                .isIn(0, 143);
        assertThat(server.log()).doesNotContain("ERROR");
        pool.shutdownNow();
    }

    /**
     * The drain a rolling update relies on: from SIGTERM, for modelship.shutdown.drain, the server
     * still answers every request, says it is not ready, and closes each HTTP connection after
     * its response, so that keep-alive clients reconnect (to a pod that stays).
     */
    @Test
    void duringTheDrainRequestsAreAnsweredAndEachConnectionIsClosed() throws Exception {
        ServerProcess server = ServerProcess.start(ServerProcess.MODELS.resolve("dynamic_batch.onnx"),
                Map.of("modelship.shutdown.drain", "4s"));
        V2Client client = new V2Client(server.httpUrl());
        String body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}";
        V2Client.Reply before = client.post("/v2/models/dynamic_batch/infer", body);
        assertThat(before.status()).isEqualTo(200);
        assertThat(before.raw().headers().firstValue("connection")).isEmpty();

        long sigterm = System.nanoTime();
        server.process().destroy();
        V2Client.Reply draining = null;
        V2Client.Reply ready = null;
        while (System.nanoTime() - sigterm < TimeUnit.SECONDS.toNanos(3)) {
            ready = client.get("/v2/health/ready");
            draining = client.post("/v2/models/dynamic_batch/infer", body);
            if (ready.status() == 503) {
                break;
            }
            Thread.sleep(20);
        }
        assertThat(ready.status()).as("readiness while draining").isEqualTo(503);
        assertThat(draining.status()).isEqualTo(200);
        assertThat(draining.json().get("outputs")).isEqualTo(before.json().get("outputs"));
        assertThat(draining.raw().headers().firstValue("connection")).hasValue("close");
        assertThat(server.process().waitFor(40, TimeUnit.SECONDS)).isTrue();
        assertThat(server.log()).contains("draining").doesNotContain("ERROR");
    }

    private static void awaitInFlight(V2Client client, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            double inFlight = MetricsIT.value(client.get("/metrics").text(), "modelship_inference_in_flight_requests",
                    "model=");
            if (inFlight >= n) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("requests never reached the server");
    }
}
