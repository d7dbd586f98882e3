package dev.modelship.server.batching;

import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.metrics.ModelStatistics.ComputeTimes;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.protocol.Tensor;
import dev.modelship.server.runtime.ModelRuntime;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
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
import java.util.concurrent.Executor;
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
 * alone, so one bad request cannot fail the others. Every request is answered, whatever
 * throws: a fault of the server's own (an Error, a failure while stacking or splitting)
 * is a 500, and the worker goes on with the next batch. Only a fatal error of the JVM
 * (out of memory) stops the batcher: it then answers every request with 503 and
 * {@link #serving()} turns false, so the health checks ask for a restart.
 *
 * <p>At low traffic a request finds nothing queued and nothing running. Handing it to a
 * parked worker and its answer back costs two thread wake-ups, more than a small model's
 * run; so when {@code maxQueueDelay} is 0 (nothing is to be waited for), nothing has run
 * for a millisecond and the model's last run was short, the event loop that read the
 * request runs it itself. Requests that arrive meanwhile queue and run as the next batch,
 * as they would behind a worker's run. Under load, when runs follow each other, every
 * request queues.
 */
public final class Batcher implements AutoCloseable {

    /**
     * Runs the model on stacked inputs ({@code outputs} empty means all of them), and says how long
     * it spent feeding inputs, running and reading outputs.
     */
    @FunctionalInterface
    public interface Runner {
        ModelRuntime.Run run(Map<String, Tensor> inputs, Set<String> outputs) throws Exception;
    }

    /** A request's outputs, how long it waited for its batch, and the times of the run that answered it. */
    public record Answer(Map<String, Tensor> outputs, long queueNanos, ComputeTimes times) {
    }

    public record Settings(int maxBatchSize, Duration maxQueueDelay, int maxQueueSize, int workers, boolean stackable) {
    }

    private static final Logger LOG = Logger.getLogger(Batcher.class);

    /**
     * Longest last run after which an idle batcher lets the caller's event loop run a request: a
     * loop busy running a model reads no other connection meanwhile, and past a couple of
     * milliseconds the two wake-ups it saves (tens of microseconds) no longer matter.
     */
    static final long CALLER_RUNS_BELOW_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    /**
     * How long nothing must have run before a caller runs its request itself. Under load runs follow
     * each other within microseconds, and a request that finds the batcher free for a moment must
     * still queue: an event loop that ran it would read and answer nothing else meanwhile, which
     * measurably lengthened the tail at 32 connections.
     */
    static final long CALLER_RUNS_AFTER_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Runner runner;
    private final Settings settings;
    private final InferenceMetrics metrics;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<Thread> workers = new ArrayList<>();
    /** Runs in progress (a worker's batch or a request run by its caller), at most one per worker. Under lock. */
    private int running;
    /** When the last run in progress ended. Under lock. */
    private long idleSince = System.nanoTime();
    /** How long the last run took; a caller runs its request itself only after a short one. */
    private volatile long lastRunNanos = Long.MAX_VALUE;
    private volatile boolean closing;
    private volatile Throwable fatal;

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
     * Queues a request whose inputs were already checked against the model's signature, or,
     * from a Vert.x thread to an idle batcher, runs it before returning (see the class
     * comment). The future completes with this request's outputs, or fails with an
     * {@link InferenceException}. Submitted from a Vert.x thread, it completes on the
     * submitter's Vert.x context, never on a batch worker.
     */
    public CompletableFuture<Answer> submit(Map<String, Tensor> inputs, Set<String> outputs) {
        Context caller = Vertx.currentContext();
        Pending p = new Pending(inputs, outputs, System.nanoTime(), answerOn(caller));
        boolean callerRuns;
        lock.lock();
        try {
            if (fatal != null) {
                throw stopped();
            }
            if (closing) {
                throw new InferenceException(InferenceException.UNAVAILABLE, "the server is shutting down");
            }
            if (queue.size() >= settings.maxQueueSize()) {
                throw new InferenceException(InferenceException.UNAVAILABLE,
                        "the request queue is full (" + settings.maxQueueSize() + " waiting); retry later");
            }
            callerRuns = caller != null && running == 0 && queue.isEmpty() && settings.maxQueueDelay().isZero()
                    && lastRunNanos < CALLER_RUNS_BELOW_NANOS
                    && System.nanoTime() - idleSince >= CALLER_RUNS_AFTER_IDLE_NANOS;
            if (callerRuns) {
                running++;
            } else {
                queue.addLast(p);
                arrived.signal();
            }
        } finally {
            lock.unlock();
        }
        if (callerRuns) {
            try {
                runAndAnswer(List.of(p));
            } finally {
                finishedRunning();
            }
        }
        return p.result;
    }

    /** False once a fatal error stopped the batcher: this process needs a restart. */
    public boolean serving() {
        return fatal == null;
    }

    /*
     * Completing a future runs the stages chained to it (response assembly, REST or gRPC
     * encoding) on the completing thread, which must not be the batch worker. Both adapters
     * submit from a Vert.x event loop (Quarkus REST runs CompletionStage methods there,
     * Quarkus gRPC its non-@Blocking services): the thread that owns the connection and
     * writes the answer, and where Quarkus REST resumes the request anyway. Answering there
     * adds no thread pool to compete with ONNX Runtime for the cores. Off Vert.x (tests),
     * the worker answers itself.
     */
    private static Executor answerOn(Context caller) {
        return caller == null ? Runnable::run : task -> caller.runOnContext(v -> task.run());
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
            try {
                runAndAnswer(batch);
            } finally {
                finishedRunning();
            }
        }
    }

    /** Runs a batch (or a caller's one request) and answers each request, whatever throws. */
    private void runAndAnswer(List<Pending> batch) {
        try {
            run(batch);
        } catch (Throwable t) {
            // run answers each request itself; this is for a failure in doing so.
            answerUnanswered(batch, t);
            if (isFatal(t)) {
                LOG.errorf(t, "the batcher stopped after %s; the server answers 503 and reports itself"
                        + " not live until it is restarted", t);
                stop(t);
                return;
            }
            LOG.errorf(t, "handling a batch of %d requests failed with %s; answered with 500",
                    batch.size(), t);
        }
    }

    private void finishedRunning() {
        lock.lock();
        try {
            if (--running == 0) {
                idleSince = System.nanoTime();
            }
            arrived.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks for the next batch and counts it as running; null once closing and the queue is
     * drained. A batch is not taken while a caller runs a request in the worker's stead.
     */
    private List<Pending> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty() || running >= settings.workers()) {
                if (closing && queue.isEmpty()) {
                    return null;
                }
                arrived.await();
            }
            running++;
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
        if (batch.size() > 1) {
            try {
                runTogether(batch, start);
            } catch (Throwable t) {
                rethrowIfFatal(t);
                LOG.debugf(t, "a batch of %d requests failed; running them one by one", batch.size());
            }
        }
        for (Pending p : batch) {
            if (!p.answered) {
                runAlone(p, start);
            }
        }
    }

    /**
     * Runs the batch as one call and gives each request its rows. Answers none when the
     * outputs cannot be split, and throws when stacking, running or splitting fails.
     */
    private void runTogether(List<Pending> batch, long start) throws Exception {
        Map<String, Tensor> stacked = new LinkedHashMap<>();
        for (String name : batch.get(0).inputs.keySet()) {
            stacked.put(name, Tensor.concatRows(batch.stream().map(p -> p.inputs.get(name)).toList()));
        }
        Set<String> outputs = new LinkedHashSet<>();
        if (batch.stream().noneMatch(p -> p.outputs.isEmpty())) {
            batch.forEach(p -> outputs.addAll(p.outputs));
        }
        long totalRows = stacked.values().iterator().next().rows();
        long stacking = System.nanoTime() - start;
        ModelRuntime.Run run = runner.run(stacked, outputs);
        long ranAt = System.nanoTime();
        Map<String, Tensor> result = run.outputs();
        if (result.values().stream().anyMatch(t -> t.shape().length == 0 || t.rows() != totalRows)) {
            ran((int) totalRows, new ComputeTimes(stacking + run.inputNanos(), run.inferNanos(),
                    run.outputNanos()));
            return; // An output that is not one row per input row cannot be split; each runs alone.
        }
        // Every request's rows are cut before any is answered, so a failure here leaves
        // the whole batch to run alone rather than half of it answered.
        List<Map<String, Tensor>> answers = new ArrayList<>(batch.size());
        long row = 0;
        for (Pending p : batch) {
            Map<String, Tensor> mine = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : result.entrySet()) {
                if (p.outputs.isEmpty() || p.outputs.contains(e.getKey())) {
                    mine.put(e.getKey(), e.getValue().rows(row, p.rows()));
                }
            }
            answers.add(mine);
            row += p.rows();
        }
        ComputeTimes times = new ComputeTimes(stacking + run.inputNanos(), run.inferNanos(),
                run.outputNanos() + System.nanoTime() - ranAt);
        ran((int) totalRows, times);
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            p.answer(new Answer(answers.get(i), start - p.enqueuedNanos, times));
        }
    }

    private void runAlone(Pending p, long batchStart) {
        ModelRuntime.Run run;
        try {
            run = runner.run(p.inputs, p.outputs);
        } catch (InferenceException e) {
            p.fail(e);
            return;
        } catch (Exception e) {
            // ONNX Runtime rejects values it cannot compute with (an index out of range,
            // a string the model's label encoder does not know): the request's fault.
            p.fail(new InferenceException(InferenceException.BAD_REQUEST,
                    "the model could not run on this input: " + e.getMessage(), e));
            return;
        } catch (Throwable t) {
            rethrowIfFatal(t);
            p.fail(serverFault(t));
            return;
        }
        ComputeTimes times = new ComputeTimes(run.inputNanos(), run.inferNanos(), run.outputNanos());
        ran((int) p.rows(), times);
        p.answer(new Answer(run.outputs(), batchStart - p.enqueuedNanos, times));
    }

    private void ran(int rows, ComputeTimes times) {
        metrics.batchRan(rows, times);
        lastRunNanos = times.computeNanos() + times.outputNanos();
    }

    private static void answerUnanswered(List<Pending> batch, Throwable cause) {
        InferenceException e = serverFault(cause);
        for (Pending p : batch) {
            if (!p.answered) {
                p.fail(e);
            }
        }
    }

    private static InferenceException serverFault(Throwable cause) {
        return new InferenceException(InferenceException.INTERNAL, "internal error: " + cause, cause);
    }

    /**
     * Out of memory and the JVM's internal errors leave its state in doubt; a stack
     * overflow unwinds cleanly and is survivable (as in Scala's NonFatal).
     */
    private static boolean isFatal(Throwable t) {
        return t instanceof VirtualMachineError && !(t instanceof StackOverflowError);
    }

    private static void rethrowIfFatal(Throwable t) {
        if (isFatal(t)) {
            throw (VirtualMachineError) t;
        }
    }

    private InferenceException stopped() {
        return new InferenceException(InferenceException.UNAVAILABLE,
                "the server stopped serving after " + fatal + " and needs a restart");
    }

    /** After a fatal error: refuse new requests and answer the queued ones with 503. */
    private void stop(Throwable cause) {
        List<Pending> dropped;
        lock.lock();
        try {
            fatal = cause;
            closing = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        InferenceException e = stopped();
        dropped.forEach(p -> p.fail(e));
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
        final Executor answerOn;
        final CompletableFuture<Answer> result = new CompletableFuture<>();
        /** The first input's rows (1 for a model without inputs). */
        private final long rows;
        /** Every input has {@link #rows} rows, so rows can be split back by count. */
        private final boolean uniformRows;
        /** Set by the worker that owns the request once its answer is on the way. */
        boolean answered;

        /**
         * Built on the submitting thread: what the worker checks for every queued request while it
         * forms a batch (its rows, whether they stack) is worked out here, once, off the worker.
         */
        Pending(Map<String, Tensor> inputs, Set<String> outputs, long enqueuedNanos, Executor answerOn) {
            this.inputs = inputs;
            this.outputs = outputs;
            this.enqueuedNanos = enqueuedNanos;
            this.answerOn = answerOn;
            this.rows = inputs.isEmpty() ? 1 : inputs.values().iterator().next().rows();
            boolean uniform = !inputs.isEmpty(); // a model without inputs has nothing to stack
            for (Tensor t : inputs.values()) {
                uniform &= t.shape().length > 0 && t.rows() == rows;
            }
            this.uniformRows = uniform;
        }

        void answer(Answer answer) {
            deliver(() -> result.complete(answer));
        }

        void fail(InferenceException e) {
            deliver(() -> result.completeExceptionally(e));
        }

        private void deliver(Runnable completion) {
            answered = true;
            try {
                answerOn.execute(completion);
            } catch (RuntimeException e) {
                completion.run(); // the caller's event loop is gone (shutdown): answer here
            }
        }

        long rows() {
            return rows;
        }

        /** Same input names, each with the same datatype and shape past the first dimension. */
        boolean stacksWith(Pending other) {
            if (!uniformRows || !other.uniformRows || inputs.size() != other.inputs.size()) {
                return false;
            }
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                Tensor theirs = other.inputs.get(e.getKey());
                if (theirs == null || !e.getValue().sameRowShape(theirs)) {
                    return false;
                }
            }
            return true;
        }
    }
}
