package dev.modelship.server.batching;

import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.model.Datatype;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.protocol.Tensor;
import dev.modelship.server.runtime.ModelRuntime;
import dev.modelship.server.runtime.RuntimeOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The batcher over a real ONNX Runtime session of examples/models/dynamic_batch.onnx (y = xW + b). */
class BatcherTest {

    private static ModelRuntime runtime;

    @BeforeAll
    static void load() {
        Path model = Path.of("../examples/models/dynamic_batch.onnx");
        assertThat(model).exists();
        runtime = new ModelRuntime(model, new RuntimeOptions(1, 1));
    }

    @AfterAll
    static void close() throws Exception {
        runtime.close();
    }

    private static Map<String, Tensor> rows(float... values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        b.flip();
        return Map.of("x", Tensor.ofBytes(Datatype.FP32, new long[] {values.length / 4, 4}, b));
    }

    private static float[] floats(Tensor t) {
        ByteBuffer b = t.data();
        float[] f = new float[b.remaining() / 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = b.getFloat(i * 4);
        }
        return f;
    }

    @Test
    void batchedResultsEqualUnbatchedRunsAndBatchesForm() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // A delay long enough that concurrent submissions share a batch.
        Batcher batcher = new Batcher(runtime::run,
                new Batcher.Settings(64, Duration.ofMillis(50), 1000, 1, true), new InferenceMetrics(registry, "m"));
        List<Map<String, Tensor>> requests = new ArrayList<>();
        List<CompletableFuture<Map<String, Tensor>>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int rows = 1 + i % 3;
            float[] v = new float[rows * 4];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) Math.sin(i * 31 + j);
            }
            requests.add(rows(v));
        }
        for (Map<String, Tensor> r : requests) {
            futures.add(batcher.submit(r, Set.of()));
        }
        for (int i = 0; i < requests.size(); i++) {
            Tensor batched = futures.get(i).get(10, TimeUnit.SECONDS).get("y");
            Tensor alone = runtime.run(requests.get(i), Set.of()).get("y");
            assertThat(batched.shape()).containsExactly(alone.shape());
            assertThat(floats(batched)).containsExactly(floats(alone));
        }
        double meanBatch = registry.get("modelship.inference.batch.size").summary().mean();
        assertThat(meanBatch).as("rows per ONNX Runtime call").isGreaterThan(2.0);
        batcher.close();
    }

    @Test
    void oneFailingRequestDoesNotFailTheOthersInItsBatch() throws Exception {
        // Fault injection: the model itself accepts every row, so a wrapper fails any run
        // that contains the poisoned value — the fault a real model shows on an input its
        // operators reject at run time (an index out of range, say).
        float poison = 12345f;
        Batcher.Runner faulty = (inputs, outputs) -> {
            for (float f : floats(inputs.get("x"))) {
                if (f == poison) {
                    throw new IllegalArgumentException("index out of range");
                }
            }
            return runtime.run(inputs, outputs);
        };
        Batcher batcher = new Batcher(faulty, new Batcher.Settings(64, Duration.ofMillis(50), 100, 1, true),
                new InferenceMetrics(new SimpleMeterRegistry(), "m"));
        CompletableFuture<Map<String, Tensor>> good1 = batcher.submit(rows(1, 2, 3, 4), Set.of());
        CompletableFuture<Map<String, Tensor>> bad = batcher.submit(rows(poison, 0, 0, 0), Set.of());
        CompletableFuture<Map<String, Tensor>> good2 = batcher.submit(rows(5, 6, 7, 8), Set.of());

        assertThat(floats(good1.get(10, TimeUnit.SECONDS).get("y")))
                .containsExactly(floats(runtime.run(rows(1, 2, 3, 4), Set.of()).get("y")));
        assertThat(floats(good2.get(10, TimeUnit.SECONDS).get("y")))
                .containsExactly(floats(runtime.run(rows(5, 6, 7, 8), Set.of()).get("y")));
        assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(InferenceException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("index out of range");
                });
        batcher.close();
    }

    @Test
    void aFullQueueRejectsAtOnceAndCloseFinishesWhatWasQueued() throws Exception {
        // Fault injection: a model run held open by a latch stands for a slow model,
        // so the test decides exactly when the queue is full.
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        Batcher.Runner slow = (inputs, outputs) -> {
            running.countDown();
            release.await();
            return runtime.run(inputs, outputs);
        };
        Batcher batcher = new Batcher(slow, new Batcher.Settings(1, Duration.ZERO, 2, 1, false),
                new InferenceMetrics(new SimpleMeterRegistry(), "m"));
        CompletableFuture<Map<String, Tensor>> first = batcher.submit(rows(1, 1, 1, 1), Set.of());
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Map<String, Tensor>> q1 = batcher.submit(rows(2, 2, 2, 2), Set.of());
        CompletableFuture<Map<String, Tensor>> q2 = batcher.submit(rows(3, 3, 3, 3), Set.of());
        assertThatThrownBy(() -> batcher.submit(rows(4, 4, 4, 4), Set.of()))
                .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.status()).isEqualTo(503))
                .hasMessageContaining("queue is full");

        release.countDown();
        Thread closer = new Thread(batcher::close);
        closer.start();
        for (CompletableFuture<Map<String, Tensor>> f : List.of(first, q1, q2)) {
            assertThat(f.get(10, TimeUnit.SECONDS)).containsKey("y");
        }
        closer.join(10_000);
        assertThatThrownBy(() -> batcher.submit(rows(5, 5, 5, 5), Set.of()))
                .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.status()).isEqualTo(503))
                .hasMessageContaining("shutting down");
    }

    @Test
    void rowsOfDifferentTrailingShapesAreNotStacked() throws Exception {
        assertThat(Files.exists(Path.of("../examples/models/dynamic_batch.onnx"))).isTrue();
        Tensor a = rows(1, 2, 3, 4).get("x");
        Tensor b = Tensor.ofBytes(Datatype.FP32, new long[] {1, 2},
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).flip());
        assertThat(a.sameRowShape(rows(5, 6, 7, 8, 9, 10, 11, 12).get("x"))).isTrue();
        assertThat(a.sameRowShape(b)).isFalse();
    }
}
