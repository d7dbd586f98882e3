package dev.modelship.server.grpc;

import dev.modelship.server.InferenceService;
import dev.modelship.server.grpc.v2.GRPCInferenceServiceGrpc;
import dev.modelship.server.grpc.v2.ModelInferRequest;
import dev.modelship.server.grpc.v2.ModelInferResponse;
import dev.modelship.server.grpc.v2.ModelMetadataRequest;
import dev.modelship.server.grpc.v2.ModelMetadataResponse;
import dev.modelship.server.grpc.v2.ModelReadyRequest;
import dev.modelship.server.grpc.v2.ModelReadyResponse;
import dev.modelship.server.grpc.v2.ServerLiveRequest;
import dev.modelship.server.grpc.v2.ServerLiveResponse;
import dev.modelship.server.grpc.v2.ServerMetadataRequest;
import dev.modelship.server.grpc.v2.ServerMetadataResponse;
import dev.modelship.server.grpc.v2.ServerReadyRequest;
import dev.modelship.server.grpc.v2.ServerReadyResponse;
import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.metrics.InferenceMetrics.Outcome;
import dev.modelship.server.model.TensorSpec;
import dev.modelship.server.protocol.GrpcCodec;
import dev.modelship.server.protocol.InferRequest;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.rest.ServerInfo;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import org.jboss.logging.Logger;


/** The gRPC binding of the Open Inference Protocol: {@code inference.GRPCInferenceService}. */
@GrpcService
public class GrpcInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private static final Logger LOG = Logger.getLogger(GrpcInferenceService.class);

    private final InferenceService service;

    public GrpcInferenceService(InferenceService service) {
        this.service = service;
    }

    @Override
    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
        out.onNext(ServerLiveResponse.newBuilder().setLive(service.live()).build());
        out.onCompleted();
    }

    @Override
    public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
        out.onNext(ServerReadyResponse.newBuilder().setReady(service.ready()).build());
        out.onCompleted();
    }

    @Override
    public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
        if (!service.serves(request.getName(), request.getVersion())) {
            out.onError(notFound(request.getName(), request.getVersion()));
            return;
        }
        out.onNext(ModelReadyResponse.newBuilder().setReady(service.ready()).build());
        out.onCompleted();
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        out.onNext(ServerMetadataResponse.newBuilder().setName(ServerInfo.NAME).setVersion(ServerInfo.version())
                .addAllExtensions(ServerInfo.EXTENSIONS).build());
        out.onCompleted();
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        if (!service.serves(request.getName(), request.getVersion())) {
            out.onError(notFound(request.getName(), request.getVersion()));
            return;
        }
        ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
                .setName(service.modelName()).addVersions(InferenceService.VERSION).setPlatform("onnxruntime_onnx");
        service.signature().inputs().forEach(s -> b.addInputs(tensor(s)));
        service.signature().outputs().forEach(s -> b.addOutputs(tensor(s)));
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        InferenceMetrics metrics = service.metrics();
        long start = metrics.started();
        try {
            if (!service.serves(request.getModelName(), request.getModelVersion())) {
                throw new InferenceException(InferenceException.NOT_FOUND,
                        "unknown model '" + request.getModelName() + "' version '" + request.getModelVersion()
                                + "'; this server serves '" + service.modelName() + "'");
            }
            if (!service.accepting()) {
                throw new InferenceException(InferenceException.UNAVAILABLE, "the model is not ready");
            }
            InferRequest decoded = GrpcCodec.decode(request, service.signature());
            boolean raw = request.getRawInputContentsCount() > 0;
            service.infer(decoded).whenComplete((response, failure) -> {
                if (failure != null) {
                    fail(failure, out, metrics, start);
                    return;
                }
                ModelInferResponse encoded;
                try {
                    encoded = GrpcCodec.encode(response, raw);
                } catch (RuntimeException e) {
                    fail(e, out, metrics, start);
                    return;
                }
                metrics.finished(start, InferenceMetrics.Protocol.grpc, Outcome.success);
                out.onNext(encoded);
                out.onCompleted();
            });
        } catch (RuntimeException e) {
            fail(e, out, metrics, start);
        }
    }

    private static void fail(Throwable failure, StreamObserver<?> out, InferenceMetrics metrics, long start) {
        InferenceException e = InferenceException.of(failure);
        if (e.isServerFault()) {
            LOG.error("inference failed", e);
        }
        Status status = switch (e.status()) {
            case InferenceException.BAD_REQUEST -> Status.INVALID_ARGUMENT;
            case InferenceException.NOT_FOUND -> Status.NOT_FOUND;
            case InferenceException.PAYLOAD_TOO_LARGE -> Status.RESOURCE_EXHAUSTED;
            case InferenceException.UNAVAILABLE -> Status.UNAVAILABLE;
            default -> Status.INTERNAL;
        };
        metrics.finished(start, InferenceMetrics.Protocol.grpc, Outcome.of(e));
        out.onError(status.withDescription(e.getMessage()).asRuntimeException());
    }

    private RuntimeException notFound(String name, String version) {
        return Status.NOT_FOUND.withDescription("unknown model '" + name + "'"
                + (version.isEmpty() ? "" : " version '" + version + "'")
                + "; this server serves '" + service.modelName() + "'").asRuntimeException();
    }

    private static ModelMetadataResponse.TensorMetadata tensor(TensorSpec s) {
        ModelMetadataResponse.TensorMetadata.Builder b = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(s.name()).setDatatype(s.datatype().name());
        for (long d : s.shape()) {
            b.addShape(d);
        }
        return b.build();
    }
}
