package dev.modelship.server.grpc;

import dev.modelship.server.InferenceService;
import dev.modelship.server.batching.Batcher;
import dev.modelship.server.grpc.v2.CudaSharedMemoryRegisterRequest;
import dev.modelship.server.grpc.v2.CudaSharedMemoryRegisterResponse;
import dev.modelship.server.grpc.v2.CudaSharedMemoryStatusRequest;
import dev.modelship.server.grpc.v2.CudaSharedMemoryStatusResponse;
import dev.modelship.server.grpc.v2.CudaSharedMemoryUnregisterRequest;
import dev.modelship.server.grpc.v2.CudaSharedMemoryUnregisterResponse;
import dev.modelship.server.grpc.v2.GRPCInferenceServiceGrpc;
import dev.modelship.server.grpc.v2.ModelConfigRequest;
import dev.modelship.server.grpc.v2.ModelConfigResponse;
import dev.modelship.server.grpc.v2.ModelInferRequest;
import dev.modelship.server.grpc.v2.ModelInferResponse;
import dev.modelship.server.grpc.v2.ModelMetadataRequest;
import dev.modelship.server.grpc.v2.ModelMetadataResponse;
import dev.modelship.server.grpc.v2.ModelReadyRequest;
import dev.modelship.server.grpc.v2.ModelReadyResponse;
import dev.modelship.server.grpc.v2.ModelStatisticsRequest;
import dev.modelship.server.grpc.v2.ModelStatisticsResponse;
import dev.modelship.server.grpc.v2.RepositoryIndexRequest;
import dev.modelship.server.grpc.v2.RepositoryIndexResponse;
import dev.modelship.server.grpc.v2.RepositoryModelLoadRequest;
import dev.modelship.server.grpc.v2.RepositoryModelLoadResponse;
import dev.modelship.server.grpc.v2.RepositoryModelUnloadRequest;
import dev.modelship.server.grpc.v2.RepositoryModelUnloadResponse;
import dev.modelship.server.grpc.v2.ServerLiveRequest;
import dev.modelship.server.grpc.v2.ServerLiveResponse;
import dev.modelship.server.grpc.v2.ServerMetadataRequest;
import dev.modelship.server.grpc.v2.ServerMetadataResponse;
import dev.modelship.server.grpc.v2.ServerReadyRequest;
import dev.modelship.server.grpc.v2.ServerReadyResponse;
import dev.modelship.server.grpc.v2.SystemSharedMemoryRegisterRequest;
import dev.modelship.server.grpc.v2.SystemSharedMemoryRegisterResponse;
import dev.modelship.server.grpc.v2.SystemSharedMemoryStatusRequest;
import dev.modelship.server.grpc.v2.SystemSharedMemoryStatusResponse;
import dev.modelship.server.grpc.v2.SystemSharedMemoryUnregisterRequest;
import dev.modelship.server.grpc.v2.SystemSharedMemoryUnregisterResponse;
import dev.modelship.server.metrics.InferenceMetrics;
import dev.modelship.server.model.TensorSpec;
import dev.modelship.server.protocol.GrpcCodec;
import dev.modelship.server.protocol.InferRequest;
import dev.modelship.server.protocol.InferenceException;
import dev.modelship.server.rest.ServerInfo;
import dev.modelship.server.triton.Repository;
import dev.modelship.server.triton.SharedMemoryRegions;
import dev.modelship.server.triton.Statistics;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import org.jboss.logging.Logger;

import java.util.function.Supplier;


/**
 * The gRPC binding of the Open Inference Protocol, {@code inference.GRPCInferenceService}, with
 * Triton's extensions: statistics, model configuration, the repository and shared memory.
 */
@GrpcService
public class GrpcInferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private static final Logger LOG = Logger.getLogger(GrpcInferenceService.class);

    private final InferenceService service;
    private final SharedMemoryRegions sharedMemory;

    public GrpcInferenceService(InferenceService service, SharedMemoryRegions sharedMemory) {
        this.service = service;
        this.sharedMemory = sharedMemory;
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
        respond(out, () -> {
            service.requireModel(request.getName(), version(request.getVersion()));
            return ModelReadyResponse.newBuilder().setReady(service.ready()).build();
        });
    }

    @Override
    public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
        out.onNext(ServerMetadataResponse.newBuilder().setName(ServerInfo.NAME).setVersion(ServerInfo.version())
                .addAllExtensions(ServerInfo.EXTENSIONS).build());
        out.onCompleted();
    }

    @Override
    public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
        respond(out, () -> {
            service.requireModel(request.getName(), version(request.getVersion()));
            ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
                    .setName(service.modelName()).addVersions(InferenceService.VERSION).setPlatform("onnxruntime_onnx");
            service.signature().inputs().forEach(s -> b.addInputs(tensor(s)));
            service.signature().outputs().forEach(s -> b.addOutputs(tensor(s)));
            return b.build();
        });
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
        InferenceMetrics metrics = service.metrics();
        long start = metrics.started();
        try {
            service.requireModel(request.getModelName(), version(request.getModelVersion()));
            if (!service.accepting()) {
                throw new InferenceException(InferenceException.UNAVAILABLE, "the model is not ready");
            }
            InferRequest decoded = GrpcCodec.decode(request, service.signature(), sharedMemory);
            service.infer(decoded).whenComplete((inference, failure) -> {
                if (failure != null) {
                    fail(failure, out, metrics, start);
                    return;
                }
                ModelInferResponse encoded;
                try {
                    encoded = GrpcCodec.encode(inference.response(), decoded.outputs(), sharedMemory);
                } catch (RuntimeException e) {
                    fail(e, out, metrics, start);
                    return;
                }
                Batcher.Answer answer = inference.answer();
                metrics.succeeded(start, InferenceMetrics.Protocol.grpc, inference.rows(), answer.queueNanos(),
                        answer.times());
                out.onNext(encoded);
                out.onCompleted();
            });
        } catch (RuntimeException e) {
            fail(e, out, metrics, start);
        }
    }

    // ---- Triton's extensions ----------------------------------------------------------

    @Override
    public void modelConfig(ModelConfigRequest request, StreamObserver<ModelConfigResponse> out) {
        respond(out, () -> {
            service.requireModel(request.getName(), version(request.getVersion()));
            return ModelConfigResponse.newBuilder().setConfig(service.configuration().proto()).build();
        });
    }

    @Override
    public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
        respond(out, () -> {
            if (!request.getName().isEmpty()) { // empty: every model, as Triton has it
                service.requireModel(request.getName(), version(request.getVersion()));
            }
            return Statistics.proto(service.modelName(), InferenceService.VERSION, service.metrics().statistics());
        });
    }

    @Override
    public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> out) {
        respond(out, () -> {
            RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
            Repository.index(service.modelName(), InferenceService.VERSION, service.ready(), request.getReady())
                    .forEach(e -> b.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(e.name())
                            .setVersion(e.version()).setState(e.state()).setReason(e.reason())));
            return b.build();
        });
    }

    @Override
    public void repositoryModelLoad(RepositoryModelLoadRequest request, StreamObserver<RepositoryModelLoadResponse> out) {
        respond(out, () -> {
            Repository.load(service.modelName(), request.getModelName(), request.getParametersMap().keySet());
            return RepositoryModelLoadResponse.getDefaultInstance();
        });
    }

    @Override
    public void repositoryModelUnload(RepositoryModelUnloadRequest request,
                                      StreamObserver<RepositoryModelUnloadResponse> out) {
        respond(out, () -> {
            Repository.unload(service.modelName(), request.getModelName());
            return RepositoryModelUnloadResponse.getDefaultInstance();
        });
    }

    @Override
    public void systemSharedMemoryStatus(SystemSharedMemoryStatusRequest request,
                                         StreamObserver<SystemSharedMemoryStatusResponse> out) {
        respond(out, () -> {
            SystemSharedMemoryStatusResponse.Builder b = SystemSharedMemoryStatusResponse.newBuilder();
            sharedMemory.status(request.getName()).forEach(r -> b.putRegions(r.name(),
                    SystemSharedMemoryStatusResponse.RegionStatus.newBuilder().setName(r.name()).setKey(r.key())
                            .setOffset(r.offset()).setByteSize(r.byteSize()).build()));
            return b.build();
        });
    }

    @Override
    public void systemSharedMemoryRegister(SystemSharedMemoryRegisterRequest request,
                                           StreamObserver<SystemSharedMemoryRegisterResponse> out) {
        respond(out, () -> {
            sharedMemory.register(request.getName(), request.getKey(), request.getOffset(), request.getByteSize());
            return SystemSharedMemoryRegisterResponse.getDefaultInstance();
        });
    }

    @Override
    public void systemSharedMemoryUnregister(SystemSharedMemoryUnregisterRequest request,
                                             StreamObserver<SystemSharedMemoryUnregisterResponse> out) {
        respond(out, () -> {
            sharedMemory.unregister(request.getName());
            return SystemSharedMemoryUnregisterResponse.getDefaultInstance();
        });
    }

    @Override
    public void cudaSharedMemoryStatus(CudaSharedMemoryStatusRequest request,
                                       StreamObserver<CudaSharedMemoryStatusResponse> out) {
        respond(out, () -> {
            if (!request.getName().isEmpty()) {
                throw InferenceException.badRequest("CUDA shared memory region '%s' is not registered: this server"
                        + " has no CUDA shared memory", request.getName());
            }
            return CudaSharedMemoryStatusResponse.getDefaultInstance();
        });
    }

    @Override
    public void cudaSharedMemoryRegister(CudaSharedMemoryRegisterRequest request,
                                         StreamObserver<CudaSharedMemoryRegisterResponse> out) {
        respond(out, () -> {
            throw SharedMemoryRegions.cudaUnsupported();
        });
    }

    /** Nothing is ever registered, so unregistering succeeds: clients clean up before they start. */
    @Override
    public void cudaSharedMemoryUnregister(CudaSharedMemoryUnregisterRequest request,
                                           StreamObserver<CudaSharedMemoryUnregisterResponse> out) {
        respond(out, CudaSharedMemoryUnregisterResponse::getDefaultInstance);
    }

    private static String version(String version) {
        return version.isEmpty() ? null : version;
    }

    private static <T> void respond(StreamObserver<T> out, Supplier<T> answer) {
        T response;
        try {
            response = answer.get();
        } catch (InferenceException e) {
            out.onError(status(e).withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        out.onNext(response);
        out.onCompleted();
    }

    private static Status status(InferenceException e) {
        return switch (e.status()) {
            case InferenceException.BAD_REQUEST -> Status.INVALID_ARGUMENT;
            case InferenceException.NOT_FOUND -> Status.NOT_FOUND;
            case InferenceException.PAYLOAD_TOO_LARGE -> Status.RESOURCE_EXHAUSTED;
            case InferenceException.UNAVAILABLE -> Status.UNAVAILABLE;
            default -> Status.INTERNAL;
        };
    }

    private static void fail(Throwable failure, StreamObserver<?> out, InferenceMetrics metrics, long start) {
        InferenceException e = InferenceException.of(failure);
        if (e.isServerFault()) {
            LOG.error("inference failed", e);
        }
        metrics.failed(start, InferenceMetrics.Protocol.grpc, e);
        out.onError(status(e).withDescription(e.getMessage()).asRuntimeException());
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
