package dev.modelship.server.batching;

import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.protocol.Tensor;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Gathers requests into batches, runs each batch once and hands every request its own
 * rows back. The only place in the server that waits.
 *
 * <p>A worker takes the oldest request, then every queued request whose inputs stack
 * with it (same input names, datatypes and trailing dimensions), until the batch holds
 * {@code maxBatchSize} rows or the oldest request has waited {@code maxQueueDelay}. The
 * queue is bounded: when it is full, {@link #submit} fails at once with 503 rather
 * than letting memory grow. When a batch fails as a whole, each request in it is run
 * alone, so one bad request cannot fail the others.
 */
public final class Batcher implements AutoCloseable {

    /** Runs the model on stacked inputs; {@code outputs} empty means all of them. */
    @FunctionalInterface
    public interface Runner {
        Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) throws Exception;
    }

    public record Settings(int maxBatchSize, Duration maxQueueDelay, int maxQueueSize, int workers, boolean stackable) {
    }

    private static final Logger LOG = Logger.getLogger(Batcher.class);

    private final Runner runner;
    private final Settings settings;
    private final InferenceMetrics metrics;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closing;

    public Batcher(Runner runner, Settings settings, InferenceMetrics metrics) {
        this.runner = runner;
        this.settings = settings;
        this.metrics = metrics;
        for (int i = 0; i < settings.workers(); i++) {
            Thread t = new Thread(this::work, "batch-worker-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
    }

    /**
     * Queues a request whose inputs were already checked against the model's signature.
     * The future completes with this request's outputs, or fails with an
     * {@link InferenceException}.
     */
    public CompletableFuture<Map<String, Tensor>> submit(Map<String, Tensor> inputs, Set<String> outputs) {
        Pending p = new Pending(inputs, outputs, System.nanoTime());
        lock.lock();
        try {
            if (closing) {
                throw new InferenceException(InferenceException.UNAVAILABLE, "the server is shutting down");
            }
            if (queue.size() >= settings.maxQueueSize()) {
                throw new InferenceException(InferenceException.UNAVAILABLE,
                        "the request queue is full (" + settings.maxQueueSize() + " waiting); retry later");
            }
            queue.addLast(p);
            arrived.signal();
        } finally {
            lock.unlock();
        }
        return p.result;
    }

    private void work() {
        while (true) {
            List<Pending> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (batch == null) {
                return;
            }
            run(batch);
        }
    }

    /** Blocks for the next batch; null once closing and the queue is drained. */
    private List<Pending> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty()) {
                if (closing) {
                    return null;
                }
                arrived.await();
            }
            Pending first = queue.pollFirst();
            List<Pending> batch = new ArrayList<>();
            batch.add(first);
            if (!settings.stackable()) {
                return batch;
            }
            long rows = first.rows();
            long deadline = first.enqueuedNanos + settings.maxQueueDelay().toNanos();
            while (true) {
                rows = takeCompatible(first, batch, rows);
                long wait = deadline - System.nanoTime();
                if (rows >= settings.maxBatchSize() || wait <= 0 || closing) {
                    return batch;
                }
                arrived.awaitNanos(wait);
            }
        } finally {
            lock.unlock();
        }
    }

    private long takeCompatible(Pending first, List<Pending> batch, long rows) {
        for (Iterator<Pending> it = queue.iterator(); it.hasNext() && rows < settings.maxBatchSize(); ) {
            Pending p = it.next();
            if (first.stacksWith(p) && rows + p.rows() <= settings.maxBatchSize()) {
                it.remove();
                batch.add(p);
                rows += p.rows();
            }
        }
        return rows;
    }

    private void run(List<Pending> batch) {
        long start = System.nanoTime();
        for (Pending p : batch) {
            metrics.waited(start - p.enqueuedNanos);
        }
        if (batch.size() == 1) {
            runAlone(batch.get(0));
            return;
        }
        Map<String, Tensor> stacked = new LinkedHashMap<>();
        for (String name : batch.get(0).inputs.keySet()) {
            stacked.put(name, Tensor.concatRows(batch.stream().map(p -> p.inputs.get(name)).toList()));
        }
        Set<String> outputs = new LinkedHashSet<>();
        boolean all = batch.stream().anyMatch(p -> p.outputs.isEmpty());
        if (!all) {
            batch.forEach(p -> outputs.addAll(p.outputs));
        }
        Map<String, Tensor> result;
        long totalRows = stacked.values().iterator().next().rows();
        try {
            result = runner.run(stacked, outputs);
            metrics.batchRan((int) totalRows, System.nanoTime() - start);
        } catch (Exception e) {
            LOG.debugf(e, "a batch of %d requests failed; running them one by one", batch.size());
            batch.forEach(this::runAlone);
            return;
        }
        if (result.values().stream().anyMatch(t -> t.shape().length == 0 || t.rows() != totalRows)) {
            // An output that is not one row per input row cannot be split; run each alone.
            batch.forEach(this::runAlone);
            return;
        }
        long row = 0;
        for (Pending p : batch) {
            Map<String, Tensor> mine = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : result.entrySet()) {
                if (p.outputs.isEmpty() || p.outputs.contains(e.getKey())) {
                    mine.put(e.getKey(), e.getValue().rows(row, p.rows()));
                }
            }
            row += p.rows();
            p.result.complete(mine);
        }
    }

    private void runAlone(Pending p) {
        long start = System.nanoTime();
        try {
            Map<String, Tensor> out = runner.run(p.inputs, p.outputs);
            metrics.batchRan((int) p.rows(), System.nanoTime() - start);
            p.result.complete(out);
        } catch (InferenceException e) {
            p.result.completeExceptionally(e);
        } catch (Exception e) {
            // ONNX Runtime rejects values it cannot compute with (an index out of range,
            // a string the model's label encoder does not know): the request's fault.
            p.result.completeExceptionally(new InferenceException(InferenceException.BAD_REQUEST,
                    "the model could not run on this input: " + e.getMessage(), e));
        }
    }

    /** Stops taking requests, finishes every queued one, then stops the workers. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        for (Thread t : workers) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static final class Pending {
        final Map<String, Tensor> inputs;
        final Set<String> outputs;
        final long enqueuedNanos;
        final CompletableFuture<Map<String, Tensor>> result = new CompletableFuture<>();

        Pending(Map<String, Tensor> inputs, Set<String> outputs, long enqueuedNanos) {
            this.inputs = inputs;
            this.outputs = outputs;
            this.enqueuedNanos = enqueuedNanos;
        }

        long rows() {
            return inputs.values().iterator().next().rows();
        }

        boolean stacksWith(Pending other) {
            if (!uniformRows() || !other.uniformRows() || !inputs.keySet().equals(other.inputs.keySet())) {
                return false;
            }
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                if (!e.getValue().sameRowShape(other.inputs.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        /** Every input has the same number of rows, so rows can be split back by count. */
        boolean uniformRows() {
            long rows = rows();
            return inputs.values().stream().allMatch(t -> t.shape().length > 0 && t.rows() == rows);
        }
    }
}
