package dev.modelship.server.rest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What GET /v2 and gRPC ServerMetadata report. */
public final class ServerInfo {

    public static final String NAME = "modelship";
    /** Triton's names of the extensions implemented (CUDA shared memory is not: there is no GPU). */
    public static final List<String> EXTENSIONS = List.of("binary_tensor_data", "statistics", "model_configuration",
            "model_repository", "system_shared_memory");

    private ServerInfo() {
    }

    public static String version() {
        String v = ServerInfo.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0";
    }

    static Map<String, Object> metadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", NAME);
        m.put("version", version());
        m.put("extensions", EXTENSIONS);
        return m;
    }
}
