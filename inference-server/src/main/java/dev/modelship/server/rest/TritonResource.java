package dev.modelship.server.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelship.server.InferenceService;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.protocol.RestCodec;
import dev.modelship.server.triton.Repository;
import dev.modelship.server.triton.SharedMemoryRegions;
import dev.modelship.server.triton.Statistics;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Triton's HTTP extensions beyond the V2 core: statistics, model configuration, the model
 * repository and system shared memory, with CUDA shared memory refused. Errors are the
 * protocol's {"error": "..."} with a 4xx status.
 */
@Path("/v2")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.WILDCARD)
public class TritonResource {

    private final InferenceService service;
    private final RestCodec codec;
    private final SharedMemoryRegions sharedMemory;

    public TritonResource(InferenceService service, RestCodec codec, SharedMemoryRegions sharedMemory) {
        this.service = service;
        this.codec = codec;
        this.sharedMemory = sharedMemory;
    }

    // ---- statistics ------------------------------------------------------------------

    @GET
    @Path("models/stats")
    public Response allStatistics() {
        return statistics(service.modelName(), null);
    }

    @GET
    @Path("models/{model}/stats")
    public Response statistics(@PathParam("model") String model) {
        return statistics(model, null);
    }

    @GET
    @Path("models/{model}/versions/{version}/stats")
    public Response statistics(@PathParam("model") String model, @PathParam("version") String version) {
        return answer(() -> {
            service.requireModel(model, version);
            return Statistics.json(service.modelName(), InferenceService.VERSION, service.metrics().statistics());
        });
    }

    // ---- model configuration ---------------------------------------------------------

    @GET
    @Path("models/{model}/config")
    public Response configuration(@PathParam("model") String model) {
        return configuration(model, null);
    }

    @GET
    @Path("models/{model}/versions/{version}/config")
    public Response configuration(@PathParam("model") String model, @PathParam("version") String version) {
        return answer(() -> {
            service.requireModel(model, version);
            return service.configuration().json();
        });
    }

    // ---- model repository ------------------------------------------------------------

    @POST
    @Path("repository/index")
    public Response repositoryIndex(byte[] body) {
        return answer(() -> {
            JsonNode request = json(body);
            JsonNode ready = request.get("ready");
            if (ready != null && !ready.isBoolean()) {
                throw InferenceException.badRequest("'ready' must be true or false");
            }
            return Repository.index(service.modelName(), InferenceService.VERSION, service.ready(),
                    ready != null && ready.booleanValue()).stream().map(e -> {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("name", e.name());
                        m.put("version", e.version());
                        m.put("state", e.state());
                        if (!e.reason().isEmpty()) {
                            m.put("reason", e.reason());
                        }
                        return m;
                    }).toList();
        });
    }

    @POST
    @Path("repository/models/{model}/load")
    public Response load(@PathParam("model") String model, byte[] body) {
        return answer(() -> {
            JsonNode parameters = json(body).get("parameters");
            List<String> names = new ArrayList<>();
            if (parameters != null && parameters.isObject()) {
                parameters.fieldNames().forEachRemaining(names::add);
            }
            Repository.load(service.modelName(), model, names);
            return Map.of();
        });
    }

    @POST
    @Path("repository/models/{model}/unload")
    public Response unload(@PathParam("model") String model, byte[] body) {
        return answer(() -> {
            Repository.unload(service.modelName(), model);
            return Map.of();
        });
    }

    // ---- system shared memory --------------------------------------------------------

    @GET
    @Path("systemsharedmemory/status")
    public Response systemSharedMemoryStatus() {
        return systemSharedMemoryStatus("");
    }

    @GET
    @Path("systemsharedmemory/region/{region}/status")
    public Response systemSharedMemoryStatus(@PathParam("region") String region) {
        return answer(() -> sharedMemory.status(region).stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("key", r.key());
            m.put("offset", r.offset());
            m.put("byte_size", r.byteSize());
            return m;
        }).toList());
    }

    @POST
    @Path("systemsharedmemory/region/{region}/register")
    public Response registerSystemSharedMemory(@PathParam("region") String region, byte[] body) {
        return answer(() -> {
            JsonNode request = json(body);
            JsonNode key = request.get("key");
            if (key == null || !key.isTextual()) {
                throw InferenceException.badRequest("registering shared memory region '%s' needs a string 'key'", region);
            }
            sharedMemory.register(region, key.textValue(), integer(request, "offset", false),
                    integer(request, "byte_size", true));
            return Map.of();
        });
    }

    @POST
    @Path("systemsharedmemory/region/{region}/unregister")
    public Response unregisterSystemSharedMemory(@PathParam("region") String region) {
        return answer(() -> {
            sharedMemory.unregister(region);
            return Map.of();
        });
    }

    @POST
    @Path("systemsharedmemory/unregister")
    public Response unregisterAllSystemSharedMemory() {
        return unregisterSystemSharedMemory("");
    }

    // ---- CUDA shared memory: none on this server -------------------------------------

    @GET
    @Path("cudasharedmemory/status")
    public Response cudaSharedMemoryStatus() {
        return Response.ok(List.of()).build();
    }

    @GET
    @Path("cudasharedmemory/region/{region}/status")
    public Response cudaSharedMemoryStatus(@PathParam("region") String region) {
        return answer(() -> {
            throw InferenceException.badRequest("CUDA shared memory region '%s' is not registered: this server"
                    + " has no CUDA shared memory", region);
        });
    }

    @POST
    @Path("cudasharedmemory/region/{region}/register")
    public Response registerCudaSharedMemory(@PathParam("region") String region) {
        return answer(() -> {
            throw SharedMemoryRegions.cudaUnsupported();
        });
    }

    /** Nothing is ever registered, so unregistering succeeds: clients clean up before they start. */
    @POST
    @Path("cudasharedmemory/region/{region}/unregister")
    public Response unregisterCudaSharedMemory(@PathParam("region") String region) {
        return Response.ok(Map.of()).build();
    }

    @POST
    @Path("cudasharedmemory/unregister")
    public Response unregisterAllCudaSharedMemory() {
        return Response.ok(Map.of()).build();
    }

    // ---- helpers ---------------------------------------------------------------------

    private Response answer(Supplier<Object> body) {
        try {
            return Response.ok(body.get()).build();
        } catch (InferenceException e) {
            return Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(codec.error(e.getMessage())).build();
        }
    }

    /** The request body as a JSON object; an empty body is an empty object. */
    private JsonNode json(byte[] body) {
        if (body == null || body.length == 0) {
            return codec.mapper().createObjectNode();
        }
        JsonNode node;
        try {
            node = codec.mapper().readTree(body);
        } catch (IOException e) {
            throw InferenceException.badRequest("malformed JSON: %s", e.getMessage());
        }
        if (node == null || node.isMissingNode()) {
            return codec.mapper().createObjectNode();
        }
        if (!node.isObject()) {
            throw InferenceException.badRequest("the request body must be a JSON object");
        }
        return node;
    }

    private static long integer(JsonNode request, String field, boolean required) {
        JsonNode v = request.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw InferenceException.badRequest("'%s' is required", field);
            }
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw InferenceException.badRequest("'%s' must be a non-negative integer", field);
        }
        return v.asLong();
    }
}
