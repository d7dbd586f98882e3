package dev.modelship.server.metrics;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cumulative figures of Triton's statistics extension, kept beside the Prometheus meters and
 * fed by the same calls, so that both count the same requests.
 *
 * <p>Triton's meanings: {@code success}/{@code fail} count inference requests and their time from
 * arrival to answer; {@code queue} and {@code compute_*} are per successful request, each request
 * of a batch charged the whole batch's compute time; {@code inference_count} counts rows (a request
 * of 8 rows is 8 inferences), {@code execution_count} runs of the model; {@code batch_stats} holds
 * one entry per batch size run. Here compute_input is stacking requests' rows into one batch,
 * compute_infer is ONNX Runtime's run (copying tensors in and out included), compute_output is
 * cutting each request's rows from the batch's outputs.
 */
public final class ModelStatistics {

    /** A count and the nanoseconds it took in all. */
    public record Duration(long count, long ns) {
    }

    public record BatchStatistics(long batchSize, Duration computeInput, Duration computeInfer, Duration computeOutput) {
    }

    /** One reading; each figure is read once, so a reading taken under load may be off by the requests in flight. */
    public record Snapshot(long lastInferenceMillis, long inferenceCount, long executionCount, Duration success,
                           Duration fail, Duration queue, Duration computeInput, Duration computeInfer,
                           Duration computeOutput, List<BatchStatistics> batches) {
    }

    /** The time a batch took in each of its three phases. */
    public record ComputeTimes(long inputNanos, long inferNanos, long outputNanos) {
        public long computeNanos() {
            return inputNanos + inferNanos;
        }
    }

    private static final class Sum {
        final LongAdder count = new LongAdder();
        final LongAdder ns = new LongAdder();

        void add(long n, long nanos) {
            count.add(n);
            ns.add(nanos);
        }

        Duration read() {
            return new Duration(count.sum(), ns.sum());
        }
    }

    private static final class PerBatchSize {
        final Sum input = new Sum();
        final Sum infer = new Sum();
        final Sum output = new Sum();
    }

    private final Sum success = new Sum();
    private final Sum fail = new Sum();
    private final Sum queue = new Sum();
    private final Sum computeInput = new Sum();
    private final Sum computeInfer = new Sum();
    private final Sum computeOutput = new Sum();
    private final LongAdder inferences = new LongAdder();
    private final LongAdder executions = new LongAdder();
    private final Map<Long, PerBatchSize> batches = new ConcurrentHashMap<>();
    private volatile long lastInferenceMillis;

    void failed(long nanos) {
        fail.add(1, nanos);
        lastInferenceMillis = System.currentTimeMillis();
    }

    void succeeded(long nanos, long rows, long queueNanos, ComputeTimes times) {
        success.add(1, nanos);
        inferences.add(rows);
        queue.add(1, queueNanos);
        computeInput.add(1, times.inputNanos());
        computeInfer.add(1, times.inferNanos());
        computeOutput.add(1, times.outputNanos());
        lastInferenceMillis = System.currentTimeMillis();
    }

    void executed(long rows, ComputeTimes times) {
        executions.increment();
        PerBatchSize b = batches.computeIfAbsent(rows, r -> new PerBatchSize());
        b.input.add(1, times.inputNanos());
        b.infer.add(1, times.inferNanos());
        b.output.add(1, times.outputNanos());
    }

    public Snapshot snapshot() {
        List<BatchStatistics> perSize = batches.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> new BatchStatistics(e.getKey(), e.getValue().input.read(), e.getValue().infer.read(),
                        e.getValue().output.read()))
                .toList();
        return new Snapshot(lastInferenceMillis, inferences.sum(), executions.sum(), success.read(), fail.read(),
                queue.read(), computeInput.read(), computeInfer.read(), computeOutput.read(), perSize);
    }
}
