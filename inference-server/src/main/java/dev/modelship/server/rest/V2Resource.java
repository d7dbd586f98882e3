package dev.modelship.server.rest;

import dev.modelship.server.InferenceService;
import dev.modelship.server.ServerConfig;
import dev.modelship.server.batching.Batcher;
import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.model.TensorSpec;
import dev.modelship.server.protocol.InferRequest;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.protocol.RestCodec;
import dev.modelship.server.triton.SharedMemoryRegions;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The REST binding of the Open Inference Protocol (V2): server and model health and
 * metadata, and inference with Triton's binary tensor data extension.
 */
@Path("/v2")
@Produces(MediaType.APPLICATION_JSON)
public class V2Resource {

    public static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    private static final Logger LOG = Logger.getLogger(V2Resource.class);

    private final InferenceService service;
    private final RestCodec codec;
    private final SharedMemoryRegions sharedMemory;

    private final long maxRequestBytes;

    public V2Resource(InferenceService service, RestCodec codec, SharedMemoryRegions sharedMemory,
                      ServerConfig config) {
        this.service = service;
        this.codec = codec;
        this.sharedMemory = sharedMemory;
        this.maxRequestBytes = config.limits().maxRequestSize().asLongValue();
    }

    @GET
    public Map<String, Object> serverMetadata() {
        return ServerInfo.metadata();
    }

    @GET
    @Path("health/live")
    public Response live() {
        boolean live = service.live();
        return Response.status(live ? 200 : 503).entity(Map.of("live", live)).build();
    }

    @GET
    @Path("health/ready")
    public Response ready() {
        boolean ready = service.ready();
        return Response.status(ready ? 200 : 503).entity(Map.of("ready", ready)).build();
    }

    @GET
    @Path("models/{model}")
    public Response modelMetadata(@PathParam("model") String model) {
        return metadata(model, null);
    }

    @GET
    @Path("models/{model}/versions/{version}")
    public Response modelVersionMetadata(@PathParam("model") String model, @PathParam("version") String version) {
        return metadata(model, version);
    }

    @GET
    @Path("models/{model}/ready")
    public Response modelReady(@PathParam("model") String model) {
        return modelReadiness(model, null);
    }

    @GET
    @Path("models/{model}/versions/{version}/ready")
    public Response modelVersionReady(@PathParam("model") String model, @PathParam("version") String version) {
        return modelReadiness(model, version);
    }

    @POST
    @Path("models/{model}/infer")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.WILDCARD)
    public CompletionStage<Response> infer(@PathParam("model") String model,
                                           @HeaderParam(HEADER_LENGTH) String headerLength,
                                           @HeaderParam("Content-Encoding") String encoding, byte[] body) {
        return infer(model, null, headerLength, encoding, body);
    }

    @POST
    @Path("models/{model}/versions/{version}/infer")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.WILDCARD)
    public CompletionStage<Response> inferVersion(@PathParam("model") String model,
                                                  @PathParam("version") String version,
                                                  @HeaderParam(HEADER_LENGTH) String headerLength,
                                                  @HeaderParam("Content-Encoding") String encoding, byte[] body) {
        return infer(model, version, headerLength, encoding, body);
    }

    private CompletionStage<Response> infer(String model, String version, String headerLength, String encoding,
                                            byte[] body) {
        InferenceMetrics metrics = service.metrics();
        long start = metrics.started();
        InferRequest request;
        try {
            checkModel(model, version);
            if (!service.accepting()) {
                throw new InferenceException(InferenceException.UNAVAILABLE, "model '" + model + "' is not ready");
            }
            byte[] sent = ContentEncoding.decode(body == null ? new byte[0] : body, encoding, maxRequestBytes);
            request = codec.decode(sent, parseHeaderLength(headerLength), service.signature(), sharedMemory);
            return service.infer(request).handle((inference, failure) -> {
                if (failure != null) {
                    return fail(failure, metrics, start);
                }
                RestCodec.Encoded encoded;
                try {
                    encoded = codec.encode(inference.response(), request, sharedMemory);
                } catch (RuntimeException e) {
                    return fail(e, metrics, start);
                }
                Batcher.Answer answer = inference.answer();
                metrics.succeeded(start, InferenceMetrics.Protocol.rest, inference.rows(), answer.queueNanos(),
                        answer.times());
                Response.ResponseBuilder ok = Response.ok(encoded.body());
                if (encoded.hasBinary()) {
                    ok.type(MediaType.APPLICATION_OCTET_STREAM).header(HEADER_LENGTH, encoded.headerLength());
                } else {
                    ok.type(MediaType.APPLICATION_JSON);
                }
                return ok.build();
            });
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(fail(e, metrics, start));
        }
    }

    private Response fail(Throwable failure, InferenceMetrics metrics, long start) {
        InferenceException e = InferenceException.of(failure);
        if (e.isServerFault()) {
            LOG.error("inference failed", e);
        }
        metrics.failed(start, InferenceMetrics.Protocol.rest, e);
        return Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(codec.error(e.getMessage())).build();
    }

    private static int parseHeaderLength(String value) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw InferenceException.badRequest("%s must be a non-negative integer, got '%s'", HEADER_LENGTH, value);
        }
    }

    private void checkModel(String model, String version) {
        service.requireModel(model, version);
    }

    private Response metadata(String model, String version) {
        try {
            checkModel(model, version);
        } catch (InferenceException e) {
            return Response.status(e.status()).entity(Map.of("error", e.getMessage())).build();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", service.modelName());
        body.put("versions", List.of(InferenceService.VERSION));
        body.put("platform", "onnxruntime_onnx");
        body.put("inputs", service.signature().inputs().stream().map(V2Resource::tensorMetadata).toList());
        body.put("outputs", service.signature().outputs().stream().map(V2Resource::tensorMetadata).toList());
        return Response.ok(body).build();
    }

    private Response modelReadiness(String model, String version) {
        try {
            checkModel(model, version);
        } catch (InferenceException e) {
            return Response.status(e.status()).entity(Map.of("error", e.getMessage())).build();
        }
        boolean ready = service.ready();
        return Response.status(ready ? 200 : 503).entity(Map.of("name", model, "ready", ready)).build();
    }

    static Map<String, Object> tensorMetadata(TensorSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", spec.name());
        m.put("datatype", spec.datatype().name());
        m.put("shape", spec.shape());
        return m;
    }
}
