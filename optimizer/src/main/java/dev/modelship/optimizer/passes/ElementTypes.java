package dev.modelship.optimizer.passes;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The element type of every value in a graph, propagated node by node. Only "is it float32"
 * matters to the float16 pass, so most ops simply pass their data input's type on.
 */
final class ElementTypes {
    private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
    private static final int INT64 = TensorProto.DataType.INT64_VALUE;
    private static final int INT32 = TensorProto.DataType.INT32_VALUE;
    private static final int UINT8 = TensorProto.DataType.UINT8_VALUE;
    private static final int BOOL = TensorProto.DataType.BOOL_VALUE;
    private static final Set<String> TO_INT64 = Set.of("Shape", "Size", "ArgMax", "ArgMin", "NonZero");
    private static final Set<String> TO_BOOL = Set.of("Equal", "Less", "Greater", "LessOrEqual",
            "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf");

    private ElementTypes() {
    }

    static Map<String, Integer> infer(GraphProto graph) {
        Map<String, Integer> type = new HashMap<>();
        for (ValueInfoProto v : graph.getInputList()) {
            type.put(v.getName(), v.getType().getTensorType().getElemType());
        }
        for (ValueInfoProto v : graph.getValueInfoList()) {
            type.put(v.getName(), v.getType().getTensorType().getElemType());
        }
        for (TensorProto t : graph.getInitializerList()) {
            type.put(t.getName(), t.getDataType());
        }
        for (NodeProto n : graph.getNodeList()) {
            String op = n.getOpType();
            int first = n.getInputCount() > 0 ? type.getOrDefault(n.getInput(0), 0) : 0;
            for (int i = 0; i < n.getOutputCount(); i++) {
                String out = n.getOutput(i);
                int t;
                if (op.equals("Cast")) {
                    t = (int) intAttr(n, "to", 0);
                } else if (op.equals("Constant") || op.equals("ConstantOfShape")) {
                    t = constantType(n);
                } else if (TO_INT64.contains(op) || (op.equals("TopK") && i == 1)) {
                    t = INT64;
                } else if (TO_BOOL.contains(op)) {
                    t = BOOL;
                } else if (op.equals("DynamicQuantizeLinear")) {
                    t = i == 1 ? FLOAT : UINT8;
                } else if (op.equals("QuantizeLinear")) {
                    t = n.getInputCount() > 2 ? type.getOrDefault(n.getInput(2), UINT8) : UINT8;
                } else if (op.equals("DequantizeLinear")) {
                    t = FLOAT;
                } else if (op.equals("MatMulInteger") || op.equals("ConvInteger")) {
                    t = INT32;
                } else if (op.equals("Where")) {
                    t = type.getOrDefault(n.getInput(1), 0);
                } else if (n.getDomain().equals("ai.onnx.ml")) {
                    t = mlType(n, i, first);
                } else {
                    t = first;
                }
                type.put(out, t);
            }
        }
        for (ValueInfoProto v : graph.getOutputList()) {
            if (v.getType().getTensorType().getElemType() != 0) {
                type.put(v.getName(), v.getType().getTensorType().getElemType());
            }
        }
        return type;
    }

    private static int mlType(NodeProto n, int output, int first) {
        return switch (n.getOpType()) {
            case "TreeEnsembleClassifier", "LinearClassifier", "SVMClassifier" ->
                    output == 0 ? INT64 : FLOAT;
            case "ArrayFeatureExtractor", "Binarizer", "Imputer" -> first;
            case "ZipMap", "LabelEncoder", "CategoryMapper" -> 0;
            default -> FLOAT; // regressors, Scaler, Normalizer, OneHotEncoder, FeatureVectorizer...
        };
    }

    private static int constantType(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            switch (a.getName()) {
                case "value":
                    return a.getT().getDataType();
                case "value_float":
                case "value_floats":
                    return FLOAT;
                case "value_int":
                case "value_ints":
                    return INT64;
                default:
                    break;
            }
        }
        return n.getOpType().equals("ConstantOfShape") ? FLOAT : 0;
    }

    static long intAttr(NodeProto node, String name, long fallback) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return fallback;
    }
}
