package dev.modelship.server.runtime;

/** Threads ONNX Runtime may use inside one operator (intra) and across operators (inter). */
public record RuntimeOptions(int intraOpThreads, int interOpThreads) {

    /**
     * Intra-op threads default to the CPUs this process may use, which the JVM reads
     * from the container's CPU quota, so a pod limited to 2 CPUs does not start 64 threads.
     */
    public static int defaultIntraOpThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
