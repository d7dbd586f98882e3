package dev.modelship.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelship.artifact.Digests;
import dev.modelship.artifact.Manifest;
import dev.modelship.server.batching.Batcher;
import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.model.Datatype;
import dev.modelship.server.model.ModelArtifact;
import dev.modelship.server.model.ModelSignature;
import dev.modelship.server.protocol.InferRequest;
import dev.modelship.server.protocol.InferResponse;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.protocol.RestCodec;
import dev.modelship.server.protocol.Tensor;
import dev.modelship.server.runtime.ModelRuntime;
import dev.modelship.server.runtime.RuntimeOptions;
import dev.modelship.server.triton.ModelConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The one model this process serves: loaded and warmed up at startup (see {@link #warmUp}),
 * drained on shutdown. Both protocol adapters call it.
 */
@ApplicationScoped
public class InferenceService {

    public static final String VERSION = "1";
    private static final Logger LOG = Logger.getLogger(InferenceService.class);

    private final ServerConfig config;
    private final MeterRegistry registry;

    private volatile boolean ready;
    private volatile boolean draining;
    private String name;
    private ModelArtifact artifact;
    private ModelRuntime runtime;
    private Batcher batcher;
    private InferenceMetrics metrics;
    private ModelConfiguration configuration;

    public InferenceService(ServerConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent event) throws Exception {
        long start = System.nanoTime();
        Path path = Path.of(config.model().path());
        artifact = ModelArtifact.locate(path);
        name = config.model().name().orElse(artifact.defaultName());
        int intra = config.runtime().intraOpThreads().orElse(RuntimeOptions.defaultIntraOpThreads());
        runtime = new ModelRuntime(artifact.modelFile(), new RuntimeOptions(intra, config.runtime().interOpThreads()));
        metrics = new InferenceMetrics(registry, name);
        ModelSignature signature = runtime.signature();
        boolean stackable = signature.batchable() && config.batching().maxBatchSize() > 1;
        batcher = new Batcher(runtime::runTimed, new Batcher.Settings(config.batching().maxBatchSize(),
                config.batching().maxQueueDelay(), config.batching().maxQueueSize(),
                Math.max(1, config.batching().workers()), stackable), metrics);
        configuration = ModelConfiguration.of(name, artifact.modelFile().getFileName().toString(), signature,
                new ModelConfiguration.Batching(config.batching().maxBatchSize(), config.batching().maxQueueDelay(),
                        config.batching().workers()));
        String warmedUpWith = warmUp();
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.modelInfo(artifact.digest().orElse(Digests.of(artifact.sha256())), artifact.format(), seconds);
        ready = true;
        LOG.infof("serving model '%s' from %s (%s, sha256 %s) in %.0f ms, warmed up with %s; inputs %s, outputs %s; "
                        + "batching %s (max %d rows, delay %s), %d intra-op threads",
                name, artifact.modelFile(), artifact.format(), artifact.sha256(), seconds * 1000, warmedUpWith,
                signature.inputs(), signature.outputs(), stackable ? "on" : "off",
                config.batching().maxBatchSize(), config.batching().maxQueueDelay(), intra);
    }

    /**
     * Runs the model once before it is served, so that the first request does not pay for ONNX
     * Runtime's first run. An artifact's validation sample is input the model was shown to run on:
     * if it fails now, the model cannot run here at all, and the server does not start. Generated
     * input (zeros, empty strings) may simply not be what the model accepts (a number sent as text
     * cannot be an empty string): its failure is logged, and the model is served all the same.
     *
     * @return what the model was warmed up with, for the startup log line
     */
    private String warmUp() {
        if (artifact.warmup().isPresent()) {
            try {
                runtime.run(warmupInputs(artifact.warmup().get()), Set.of());
                return "the artifact's validation sample";
            } catch (Exception e) {
                throw new IllegalStateException("warm-up inference of " + artifact.modelFile() + " with the"
                        + " artifact's validation sample failed: " + e.getMessage() + "; the model cannot run on"
                        + " the input it was validated with and will not be served", e);
            }
        }
        try {
            runtime.run(runtime.zeroInputs(), Set.of());
            return "generated inputs";
        } catch (Exception e) {
            LOG.warnf("warm-up inference of %s with generated inputs (zeros, empty strings) failed: %s. Serving it"
                    + " anyway: the model may accept only some values (numbers sent as text, say); the first"
                    + " request pays for ONNX Runtime's first run", artifact.modelFile(), e.getMessage());
            return "nothing (generated inputs failed)";
        }
    }

    /**
     * The manifest's warm-up sample as tensors: written as a V2 request and read by the REST codec,
     * so it is checked against the signature like any request. Integral and boolean datatypes get
     * their values as such (the sample holds numbers).
     */
    private Map<String, Tensor> warmupInputs(Manifest.Warmup warmup) {
        RestCodec codec = new RestCodec();
        ObjectNode request = codec.mapper().createObjectNode();
        ArrayNode inputs = request.putArray("inputs");
        for (Manifest.WarmupInput in : warmup.inputs()) {
            ObjectNode node = inputs.addObject().put("name", in.name()).put("datatype", in.datatype());
            in.shape().forEach(node.putArray("shape")::add);
            ArrayNode data = node.putArray("data");
            Datatype type = Datatype.parse(in.datatype()).orElse(Datatype.FP32);
            for (double v : in.data()) {
                if (type == Datatype.BOOL) {
                    data.add(v != 0);
                } else if (type.isIntegral()) {
                    data.add((long) v);
                } else {
                    data.add(v);
                }
            }
        }
        try {
            return codec.decode(codec.mapper().writeValueAsBytes(request), -1, runtime.signature()).inputs();
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * SIGTERM starts the drain (quarkus.shutdown.delay): the pod is leaving its Service's endpoints
     * while this process still serves everything that reaches it, telling each HTTP client to
     * reconnect (see {@link #draining()}), so that no request of a rolling update is refused.
     */
    void onDrain(@Observes ShutdownDelayInitiatedEvent event) {
        draining = true;
        LOG.info("draining: still serving, not ready, every HTTP response closes its connection");
    }

    void onStop(@Observes ShutdownEvent event) throws Exception {
        ready = false;
        if (batcher != null) {
            batcher.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    /**
     * True from SIGTERM on: clients holding a keep-alive connection to this pod must open a new
     * one, which the Service routes to a pod that stays.
     */
    public boolean draining() {
        return draining;
    }

    /**
     * What health checks report: loaded, warmed up and serving, and staying; false from SIGTERM on
     * and once {@link #live()} is false.
     */
    public boolean ready() {
        return accepting() && !draining;
    }

    /** Inference requests are taken: loaded and warmed up, not yet shut down (draining included), live. */
    public boolean accepting() {
        return ready && live();
    }

    /** False once a fatal error (out of memory) stopped the batcher: only a restart helps. */
    public boolean live() {
        return batcher == null || batcher.serving();
    }

    public String modelName() {
        return name;
    }

    public ModelSignature signature() {
        return runtime.signature();
    }

    public ModelArtifact artifact() {
        return artifact;
    }

    public InferenceMetrics metrics() {
        return metrics;
    }

    /** Triton's model configuration of the served model. */
    public ModelConfiguration configuration() {
        return configuration;
    }

    /** True when the name (and version, if given) is the model this server holds. */
    public boolean serves(String model, String version) {
        return name.equals(model) && (version == null || version.isEmpty() || VERSION.equals(version));
    }

    /** Fails with 404 unless the name (and version, if given) is the model this server holds. */
    public void requireModel(String model, String version) {
        if (!serves(model, version)) {
            throw new InferenceException(InferenceException.NOT_FOUND, version == null
                    ? "unknown model '" + model + "'; this server serves '" + name + "'"
                    : "unknown model '" + model + "' version '" + version + "'; this server serves '"
                    + name + "' version " + VERSION);
        }
    }

    /** A response, and what the batcher said of the request: for the statistics, once it is answered. */
    public record Inference(InferResponse response, long rows, Batcher.Answer answer) {
    }

    public CompletableFuture<Inference> infer(InferRequest request) {
        Set<String> wanted = new LinkedHashSet<>();
        request.outputs().forEach(o -> wanted.add(o.name()));
        // Triton counts the rows of a batched model's request as inferences, and any other request as one.
        long rows = configuration.maxBatchSize() > 0 ? request.inputs().values().iterator().next().rows() : 1;
        return batcher.submit(request.inputs(), wanted).thenApply(answer -> {
            Map<String, Tensor> outputs = answer.outputs();
            Map<String, Tensor> ordered = new LinkedHashMap<>();
            if (wanted.isEmpty()) {
                signature().outputs().forEach(o -> {
                    if (outputs.containsKey(o.name())) {
                        ordered.put(o.name(), outputs.get(o.name()));
                    }
                });
            } else {
                wanted.forEach(n -> ordered.put(n, outputs.get(n)));
            }
            return new Inference(new InferResponse(name, VERSION, request.id(), ordered), rows, answer);
        });
    }
}
