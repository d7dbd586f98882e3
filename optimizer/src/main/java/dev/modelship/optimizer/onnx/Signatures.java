package dev.modelship.optimizer.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.modelship.artifact.Manifest.Signature;
import dev.modelship.artifact.Manifest.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The manifest's {@link Signature} of an ONNX model, read from its graph. */
public final class Signatures {

    private Signatures() {
    }

    public static Signature of(ModelProto model) {
        GraphProto graph = model.getGraph();
        Set<String> initializers = new HashSet<>();
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        List<Tensor> inputs = new ArrayList<>();
        for (ValueInfoProto v : graph.getInputList()) {
            if (!initializers.contains(v.getName())) {
                inputs.add(tensor(v));
            }
        }
        List<Tensor> outputs = new ArrayList<>();
        for (ValueInfoProto v : graph.getOutputList()) {
            outputs.add(tensor(v));
        }
        return new Signature(List.copyOf(inputs), List.copyOf(outputs));
    }

    private static Tensor tensor(ValueInfoProto v) {
        if (!v.getType().hasTensorType()) {
            // Sequences and maps (e.g. a ZipMap output) have no V2 datatype.
            return new Tensor(v.getName(), "UNSUPPORTED", List.of());
        }
        var tt = v.getType().getTensorType();
        List<Long> shape = new ArrayList<>();
        if (tt.hasShape()) {
            for (TensorShapeProto.Dimension d : tt.getShape().getDimList()) {
                shape.add(d.hasDimValue() && d.getDimValue() > 0 ? d.getDimValue() : -1L);
            }
        }
        return new Tensor(v.getName(), v2Datatype(tt.getElemType()), List.copyOf(shape));
    }

    public static String v2Datatype(int onnxElemType) {
        TensorProto.DataType type = TensorProto.DataType.forNumber(onnxElemType);
        if (type == null) {
            return "UNSUPPORTED";
        }
        return switch (type) {
            case BOOL -> "BOOL";
            case UINT8 -> "UINT8";
            case UINT16 -> "UINT16";
            case UINT32 -> "UINT32";
            case UINT64 -> "UINT64";
            case INT8 -> "INT8";
            case INT16 -> "INT16";
            case INT32 -> "INT32";
            case INT64 -> "INT64";
            case FLOAT16 -> "FP16";
            case FLOAT -> "FP32";
            case DOUBLE -> "FP64";
            case BFLOAT16 -> "BF16";
            case STRING -> "BYTES";
            default -> "UNSUPPORTED";
        };
    }
}
