package dev.modelship.server.metrics;

import dev.modelship.server.protocol.InferenceException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters named in ARCHITECTURE.md and nothing else. Micrometer's Prometheus
 * registry turns {@code modelship.inference.requests} into
 * {@code modelship_inference_requests_total}, timers into {@code _seconds} histograms.
 */
public final class InferenceMetrics {

    public enum Protocol { rest, grpc }

    public enum Outcome {
        success, client_error, server_error, rejected;

        public static Outcome of(InferenceException e) {
            return e.status() == InferenceException.UNAVAILABLE ? rejected
                    : e.isClientError() ? client_error : server_error;
        }
    }

    /**
     * Bucket bounds from 100 µs to 10 s, about six per decade, so histogram_quantile
     * puts p50 and p99 within roughly 20% of the truth anywhere in that range.
     */
    static final Duration[] LATENCY_BUCKETS = latencyBuckets();

    private final MeterRegistry registry;
    private final String model;
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Map<Protocol, Timer> requestDuration = new ConcurrentHashMap<>();
    private final Timer queueDuration;
    private final Timer computeDuration;
    private final DistributionSummary batchSize;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ModelStatistics statistics = new ModelStatistics();

    public InferenceMetrics(MeterRegistry registry, String model) {
        this.registry = registry;
        this.model = model;
        this.queueDuration = latencyTimer("modelship.inference.queue.duration",
                "Time a request waited for its batch to start").register(registry);
        this.computeDuration = latencyTimer("modelship.inference.compute.duration",
                "Time ONNX Runtime spent on a batch").register(registry);
        this.batchSize = DistributionSummary.builder("modelship.inference.batch.size")
                .description("Rows run together in one ONNX Runtime call")
                .tag("model", model)
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
                .register(registry);
        Gauge.builder("modelship.inference.in.flight.requests", inFlight, AtomicInteger::get)
                .description("Requests received and not yet answered")
                .tag("model", model)
                .register(registry);
    }

    private Timer.Builder latencyTimer(String name, String description) {
        return Timer.builder(name).description(description).tag("model", model)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .minimumExpectedValue(LATENCY_BUCKETS[0])
                .maximumExpectedValue(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1]);
    }

    public void modelInfo(String digest, String format, double loadSeconds) {
        Gauge.builder("modelship.model.info", () -> 1)
                .description("The model being served")
                .tags("model", model, "digest", digest, "format", format)
                .register(registry);
        Gauge.builder("modelship.model.load.duration", () -> loadSeconds)
                .description("Seconds from process start of loading to a successful warm-up inference")
                .baseUnit("seconds")
                .tag("model", model)
                .register(registry);
    }

    /** Call when a request arrives; returns the start time to hand to {@link #finished}. */
    public long started() {
        inFlight.incrementAndGet();
        return System.nanoTime();
    }

    /** A request answered with the model's outputs: {@code rows} rows, and what the batcher said of it. */
    public void succeeded(long startNanos, Protocol protocol, long rows, long queueNanos,
                          ModelStatistics.ComputeTimes times) {
        long nanos = finished(startNanos, protocol, Outcome.success);
        statistics.succeeded(nanos, rows, queueNanos, times);
    }

    /**
     * A request answered with an error. One for a model this server does not serve counts in the
     * requests counter (this server answered it) but not in the served model's statistics.
     */
    public void failed(long startNanos, Protocol protocol, InferenceException e) {
        long nanos = finished(startNanos, protocol, Outcome.of(e));
        if (e.status() != InferenceException.NOT_FOUND) {
            statistics.failed(nanos);
        }
    }

    private long finished(long startNanos, Protocol protocol, Outcome outcome) {
        long nanos = System.nanoTime() - startNanos;
        inFlight.decrementAndGet();
        requests.computeIfAbsent(protocol + "/" + outcome, k -> Counter.builder("modelship.inference.requests")
                .description("Inference requests by protocol and outcome")
                .tags("model", model, "protocol", protocol.name(), "outcome", outcome.name())
                .register(registry)).increment();
        requestDuration.computeIfAbsent(protocol, p -> latencyTimer("modelship.inference.request.duration",
                        "Time from receiving a request to answering it, inside the server")
                        .tag("protocol", p.name()).register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
        return nanos;
    }

    /** One run of the model on {@code rows} rows, from one request or several. */
    public void batchRan(int rows, ModelStatistics.ComputeTimes times) {
        batchSize.record(rows);
        computeDuration.record(times.computeNanos(), TimeUnit.NANOSECONDS);
        statistics.executed(rows, times);
    }

    /** Triton's statistics extension's figures. */
    public ModelStatistics.Snapshot statistics() {
        return statistics.snapshot();
    }

    public void waited(long queueNanos) {
        queueDuration.record(queueNanos, TimeUnit.NANOSECONDS);
    }

    private static Duration[] latencyBuckets() {
        double[] steps = {1.0, 1.5, 2.0, 3.0, 5.0, 7.0};
        java.util.List<Duration> out = new java.util.ArrayList<>();
        for (long decade = 100_000L; decade <= 1_000_000_000L; decade *= 10) { // 100 µs .. 1 s decades
            for (double s : steps) {
                out.add(Duration.ofNanos(Math.round(decade * s)));
            }
        }
        out.add(Duration.ofSeconds(10));
        return out.toArray(Duration[]::new);
    }
}
