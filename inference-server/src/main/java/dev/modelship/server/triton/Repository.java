package dev.modelship.server.triton;

import dev.modelship.server.protocol.InferenceException;

import java.util.Collection;
import java.util.List;

/**
 * Triton's model repository extension for a server that serves exactly one model, by design: the
 * operator gives each ModelDeployment its own pods, so a model is added, changed or removed by
 * changing ModelDeployments, not by loading into a running server. The index lists the one model;
 * loading it again is a no-op, and everything else is refused with what to do instead.
 */
public final class Repository {

    /** One entry of the index: Triton's state names, READY or UNAVAILABLE with a reason. */
    public record Entry(String name, String version, String state, String reason) {
    }

    private Repository() {
    }

    public static List<Entry> index(String model, String version, boolean ready, boolean readyOnly) {
        if (readyOnly && !ready) {
            return List.of();
        }
        return List.of(ready ? new Entry(model, version, "READY", "")
                : new Entry(model, version, "UNAVAILABLE", "the server is shutting down or stopped serving"));
    }

    /** Loading the served model without new files or configuration is accepted: it is loaded. */
    public static void load(String served, String requested, Collection<String> parameters) {
        if (!served.equals(requested)) {
            throw new InferenceException(InferenceException.BAD_REQUEST, "this server serves one model, '" + served
                    + "', and cannot load '" + requested + "': one model per server is the design; create a"
                    + " ModelDeployment for '" + requested + "'");
        }
        if (!parameters.isEmpty()) {
            throw new InferenceException(InferenceException.BAD_REQUEST, "this server cannot replace the files or"
                    + " configuration of '" + served + "' while it runs (parameters " + List.copyOf(parameters)
                    + "); change its ModelDeployment, and the operator rolls out the new model");
        }
    }

    public static void unload(String served, String requested) {
        if (!served.equals(requested)) {
            throw new InferenceException(InferenceException.BAD_REQUEST, "unknown model '" + requested
                    + "'; this server serves '" + served + "'");
        }
        throw new InferenceException(InferenceException.BAD_REQUEST, "this server cannot unload '" + served
                + "', the one model it serves; scale its ModelDeployment to zero replicas or delete it");
    }

}
