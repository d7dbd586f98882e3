package dev.modelship.server.runtime;

/** Threads ONNX Runtime may use inside one operator (intra) and across operators (inter). */
public record RuntimeOptions(int intraOpThreads, int interOpThreads) {

    /**
     * Intra-op threads default to the CPUs this process may use (the JVM reads them from the
     * container's CPU quota, so a pod limited to 2 CPUs does not start 64 threads) less one,
     * which is left to decode requests and encode responses: on 2 CPUs that gave more
     * throughput and a far lower p99 than 2 threads (bench/RESULTS.md, "Small requests").
     */
    public static int defaultIntraOpThreads() {
        return defaultIntraOpThreads(Runtime.getRuntime().availableProcessors());
    }

    static int defaultIntraOpThreads(int cpus) {
        return Math.max(1, cpus - 1);
    }
}
