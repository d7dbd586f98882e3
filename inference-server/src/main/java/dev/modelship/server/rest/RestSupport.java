package dev.modelship.server.rest;

import dev.modelship.server.InferenceService;
import dev.modelship.server.ServerConfig;
import dev.modelship.server.protocol.RestCodec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.enterprise.event.Observes;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/**
 * The REST layer's shared pieces: the codec bean, the request size limit, and error
 * bodies in the protocol's {"error": "..."} form for whatever the framework rejects.
 */
@ApplicationScoped
public class RestSupport {

    private final long maxRequestBytes;
    private final InferenceService service;

    public RestSupport(ServerConfig config, InferenceService service) {
        this.maxRequestBytes = config.limits().maxRequestSize().asLongValue();
        this.service = service;
    }

    @Produces
    @ApplicationScoped
    RestCodec codec() {
        return new RestCodec();
    }

    /**
     * Refuses a declared-too-large body before it is read, with the protocol's JSON error.
     * Installed first on the router, ahead of Quarkus's own body limit (the backstop for
     * bodies sent without a Content-Length, which answers 413 without a body).
     */
    void limitRequestSize(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            if (length != null) {
                long n;
                try {
                    n = Long.parseLong(length.trim());
                } catch (NumberFormatException e) {
                    reply(ctx, 400, "Content-Length '" + length + "' is not a number");
                    return;
                }
                if (n > maxRequestBytes) {
                    reply(ctx, 413, "request body of " + n + " bytes exceeds the limit of " + maxRequestBytes
                            + " bytes (modelship.limits.max-request-size)");
                    return;
                }
            }
            ctx.next();
        });
    }

    /**
     * While draining, every response says {@code Connection: close}: a client's next request
     * opens a new connection, which no longer reaches this leaving pod.
     */
    void closeConnectionsWhileDraining(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(ctx -> {
            if (service.draining()) {
                ctx.response().putHeader("Connection", "close");
            }
            ctx.next();
        });
    }

    private static void reply(RoutingContext ctx, int status, String message) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Connection", "close")
                .end(new JsonObject().put("error", message).encode());
    }

    @ServerExceptionMapper
    public Response mapWebApplicationException(WebApplicationException e) {
        int status = e.getResponse() != null ? e.getResponse().getStatus() : 500;
        return error(status, e.getMessage());
    }

    static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }
}
