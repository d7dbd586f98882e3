package dev.modelship.server.protocol;

import com.google.protobuf.ByteString;
import dev.modelship.server.grpc.v2.InferParameter;
import dev.modelship.server.grpc.v2.InferTensorContents;
import dev.modelship.server.grpc.v2.ModelInferRequest;
import dev.modelship.server.grpc.v2.ModelInferResponse;
import dev.modelship.server.model.Datatype;
import dev.modelship.server.model.ModelSignature;
import dev.modelship.server.model.TensorSpec;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gRPC form of the protocol: typed {@code contents} or {@code raw_input_contents} in (never
 * both in one request, as the protocol says), and {@code raw_output_contents} out, as Triton
 * answers: Triton's own examples read only those, and KServe's client reads both. An input or
 * output may instead be in a registered shared memory region (Triton's shared memory parameters);
 * such an input has no entry in {@code raw_input_contents}, and such an output an empty one in
 * {@code raw_output_contents}, so that the others keep their positions.
 */
public final class GrpcCodec {

    private GrpcCodec() {
    }

    public static InferRequest decode(ModelInferRequest request, ModelSignature signature) {
        return decode(request, signature, SharedMemory.NONE);
    }

    public static InferRequest decode(ModelInferRequest request, ModelSignature signature, SharedMemory sharedMemory) {
        boolean raw = request.getRawInputContentsCount() > 0;
        List<SharedMemory.Reference> sources = new ArrayList<>(request.getInputsCount());
        int withData = 0;
        for (ModelInferRequest.InferInputTensor in : request.getInputsList()) {
            SharedMemory.Reference source = reference(in.getParametersMap(), "input '" + in.getName() + "'");
            sources.add(source);
            if (source == null) {
                withData++;
            } else if (in.hasContents()) {
                throw InferenceException.badRequest("input '%s' is in shared memory and must not also have contents",
                        in.getName());
            }
            if (raw && in.hasContents()) {
                throw InferenceException.badRequest("input '%s' has typed contents and the request has"
                        + " raw_input_contents; a request gives its tensors one way or the other", in.getName());
            }
        }
        if (raw && request.getRawInputContentsCount() != withData) {
            throw InferenceException.badRequest("raw_input_contents has %d entries for %d inputs not in shared memory",
                    request.getRawInputContentsCount(), withData);
        }
        int nextRaw = 0;
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            String name = in.getName();
            if (inputs.containsKey(name)) {
                throw InferenceException.badRequest("input '%s' is given twice", name);
            }
            TensorSpec spec = signature.input(name).orElseThrow(() -> InferenceException.badRequest(
                    "unknown input '%s'; the model's inputs are %s", name, RestCodec.names(signature.inputs())));
            Datatype datatype = Datatype.parse(in.getDatatype()).orElseThrow(() -> InferenceException.badRequest(
                    "input '%s': '%s' is not a datatype of the protocol", name, in.getDatatype()));
            long[] shape = in.getShapeList().stream().mapToLong(Long::longValue).toArray();
            for (long d : shape) {
                if (d < 0) {
                    throw InferenceException.badRequest("input '%s': shape %s must hold non-negative integers",
                            name, Arrays.toString(shape));
                }
            }
            RestCodec.checkSize(name, shape);
            RestCodec.checkAgainstSpec(name, datatype, shape, spec);
            SharedMemory.Reference source = sources.get(i);
            Tensor t;
            if (source != null) {
                t = BinaryTensors.read(name, datatype, shape, sharedMemory.read(source));
            } else if (raw) {
                t = BinaryTensors.read(name, datatype, shape, request.getRawInputContents(nextRaw++).asReadOnlyByteBuffer());
            } else {
                t = fromContents(name, datatype, shape, in.getContents());
            }
            inputs.put(name, t);
        }
        RestCodec.requireAllInputs(inputs, signature);
        List<InferRequest.RequestedOutput> outputs = new ArrayList<>();
        for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
            signature.output(o.getName()).orElseThrow(() -> InferenceException.badRequest(
                    "unknown output '%s'; the model's outputs are %s", o.getName(), RestCodec.names(signature.outputs())));
            SharedMemory.Reference target = reference(o.getParametersMap(), "output '" + o.getName() + "'");
            if (target != null) {
                sharedMemory.check(target);
            }
            outputs.add(new InferRequest.RequestedOutput(o.getName(), true, target));
        }
        return new InferRequest(request.getId().isEmpty() ? null : request.getId(), inputs, outputs, true);
    }

    /** Triton's shared_memory_region, shared_memory_offset and shared_memory_byte_size parameters, or null. */
    private static SharedMemory.Reference reference(Map<String, InferParameter> params, String what) {
        InferParameter region = params.get("shared_memory_region");
        if (region == null) {
            return null;
        }
        if (region.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.STRING_PARAM) {
            throw InferenceException.badRequest("%s: shared_memory_region must be a string_param", what);
        }
        long size = integer(params.get("shared_memory_byte_size"), "shared_memory_byte_size", what, true);
        long offset = integer(params.get("shared_memory_offset"), "shared_memory_offset", what, false);
        return new SharedMemory.Reference(region.getStringParam(), offset, size);
    }

    private static long integer(InferParameter p, String field, String what, boolean required) {
        if (p == null) {
            if (required) {
                throw InferenceException.badRequest("%s: %s must be given with shared_memory_region", what, field);
            }
            return 0;
        }
        long v = switch (p.getParameterChoiceCase()) {
            case INT64_PARAM -> p.getInt64Param();
            case UINT64_PARAM -> p.getUint64Param();
            default -> throw InferenceException.badRequest("%s: %s must be an int64_param", what, field);
        };
        if (v < 0) {
            throw InferenceException.badRequest("%s: %s must not be negative", what, field);
        }
        return v;
    }

    public static ModelInferResponse encode(InferResponse response) {
        return encode(response, List.of(), SharedMemory.NONE);
    }

    /** Every output in raw_output_contents, or written to its shared memory region when asked. */
    public static ModelInferResponse encode(InferResponse response, List<InferRequest.RequestedOutput> requested,
                                            SharedMemory sharedMemory) {
        Map<String, SharedMemory.Reference> inSharedMemory = new LinkedHashMap<>();
        requested.stream().filter(o -> o.sharedMemory() != null)
                .forEach(o -> inSharedMemory.put(o.name(), o.sharedMemory()));
        ModelInferResponse.Builder b = ModelInferResponse.newBuilder()
                .setModelName(response.modelName())
                .setModelVersion(response.modelVersion());
        if (response.id() != null) {
            b.setId(response.id());
        }
        for (Map.Entry<String, Tensor> e : response.outputs().entrySet()) {
            Tensor t = e.getValue();
            ModelInferResponse.InferOutputTensor.Builder o = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(e.getKey())
                    .setDatatype(t.datatype().name());
            for (long d : t.shape()) {
                o.addShape(d);
            }
            byte[] bytes = BinaryTensors.toBytes(t);
            SharedMemory.Reference target = inSharedMemory.get(e.getKey());
            if (target != null) {
                sharedMemory.write(target, e.getKey(), bytes);
                o.putParameters("shared_memory_region", InferParameter.newBuilder().setStringParam(target.region()).build());
                o.putParameters("shared_memory_byte_size", InferParameter.newBuilder().setInt64Param(bytes.length).build());
                if (target.offset() != 0) {
                    o.putParameters("shared_memory_offset", InferParameter.newBuilder().setInt64Param(target.offset()).build());
                }
                b.addRawOutputContents(ByteString.EMPTY);
            } else {
                b.addRawOutputContents(ByteString.copyFrom(bytes));
            }
            b.addOutputs(o);
        }
        return b.build();
    }

    private static Tensor fromContents(String name, Datatype datatype, long[] shape, InferTensorContents c) {
        int count = (int) Tensor.elementCount(shape);
        if (datatype == Datatype.BYTES) {
            requireCount(name, shape, c.getBytesContentsCount(), count, "bytes_contents");
            byte[][] e = new byte[count][];
            for (int i = 0; i < count; i++) {
                e[i] = c.getBytesContents(i).toByteArray();
            }
            BinaryTensors.requireUtf8(name, e);
            return Tensor.ofElements(shape, e);
        }
        // The count is checked before allocating, so a declared shape alone never sizes a buffer.
        switch (datatype) {
            case BOOL -> requireCount(name, shape, c.getBoolContentsCount(), count, "bool_contents");
            case INT8, INT16, INT32 -> requireCount(name, shape, c.getIntContentsCount(), count, "int_contents");
            case INT64 -> requireCount(name, shape, c.getInt64ContentsCount(), count, "int64_contents");
            case UINT8, UINT16, UINT32 -> requireCount(name, shape, c.getUintContentsCount(), count, "uint_contents");
            case UINT64 -> requireCount(name, shape, c.getUint64ContentsCount(), count, "uint64_contents");
            case FP32 -> requireCount(name, shape, c.getFp32ContentsCount(), count, "fp32_contents");
            case FP64 -> requireCount(name, shape, c.getFp64ContentsCount(), count, "fp64_contents");
            default -> throw InferenceException.badRequest(
                    "input '%s': %s has no typed contents field; send it in raw_input_contents", name, datatype);
        }
        ByteBuffer out = ByteBuffer.allocate(count * datatype.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (datatype) {
            case BOOL -> c.getBoolContentsList().forEach(v -> out.put((byte) (v ? 1 : 0)));
            case INT8, INT16, INT32 -> c.getIntContentsList()
                    .forEach(v -> TensorValues.putIntegral(out, datatype, BigInteger.valueOf(v), name));
            case INT64 -> c.getInt64ContentsList().forEach(out::putLong);
            case UINT8, UINT16, UINT32 -> c.getUintContentsList().forEach(v -> TensorValues.putIntegral(out, datatype,
                    BigInteger.valueOf(Integer.toUnsignedLong(v)), name));
            case UINT64 -> c.getUint64ContentsList().forEach(out::putLong);
            case FP32 -> c.getFp32ContentsList().forEach(out::putFloat);
            case FP64 -> c.getFp64ContentsList().forEach(out::putDouble);
            default -> throw new IllegalStateException(datatype + " was refused above");
        }
        out.flip();
        return Tensor.ofBytes(datatype, shape, out);
    }

    private static void requireCount(String name, long[] shape, int given, int count, String field) {
        if (given != count) {
            throw InferenceException.badRequest("input '%s' has %d values in %s but shape %s needs %d",
                    name, given, field, Arrays.toString(shape), count);
        }
    }
}
