package dev.modelship.server.triton;

import dev.modelship.server.grpc.v2.DataType;
import dev.modelship.server.grpc.v2.ModelConfig;
import dev.modelship.server.grpc.v2.ModelDynamicBatching;
import dev.modelship.server.grpc.v2.ModelInput;
import dev.modelship.server.grpc.v2.ModelInstanceGroup;
import dev.modelship.server.grpc.v2.ModelOutput;
import dev.modelship.server.grpc.v2.ModelVersionPolicy;
import dev.modelship.server.model.Datatype;
import dev.modelship.server.model.ModelSignature;
import dev.modelship.server.model.TensorSpec;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Triton's model configuration of the served model, derived from its signature and the batching
 * settings, for tools that size their requests from it (perf_analyzer reads nothing else).
 *
 * <p>As in Triton, a model that can be batched (every input and output has an open first
 * dimension) has {@code max_batch_size} &gt; 0 and {@code dims} without that first dimension; any
 * other model has {@code max_batch_size} 0 and its full shapes. {@code dynamic_batching} is present
 * when the server gathers requests into batches; the batch workers are the instances.
 *
 * @param maxQueueDelayMicros present when requests are batched together
 */
public record ModelConfiguration(String name, String defaultModelFilename, int maxBatchSize, List<Io> inputs,
                                 List<Io> outputs, OptionalLong maxQueueDelayMicros, int instances) {

    public static final String PLATFORM = "onnxruntime_onnx";
    public static final String BACKEND = "onnxruntime";

    /** One input or output: its name, Triton's type name (TYPE_FP32, TYPE_STRING) and dims. */
    public record Io(String name, String dataType, List<Long> dims) {
    }

    /** The batching settings that show in the configuration. */
    public record Batching(int maxBatchSize, java.time.Duration maxQueueDelay, int workers) {
    }

    public static ModelConfiguration of(String name, String modelFile, ModelSignature signature, Batching batching) {
        boolean batchable = signature.batchable();
        int maxBatch = batchable ? Math.max(1, batching.maxBatchSize()) : 0;
        boolean gathers = batchable && batching.maxBatchSize() > 1;
        return new ModelConfiguration(name, modelFile, maxBatch,
                signature.inputs().stream().map(s -> io(s, batchable)).toList(),
                signature.outputs().stream().map(s -> io(s, batchable)).toList(),
                gathers ? OptionalLong.of(batching.maxQueueDelay().toNanos() / 1000) : OptionalLong.empty(),
                Math.max(1, batching.workers()));
    }

    private static Io io(TensorSpec spec, boolean withoutBatchDimension) {
        long[] shape = spec.shape();
        long[] dims = withoutBatchDimension ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
        return new Io(spec.name(), tritonType(spec.datatype()), Arrays.stream(dims).boxed().toList());
    }

    /** Triton's name of a datatype: TYPE_ and the protocol's name, BYTES being TYPE_STRING. */
    static String tritonType(Datatype datatype) {
        return "TYPE_" + (datatype == Datatype.BYTES ? "STRING" : datatype.name());
    }

    /** The REST form: model_config.proto as Triton writes it in JSON (numbers as numbers). */
    public Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("platform", PLATFORM);
        m.put("backend", BACKEND);
        m.put("version_policy", Map.of("latest", Map.of("num_versions", 1)));
        m.put("max_batch_size", maxBatchSize);
        m.put("input", inputs.stream().map(i -> ordered("name", i.name(), "data_type", i.dataType(),
                "format", "FORMAT_NONE", "dims", i.dims())).toList());
        m.put("output", outputs.stream().map(o -> ordered("name", o.name(), "data_type", o.dataType(),
                "dims", o.dims())).toList());
        maxQueueDelayMicros.ifPresent(us -> m.put("dynamic_batching", ordered("preferred_batch_size", List.of(),
                "max_queue_delay_microseconds", us, "preserve_ordering", false)));
        m.put("instance_group", List.of(ordered("name", name, "kind", "KIND_CPU", "count", instances)));
        m.put("default_model_filename", defaultModelFilename);
        return m;
    }

    /** A JSON object with its fields in the order given: name, value, name, value... */
    private static Map<String, Object> ordered(Object... namesAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }

    /** The gRPC form. */
    public ModelConfig proto() {
        ModelConfig.Builder b = ModelConfig.newBuilder().setName(name).setPlatform(PLATFORM).setBackend(BACKEND)
                .setVersionPolicy(ModelVersionPolicy.newBuilder()
                        .setLatest(ModelVersionPolicy.Latest.newBuilder().setNumVersions(1)))
                .setMaxBatchSize(maxBatchSize)
                .addInstanceGroup(ModelInstanceGroup.newBuilder().setName(name)
                        .setKind(ModelInstanceGroup.Kind.KIND_CPU).setCount(instances))
                .setDefaultModelFilename(defaultModelFilename);
        inputs.forEach(i -> b.addInput(ModelInput.newBuilder().setName(i.name())
                .setDataType(DataType.valueOf(i.dataType())).addAllDims(i.dims())));
        outputs.forEach(o -> b.addOutput(ModelOutput.newBuilder().setName(o.name())
                .setDataType(DataType.valueOf(o.dataType())).addAllDims(o.dims())));
        maxQueueDelayMicros.ifPresent(us -> b.setDynamicBatching(
                ModelDynamicBatching.newBuilder().setMaxQueueDelayMicroseconds(us)));
        return b.build();
    }
}
