package dev.modelship.server;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Every setting of the inference server, in one place. Each can be given as a system
 * property ({@code -Dmodelship.batching.max-batch-size=16}) or an environment
 * variable ({@code MODELSHIP_BATCHING_MAX_BATCH_SIZE=16}); the README has the table.
 */
@ConfigMapping(prefix = "modelship")
public interface ServerConfig {

    Model model();

    Batching batching();

    Runtime runtime();

    Limits limits();

    Grpc grpc();

    Shutdown shutdown();

    SharedMemory sharedMemory();

    interface Model {
        /** An .onnx or .ort file, or an artifact directory with manifest.json. */
        String path();

        /** The name clients use in /v2/models/{name}; defaults to the file name without extension. */
        Optional<String> name();
    }

    interface Batching {
        /** Most rows run together in one ONNX Runtime call. 1 turns batching off. */
        @WithDefault("32")
        int maxBatchSize();

        /**
         * How long the first request of a batch may wait for others. 0 batches only what
         * is already queued, which under load is plenty and at low load adds no latency.
         */
        @WithDefault("0ms")
        Duration maxQueueDelay();

        /** Requests that may wait; past this the server answers 503 at once. */
        @WithDefault("1024")
        int maxQueueSize();

        /** Threads that take batches from the queue and run them. */
        @WithDefault("1")
        int workers();
    }

    interface Runtime {
        /** ONNX Runtime threads inside one operator; default: the CPUs this process may use, less one. */
        OptionalInt intraOpThreads();

        @WithDefault("1")
        int interOpThreads();
    }

    interface Limits {
        /** Largest request body (REST) or message (gRPC); larger ones get 413 / RESOURCE_EXHAUSTED. */
        @WithDefault("64M")
        MemorySize maxRequestSize();
    }

    /** gRPC server settings (the message size is read by Quarkus, in application.properties). */
    interface Grpc {
        /** Largest gRPC message (quarkus.grpc.server.max-inbound-message-size). */
        @WithDefault("67108864")
        int maxMessageBytes();

        /**
         * Age after which a gRPC connection is closed gracefully (GOAWAY) and the client reconnects;
         * shorter than the drain, so that gRPC clients leave a draining pod in time.
         */
        @WithDefault("5s")
        Duration maxConnectionAge();
    }

    /** Read by Quarkus's shutdown (application.properties); mapped here so it is a known key. */
    interface Shutdown {
        /**
         * After SIGTERM, how long to keep serving while not ready and closing HTTP connections, so
         * that a Service's clients move to other pods (quarkus.shutdown.delay).
         */
        @WithDefault("10s")
        Duration drain();
    }

    /** Triton's system shared memory extension. */
    interface SharedMemory {
        /** Where shm_open puts POSIX shared memory objects; a region's key names a file here. */
        @WithDefault("/dev/shm")
        String directory();

        /** Regions that may be registered at once. */
        @WithDefault("64")
        int maxRegions();
    }
}
