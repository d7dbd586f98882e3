package dev.modelship.optimizer.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import dev.modelship.optimizer.OptimizerException;
import java.util.HashSet;
import java.util.Set;

/** Reads ONNX models with the generated protobuf classes and checks what a runtime relies on. */
public final class OnnxModels {
    /** The newest IR version ONNX Runtime 1.23 loads. */
    public static final long MAX_IR_VERSION = 11;

    private OnnxModels() {
    }

    /** Parses and checks a model; any problem is a {@code BAD_MODEL} error naming it. */
    public static ModelProto parse(byte[] bytes) {
        ModelProto model;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setRecursionLimit(1000);
            // Protobuf's default 2 GiB limit would refuse nothing an array can hold anyway.
            in.setSizeLimit(Integer.MAX_VALUE);
            model = ModelProto.parseFrom(in);
        } catch (IOException e) {
            throw OptimizerException.badModel("not a readable ONNX model (truncated or corrupt protobuf): "
                    + e.getMessage());
        }
        check(model);
        return model;
    }

    /** The checks an ONNX source passes before any work: IR version, opsets, inputs and outputs. */
    public static void check(ModelProto model) {
        if (model.getIrVersion() < 3 || model.getIrVersion() > MAX_IR_VERSION) {
            throw OptimizerException.badModel("unsupported ONNX IR version " + model.getIrVersion()
                    + " (supported: 3.." + MAX_IR_VERSION + ")");
        }
        if (model.getOpsetImportCount() == 0) {
            throw OptimizerException.badModel("ONNX model declares no opset_import");
        }
        for (OperatorSetIdProto opset : model.getOpsetImportList()) {
            if (opset.getVersion() <= 0) {
                throw OptimizerException.badModel("opset for domain '" + opset.getDomain()
                        + "' has invalid version " + opset.getVersion());
            }
        }
        GraphProto graph = model.getGraph();
        if (graph.getNodeCount() == 0) {
            throw OptimizerException.badModel("ONNX graph has no nodes (an empty or truncated file?)");
        }
        Set<String> initializers = new HashSet<>();
        graph.getInitializerList().forEach(t -> initializers.add(t.getName()));
        Set<String> available = new HashSet<>(initializers);
        boolean hasInput = false;
        for (ValueInfoProto input : graph.getInputList()) {
            available.add(input.getName());
            if (!initializers.contains(input.getName())) {
                hasInput = true;
                if (!input.getType().hasTensorType()) {
                    throw OptimizerException.badModel("input '" + input.getName() + "' is not a tensor");
                }
            }
        }
        if (!hasInput) {
            throw OptimizerException.badModel("ONNX graph declares no inputs");
        }
        if (graph.getOutputCount() == 0) {
            throw OptimizerException.badModel("ONNX graph declares no outputs");
        }
        for (NodeProto node : graph.getNodeList()) {
            available.addAll(node.getOutputList());
        }
        for (ValueInfoProto output : graph.getOutputList()) {
            if (!available.contains(output.getName())) {
                throw OptimizerException.badModel("declared output '" + output.getName()
                        + "' is produced by no node");
            }
        }
        for (TensorProto t : graph.getInitializerList()) {
            if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.getDataLocation()
                    != TensorProto.DataLocation.EXTERNAL) {
                float[] values = Tensors.floats(t);
                for (float v : values) {
                    if (!Float.isFinite(v)) {
                        throw OptimizerException.badModel("weight '" + t.getName()
                                + "' holds NaN or infinite values");
                    }
                }
            }
        }
    }

    public static long opset(ModelProto model, String domain) {
        for (OperatorSetIdProto opset : model.getOpsetImportList()) {
            String d = opset.getDomain();
            if (d.equals(domain) || (domain.isEmpty() && d.equals("ai.onnx"))) {
                return opset.getVersion();
            }
        }
        return -1;
    }
}
