package dev.modelship.server.grpc;

import dev.modelship.server.ServerConfig;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.TimeUnit;

/**
 * Bounds the age of every gRPC connection: past it the server sends GOAWAY, calls in flight finish,
 * and the client opens a new connection for its next call, which the Service may route to another
 * pod. HTTP/2 pins a client to one pod otherwise; so new pods of a scale-up get gRPC traffic, and a
 * pod that drains after SIGTERM sees its clients leave before it stops, as HTTP clients do when
 * told {@code Connection: close} (the age is shorter than the drain).
 */
@ApplicationScoped
public class GrpcConnectionAge implements ServerBuilderCustomizer<VertxServerBuilder> {

    private final ServerConfig config;

    public GrpcConnectionAge(ServerConfig config) {
        this.config = config;
    }

    @Override
    public void customize(GrpcServerConfiguration grpc, VertxServerBuilder builder) {
        builder.nettyBuilder()
                .maxConnectionAge(config.grpc().maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
                // As long as the shutdown waits for calls in flight.
                .maxConnectionAgeGrace(30, TimeUnit.SECONDS);
    }
}
