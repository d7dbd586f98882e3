package dev.modelship.server.batching;

import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.model.Datatype;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.protocol.Tensor;
import dev.modelship.server.runtime.ModelRuntime;
import dev.modelship.server.runtime.RuntimeOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The batcher over a real ONNX Runtime session of examples/models/dynamic_batch.onnx (y = xW + b). */
class BatcherTest {

    private static ModelRuntime runtime;
    /** Event loops to submit from, as both protocol adapters do. */
    private static Vertx vertx;

    @BeforeAll
    static void load() {
        Path model = Path.of("../examples/models/dynamic_batch.onnx");
        assertThat(model).exists();
        runtime = new ModelRuntime(model, new RuntimeOptions(1, 1));
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void close() throws Exception {
        runtime.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
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
        Batcher batcher = new Batcher(runtime::runTimed,
                new Batcher.Settings(64, Duration.ofMillis(50), 1000, 1, true), new InferenceMetrics(registry, "m"));
        List<Map<String, Tensor>> requests = new ArrayList<>();
        List<CompletableFuture<Batcher.Answer>> futures = new ArrayList<>();
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
            Tensor batched = futures.get(i).get(10, TimeUnit.SECONDS).outputs().get("y");
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
            return runtime.runTimed(inputs, outputs);
        };
        Batcher batcher = new Batcher(faulty, new Batcher.Settings(64, Duration.ofMillis(50), 100, 1, true),
                new InferenceMetrics(new SimpleMeterRegistry(), "m"));
        CompletableFuture<Batcher.Answer> good1 = batcher.submit(rows(1, 2, 3, 4), Set.of());
        CompletableFuture<Batcher.Answer> bad = batcher.submit(rows(poison, 0, 0, 0), Set.of());
        CompletableFuture<Batcher.Answer> good2 = batcher.submit(rows(5, 6, 7, 8), Set.of());

        assertThat(floats(good1.get(10, TimeUnit.SECONDS).outputs().get("y")))
                .containsExactly(floats(runtime.run(rows(1, 2, 3, 4), Set.of()).get("y")));
        assertThat(floats(good2.get(10, TimeUnit.SECONDS).outputs().get("y")))
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
            return runtime.runTimed(inputs, outputs);
        };
        Batcher batcher = new Batcher(slow, new Batcher.Settings(1, Duration.ZERO, 2, 1, false),
                new InferenceMetrics(new SimpleMeterRegistry(), "m"));
        CompletableFuture<Batcher.Answer> first = batcher.submit(rows(1, 1, 1, 1), Set.of());
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Batcher.Answer> q1 = batcher.submit(rows(2, 2, 2, 2), Set.of());
        CompletableFuture<Batcher.Answer> q2 = batcher.submit(rows(3, 3, 3, 3), Set.of());
        assertThatThrownBy(() -> batcher.submit(rows(4, 4, 4, 4), Set.of()))
                .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.status()).isEqualTo(503))
                .hasMessageContaining("queue is full");

        release.countDown();
        Thread closer = new Thread(batcher::close);
        closer.start();
        for (CompletableFuture<Batcher.Answer> f : List.of(first, q1, q2)) {
            assertThat(f.get(10, TimeUnit.SECONDS).outputs()).containsKey("y");
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

    // ---- poisoned batches: every request is answered, and the worker goes on

    private static final float HOLD = -777f;
    private static final float POISON = 12345f;

    /**
     * Fault injection over the real model. A run containing {@link #HOLD} waits until
     * {@link #release()}, so the requests submitted meanwhile queue up and then form one
     * batch; a run containing {@link #POISON} throws the fault. Records each run's rows.
     */
    private static final class FaultyModel implements Batcher.Runner {
        final List<Long> runs = Collections.synchronizedList(new ArrayList<>());
        final List<String> threads = Collections.synchronizedList(new ArrayList<>());
        private final Supplier<Throwable> fault;
        private final CountDownLatch holding = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        FaultyModel(Supplier<Throwable> fault) {
            this.fault = fault;
        }

        /** Holds on {@link #HOLD}; never sent {@link #POISON}. */
        static FaultyModel healthy() {
            return new FaultyModel(() -> new AssertionError("not poisoned"));
        }

        @Override
        public ModelRuntime.Run run(Map<String, Tensor> inputs, Set<String> outputs) throws Exception {
            Tensor x = inputs.get("x");
            runs.add(x.rows());
            threads.add(Thread.currentThread().getName());
            List<Float> values = new ArrayList<>();
            for (float f : floats(x)) {
                values.add(f);
            }
            if (values.contains(HOLD)) {
                holding.countDown();
                assertThat(released.await(10, TimeUnit.SECONDS)).isTrue();
            }
            if (values.contains(POISON)) {
                Throwable t = fault.get();
                if (t instanceof Error e) {
                    throw e;
                }
                throw (Exception) t;
            }
            return runtime.runTimed(inputs, outputs);
        }

        /** Submits a request that occupies the only worker until {@link #release()}. */
        CompletableFuture<Batcher.Answer> hold(Batcher batcher) throws InterruptedException {
            CompletableFuture<Batcher.Answer> held = batcher.submit(rows(HOLD, 0, 0, 0), Set.of());
            assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
            return held;
        }

        void release() {
            released.countDown();
        }
    }

    private static Batcher batcher(Batcher.Runner runner) {
        // One worker and no queue delay: after the held request, everything queued that
        // stacks is taken as one batch at once.
        return new Batcher(runner, new Batcher.Settings(64, Duration.ZERO, 100, 1, true),
                new InferenceMetrics(new SimpleMeterRegistry(), "m"));
    }

    private static void assertAnswered(CompletableFuture<Batcher.Answer> future, Map<String, Tensor> request)
            throws Exception {
        assertThat(floats(future.get(10, TimeUnit.SECONDS).outputs().get("y")))
                .containsExactly(floats(runtime.run(request, Set.of()).get("y")));
    }

    private static void assertFailed(CompletableFuture<Batcher.Answer> future, int status, String message) {
        assertThatThrownBy(() -> future.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(InferenceException.class, e -> {
                    assertThat(e.status()).isEqualTo(status);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                // An exception from the runner is ONNX Runtime refusing this input: the client's fault.
                arguments(named("an exception", (Supplier<Throwable>) () -> new IllegalStateException("bad input")),
                        400, "bad input"),
                arguments(named("a StackOverflowError", (Supplier<Throwable>) StackOverflowError::new),
                        500, "StackOverflowError"),
                arguments(named("an AssertionError", (Supplier<Throwable>) () -> new AssertionError("broken")),
                        500, "broken"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void aBatchWhoseRunThrowsAnswersEveryRequestAloneAndTheWorkerGoesOn(Supplier<Throwable> fault, int status,
                                                                          String message) throws Exception {
        FaultyModel model = new FaultyModel(fault);
        Batcher batcher = batcher(model);
        CompletableFuture<Batcher.Answer> held = model.hold(batcher);
        Map<String, Tensor> good = rows(1, 2, 3, 4);
        CompletableFuture<Batcher.Answer> bad1 = batcher.submit(rows(POISON, 0, 0, 0), Set.of());
        CompletableFuture<Batcher.Answer> good1 = batcher.submit(good, Set.of());
        CompletableFuture<Batcher.Answer> bad2 = batcher.submit(rows(0, 0, 0, 0, 0, POISON, 0, 0), Set.of());
        model.release();

        assertAnswered(held, rows(HOLD, 0, 0, 0));
        assertFailed(bad1, status, message);
        assertAnswered(good1, good);
        assertFailed(bad2, status, message);
        // The held request alone, the other three as one batch of 4 rows, then each alone.
        assertThat(model.runs).containsExactly(1L, 4L, 1L, 1L, 2L);

        Map<String, Tensor> after = rows(5, 6, 7, 8);
        assertAnswered(batcher.submit(after, Set.of()), after);
        batcher.close();
    }

    @Test
    void aBatchWhoseInputsCannotBeStackedIsRunRequestByRequest() throws Exception {
        // Valid alone, as they hold no element; stacked, the shape's element count
        // (2 × 2^62 × 0) overflows before the zero is reached.
        Map<String, Tensor> empty = Map.of("x",
                Tensor.ofBytes(Datatype.FP32, new long[] {1, 1L << 62, 0}, ByteBuffer.allocateDirect(0)));
        assertThatThrownBy(() -> Tensor.concatRows(List.of(empty.get("x"), empty.get("x"))))
                .isInstanceOf(ArithmeticException.class);
        FaultyModel model = FaultyModel.healthy();
        Batcher batcher = batcher(model);
        CompletableFuture<Batcher.Answer> held = model.hold(batcher);
        CompletableFuture<Batcher.Answer> first = batcher.submit(empty, Set.of());
        CompletableFuture<Batcher.Answer> second = batcher.submit(empty, Set.of());
        model.release();

        assertAnswered(held, rows(HOLD, 0, 0, 0));
        // Each reaches the model alone, which refuses a 3-d input: the client's fault.
        assertFailed(first, 400, "the model could not run on this input");
        assertFailed(second, 400, "the model could not run on this input");
        assertThat(model.runs).containsExactly(1L, 1L, 1L);

        Map<String, Tensor> after = rows(5, 6, 7, 8);
        assertAnswered(batcher.submit(after, Set.of()), after);
        batcher.close();
    }

    @Test
    void aBatchWhoseOutputsCannotBeSplitIsRunRequestByRequest() throws Exception {
        FaultyModel model = FaultyModel.healthy();
        // A runner bug: batched, it adds an output without a name, which the split's
        // lookup in the requested outputs (an immutable Set.of) refuses with an NPE.
        Batcher.Runner unnamedOutput = (inputs, outputs) -> {
            Map<String, Tensor> out = new LinkedHashMap<>(model.run(inputs, outputs).outputs());
            if (inputs.get("x").rows() > 1) {
                out.put(null, out.get("y"));
            }
            return new ModelRuntime.Run(out, 0, 0, 0);
        };
        Batcher batcher = batcher(unnamedOutput);
        CompletableFuture<Batcher.Answer> held = model.hold(batcher);
        Map<String, Tensor> a = rows(1, 2, 3, 4);
        Map<String, Tensor> b = rows(5, 6, 7, 8);
        CompletableFuture<Batcher.Answer> fa = batcher.submit(a, Set.of("y"));
        CompletableFuture<Batcher.Answer> fb = batcher.submit(b, Set.of("y"));
        model.release();

        assertAnswered(held, rows(HOLD, 0, 0, 0));
        assertAnswered(fa, a);
        assertAnswered(fb, b);
        assertThat(model.runs).containsExactly(1L, 2L, 1L, 1L);

        Map<String, Tensor> after = rows(9, 10, 11, 12);
        assertAnswered(batcher.submit(after, Set.of("y")), after);
        batcher.close();
    }

    @Test
    void outOfMemoryAnswersEveryRequestThenRefusesAllUntilARestart() throws Exception {
        FaultyModel model = new FaultyModel(() -> new OutOfMemoryError("injected"));
        Batcher batcher = batcher(model);
        CompletableFuture<Batcher.Answer> held = model.hold(batcher);
        CompletableFuture<Batcher.Answer> bad1 = batcher.submit(rows(POISON, 0, 0, 0), Set.of());
        CompletableFuture<Batcher.Answer> bad2 = batcher.submit(rows(0, POISON, 0, 0), Set.of());
        // Two columns do not stack with four: still queued when the batch above fails.
        CompletableFuture<Batcher.Answer> queued = batcher.submit(Map.of("x", Tensor.ofBytes(Datatype.FP32,
                new long[] {1, 2}, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN))), Set.of());
        model.release();

        assertAnswered(held, rows(HOLD, 0, 0, 0));
        assertFailed(bad1, 500, "OutOfMemoryError: injected");
        assertFailed(bad2, 500, "OutOfMemoryError: injected");
        assertFailed(queued, 503, "needs a restart");
        assertThat(batcher.serving()).isFalse();
        assertThatThrownBy(() -> batcher.submit(rows(5, 6, 7, 8), Set.of()))
                .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.status()).isEqualTo(503))
                .hasMessageContaining("needs a restart");
        assertThat(model.runs).containsExactly(1L, 2L);
        batcher.close();
    }

    @Test
    void aRequestSubmittedOnAVertxEventLoopIsAnsweredThereNotOnTheBatchWorker() throws Exception {
        // Both protocol adapters submit from a Vert.x event loop and chain their encoding
        // to the future: whichever thread completes it runs that encoding.
        Batcher batcher = batcher(runtime::runTimed);
        try {
            CompletableFuture<String> answeredOn = new CompletableFuture<>();
            CompletableFuture<String> failedOn = new CompletableFuture<>();
            CompletableFuture<String> submittedOn = new CompletableFuture<>();
            vertx.getOrCreateContext().runOnContext(v -> {
                submittedOn.complete(Thread.currentThread().getName());
                batcher.submit(rows(1, 2, 3, 4), Set.of())
                        .whenComplete((out, e) -> answeredOn.complete(e == null ? Thread.currentThread().getName()
                                : "failed: " + e));
                // Two columns where the model takes four: ONNX Runtime refuses it.
                batcher.submit(Map.of("x", Tensor.ofBytes(Datatype.FP32, new long[] {1, 2},
                                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN))), Set.of())
                        .whenComplete((out, e) -> failedOn.complete(e != null ? Thread.currentThread().getName()
                                : "answered"));
            });
            String eventLoop = submittedOn.get(10, TimeUnit.SECONDS);
            assertThat(eventLoop).startsWith("vert.x-eventloop-thread-");
            assertThat(answeredOn.get(10, TimeUnit.SECONDS)).isEqualTo(eventLoop);
            assertThat(failedOn.get(10, TimeUnit.SECONDS)).isEqualTo(eventLoop);
        } finally {
            batcher.close();
        }
    }

    /** Waits well past the idle time after which a caller may run its own request. */
    private static void idle() throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(5 * Batcher.CALLER_RUNS_AFTER_IDLE_NANOS);
    }

    /** Submits on the Vert.x context, as both protocol adapters do from the event loop that read the request. */
    private static CompletableFuture<Batcher.Answer> submitOn(Context context, Batcher batcher,
                                                              Map<String, Tensor> inputs) {
        CompletableFuture<CompletableFuture<Batcher.Answer>> submitted = new CompletableFuture<>();
        context.runOnContext(v -> submitted.complete(batcher.submit(inputs, Set.of())));
        return submitted.thenCompose(f -> f);
    }

    @Test
    void anIdleBatcherLetsTheEventLoopRunARequestToAShortModelItself() throws Exception {
        // Two thread wake-ups (to the worker and back) cost more than a small model's run.
        FaultyModel model = FaultyModel.healthy();
        Batcher batcher = batcher(model);
        try {
            Context context = vertx.getOrCreateContext();
            CompletableFuture<String> loop = new CompletableFuture<>();
            context.runOnContext(v -> loop.complete(Thread.currentThread().getName()));
            // The first run's length is unknown: it goes to the worker.
            assertAnswered(submitOn(context, batcher, rows(1, 2, 3, 4)), rows(1, 2, 3, 4));
            idle();
            assertAnswered(submitOn(context, batcher, rows(5, 6, 7, 8, 9, 10, 11, 12)), rows(5, 6, 7, 8, 9, 10, 11, 12));
            // Off Vert.x there is no loop to answer on: always the worker.
            assertAnswered(batcher.submit(rows(4, 3, 2, 1), Set.of()), rows(4, 3, 2, 1));
            assertThat(model.threads).containsExactly("batch-worker-0", loop.get(10, TimeUnit.SECONDS),
                    "batch-worker-0");
            assertThat(loop.get()).startsWith("vert.x-eventloop-thread-");
        } finally {
            batcher.close();
        }
    }

    @Test
    void oneRunAtATimeWhoeverRunsItAndWhatQueuedMeanwhileIsTheNextBatch() throws Exception {
        FaultyModel model = FaultyModel.healthy();
        Batcher batcher = batcher(model);
        try {
            Context context = vertx.getOrCreateContext();
            assertAnswered(batcher.submit(rows(1, 2, 3, 4), Set.of()), rows(1, 2, 3, 4));
            idle();
            // The event loop runs a request and is held there; the worker must not run beside it.
            CompletableFuture<Batcher.Answer> held = submitOn(context, batcher, rows(HOLD, 0, 0, 0));
            assertThat(model.holding.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Batcher.Answer> a = batcher.submit(rows(5, 6, 7, 8), Set.of());
            CompletableFuture<Batcher.Answer> b = batcher.submit(rows(9, 10, 11, 12), Set.of());
            Thread.sleep(200);
            assertThat(model.runs).containsExactly(1L, 1L);
            model.release();
            assertAnswered(held, rows(HOLD, 0, 0, 0));
            assertAnswered(a, rows(5, 6, 7, 8));
            assertAnswered(b, rows(9, 10, 11, 12));
            assertThat(model.runs).containsExactly(1L, 1L, 2L);
            assertThat(model.threads.get(1)).startsWith("vert.x-eventloop-thread-");
            assertThat(model.threads.get(2)).isEqualTo("batch-worker-0");

            // And the other way round: while the worker runs, the event loop's requests queue for it.
            FaultyModel model2 = FaultyModel.healthy();
            Batcher batcher2 = batcher(model2);
            try {
                assertAnswered(batcher2.submit(rows(1, 2, 3, 4), Set.of()), rows(1, 2, 3, 4));
                CompletableFuture<Batcher.Answer> held2 = model2.hold(batcher2);
                CompletableFuture<Batcher.Answer> c = submitOn(context, batcher2, rows(5, 6, 7, 8));
                CompletableFuture<Batcher.Answer> d = submitOn(context, batcher2, rows(9, 10, 11, 12));
                Thread.sleep(200);
                model2.release();
                assertAnswered(held2, rows(HOLD, 0, 0, 0));
                assertAnswered(c, rows(5, 6, 7, 8));
                assertAnswered(d, rows(9, 10, 11, 12));
                assertThat(model2.runs).containsExactly(1L, 1L, 2L);
                assertThat(model2.threads).containsOnly("batch-worker-0");
            } finally {
                batcher2.close();
            }
        } finally {
            batcher.close();
        }
    }

    static Stream<Arguments> workerOnly() {
        // A model that takes 3 ms a run: the real model, followed by a sleep that its run time reports
        // (no model in examples/ is this slow for a few rows, and the test must not take seconds).
        Batcher.Runner slow = (inputs, outputs) -> {
            ModelRuntime.Run run = runtime.runTimed(inputs, outputs);
            Thread.sleep(3);
            return new ModelRuntime.Run(run.outputs(), run.inputNanos(),
                    run.inferNanos() + TimeUnit.MILLISECONDS.toNanos(3), run.outputNanos());
        };
        return Stream.of(
                arguments(named("a model whose runs take longer than 2 ms", slow), Duration.ZERO),
                arguments(named("a queue delay set", (Batcher.Runner) runtime::runTimed), Duration.ofMillis(1)));
    }

    @ParameterizedTest
    @MethodSource("workerOnly")
    void theEventLoopLeavesTheRunToTheWorkerWhen(Batcher.Runner runner, Duration delay) throws Exception {
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        Batcher batcher = new Batcher((inputs, outputs) -> {
            threads.add(Thread.currentThread().getName());
            return runner.run(inputs, outputs);
        }, new Batcher.Settings(64, delay, 100, 1, true), new InferenceMetrics(new SimpleMeterRegistry(), "m"));
        try {
            Context context = vertx.getOrCreateContext();
            for (int i = 0; i < 4; i++) {
                assertAnswered(submitOn(context, batcher, rows(i, 1, 2, 3)), rows(i, 1, 2, 3));
                idle();
            }
            assertThat(threads).hasSize(4).containsOnly("batch-worker-0");
        } finally {
            batcher.close();
        }
    }
}
