package dev.modelship.server.protocol;

import com.google.protobuf.ByteString;
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
 * The gRPC form of the protocol: typed {@code contents} or {@code raw_input_contents}
 * in, and the same form back out. FP16 and BF16 have no typed field, so a response
 * holding them is always raw, as Triton does.
 */
public final class GrpcCodec {

    private GrpcCodec() {
    }

    public static InferRequest decode(ModelInferRequest request, ModelSignature signature) {
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw InferenceException.badRequest("raw_input_contents has %d entries for %d inputs",
                    request.getRawInputContentsCount(), request.getInputsCount());
        }
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
            Tensor t = raw
                    ? BinaryTensors.read(name, datatype, shape, request.getRawInputContents(i).asReadOnlyByteBuffer())
                    : fromContents(name, datatype, shape, in.getContents());
            inputs.put(name, t);
        }
        RestCodec.requireAllInputs(inputs, signature);
        List<InferRequest.RequestedOutput> outputs = new ArrayList<>();
        for (ModelInferRequest.InferRequestedOutputTensor o : request.getOutputsList()) {
            signature.output(o.getName()).orElseThrow(() -> InferenceException.badRequest(
                    "unknown output '%s'; the model's outputs are %s", o.getName(), RestCodec.names(signature.outputs())));
            outputs.add(new InferRequest.RequestedOutput(o.getName(), raw));
        }
        return new InferRequest(request.getId().isEmpty() ? null : request.getId(), inputs, outputs, raw);
    }

    public static ModelInferResponse encode(InferResponse response, boolean raw) {
        boolean useRaw = raw || response.outputs().values().stream()
                .anyMatch(t -> t.datatype() == Datatype.FP16 || t.datatype() == Datatype.BF16);
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
            if (useRaw) {
                b.addRawOutputContents(ByteString.copyFrom(BinaryTensors.toBytes(t)));
            } else {
                o.setContents(toContents(t));
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
        ByteBuffer out = ByteBuffer.allocateDirect(count * datatype.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
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

    private static InferTensorContents toContents(Tensor t) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        if (t.datatype() == Datatype.BYTES) {
            for (byte[] e : t.elements()) {
                c.addBytesContents(ByteString.copyFrom(e));
            }
            return c.build();
        }
        ByteBuffer in = t.data();
        int n = (int) t.elementCount();
        for (int i = 0; i < n; i++) {
            Object v = TensorValues.get(in, t.datatype(), i);
            switch (t.datatype()) {
                case BOOL -> c.addBoolContents((Boolean) v);
                case INT8, INT16, INT32 -> c.addIntContents(((Number) v).intValue());
                case INT64 -> c.addInt64Contents((Long) v);
                case UINT8, UINT16, UINT32 -> c.addUintContents((int) ((Number) v).longValue());
                case UINT64 -> c.addUint64Contents(((BigInteger) v).longValue());
                case FP32 -> c.addFp32Contents((Float) v);
                case FP64 -> c.addFp64Contents((Double) v);
                default -> throw new IllegalStateException(t.datatype() + " goes raw");
            }
        }
        return c.build();
    }
}
