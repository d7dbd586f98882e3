package dev.modelship.server;

import dev.modelship.artifact.Digests;
import dev.modelship.server.batching.Batcher;
import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.model.ModelArtifact;
import dev.modelship.server.model.ModelSignature;
import dev.modelship.server.protocol.InferRequest;
import dev.modelship.server.protocol.InferResponse;
import dev.modelship.server.protocol.Tensor;
import dev.modelship.server.runtime.ModelRuntime;
import dev.modelship.server.runtime.RuntimeOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The one model this process serves: loaded and warmed up at startup, ready only after
 * a warm-up inference succeeded, drained on shutdown. Both protocol adapters call it.
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
        batcher = new Batcher(runtime::run, new Batcher.Settings(config.batching().maxBatchSize(),
                config.batching().maxQueueDelay(), config.batching().maxQueueSize(),
                Math.max(1, config.batching().workers()), stackable), metrics);
        try {
            runtime.run(runtime.zeroInputs(), Set.of());
        } catch (Exception e) {
            throw new IllegalStateException("warm-up inference of " + artifact.modelFile() + " failed: "
                    + e.getMessage() + "; the model will not be served", e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.modelInfo(artifact.digest().orElse(Digests.of(artifact.sha256())), artifact.format(), seconds);
        ready = true;
        LOG.infof("serving model '%s' from %s (%s, sha256 %s) in %.0f ms; inputs %s, outputs %s; "
                        + "batching %s (max %d rows, delay %s), %d intra-op threads",
                name, artifact.modelFile(), artifact.format(), artifact.sha256(), seconds * 1000,
                signature.inputs(), signature.outputs(), stackable ? "on" : "off",
                config.batching().maxBatchSize(), config.batching().maxQueueDelay(), intra);
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

    /** True when the name (and version, if given) is the model this server holds. */
    public boolean serves(String model, String version) {
        return name.equals(model) && (version == null || version.isEmpty() || VERSION.equals(version));
    }

    public CompletableFuture<InferResponse> infer(InferRequest request) {
        Set<String> wanted = new LinkedHashSet<>();
        request.outputs().forEach(o -> wanted.add(o.name()));
        return batcher.submit(request.inputs(), wanted).thenApply(outputs -> {
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
            return new InferResponse(name, VERSION, request.id(), ordered);
        });
    }
}
