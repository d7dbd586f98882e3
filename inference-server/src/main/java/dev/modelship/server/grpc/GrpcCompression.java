package dev.modelship.server.grpc;

import io.grpc.Codec;
import io.grpc.CompressorRegistry;
import io.grpc.DecompressorRegistry;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * Message compression as Triton's clients ask for it: gRPC-Java knows gzip, and Triton's
 * {@code compression_algorithm="deflate"} needs the deflate codec too (zlib format, as the gRPC
 * compression spec defines "deflate"). Messages are inflated before the size limit applies.
 */
@ApplicationScoped
public class GrpcCompression implements ServerBuilderCustomizer<VertxServerBuilder> {

    static final Codec DEFLATE = new Codec() {
        @Override
        public String getMessageEncoding() {
            return "deflate";
        }

        @Override
        public OutputStream compress(OutputStream os) {
            return new DeflaterOutputStream(os);
        }

        @Override
        public InputStream decompress(InputStream is) {
            return new InflaterInputStream(is);
        }
    };

    @Override
    public void customize(GrpcServerConfiguration grpc, VertxServerBuilder builder) {
        CompressorRegistry compressors = CompressorRegistry.newEmptyInstance();
        compressors.register(new Codec.Gzip());
        compressors.register(DEFLATE);
        builder.nettyBuilder()
                .decompressorRegistry(DecompressorRegistry.getDefaultInstance().with(DEFLATE, true))
                .compressorRegistry(compressors);
    }
}
