package dev.modelship.optimizer.passes;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.onnx.Float16;
import dev.modelship.optimizer.onnx.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Weights and compute in float16; float32 inputs and outputs are kept, with Cast at the
 * edges. Ops on the block list (every {@code ai.onnx.ml} op, ops whose float inputs must
 * stay float32, plus the user's {@code blockList}, ';'-separated) run in float32 with Casts
 * around them. Weights beyond float16's range are clamped to ±65504 and counted in the notes.
 */
final class Float16Pass implements Pass {
    static final String NAME = "float16";
    /** After onnxconverter-common's default list: ops without float16 kernels or that need float32 inputs. */
    static final Set<String> DEFAULT_BLOCK = Set.of("ArrayFeatureExtractor", "Binarizer", "CastMap",
            "CategoryMapper", "DictVectorizer", "FeatureVectorizer", "Imputer", "LabelEncoder",
            "LinearClassifier", "LinearRegressor", "Normalizer", "OneHotEncoder", "RandomUniformLike",
            "SVMClassifier", "SVMRegressor", "Scaler", "TreeEnsembleClassifier", "TreeEnsembleRegressor",
            "ZipMap", "NonMaxSuppression", "TopK", "RoiAlign", "Resize", "Range", "CumSum", "Min", "Max",
            "Upsample");
    private static final int F32 = TensorProto.DataType.FLOAT_VALUE;
    private static final int F16 = TensorProto.DataType.FLOAT16_VALUE;

    private final Set<String> blockList;
    private final Map<String, String> params;

    Float16Pass(PassSpec spec) {
        PassParams p = new PassParams(spec, Set.of("blockList"));
        blockList = new HashSet<>(p.list("blockList"));
        params = p.asRun();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> params() {
        return params;
    }

    private boolean blocked(NodeProto n) {
        return n.getDomain().equals("ai.onnx.ml") || DEFAULT_BLOCK.contains(n.getOpType())
                || blockList.contains(n.getOpType()) || blockList.contains(n.getName());
    }

    @Override
    public Result apply(ModelProto model) {
        GraphProto graph = model.getGraph();
        for (NodeProto n : graph.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG() || a.getGraphsCount() > 0) {
                    throw OptimizerException.badModel("pass 'float16': node '" + n.getName() + "' (" + n.getOpType()
                            + ") has a subgraph, which this pass does not convert; block it with blockList="
                            + n.getOpType());
                }
            }
        }
        Map<String, Integer> type = ElementTypes.infer(graph);
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        graph.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Set<String> graphInputs = new HashSet<>();
        graph.getInputList().forEach(v -> graphInputs.add(v.getName()));

        // Which float initializers some non-blocked node reads: those become float16.
        Set<String> readInHalf = new HashSet<>();
        for (NodeProto n : graph.getNodeList()) {
            if (!blocked(n)) {
                readInHalf.addAll(n.getInputList());
            }
        }
        // The new element type of every float value.
        Map<String, Integer> now = new HashMap<>();
        List<TensorProto> newInits = new ArrayList<>();
        int clamped = 0;
        int converted = 0;
        for (TensorProto t : inits.values()) {
            if (t.getDataType() == F32 && readInHalf.contains(t.getName())) {
                float[] v = Tensors.floats(t);
                ByteBuffer buf = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    if (Math.abs(f) > Float16.MAX) {
                        clamped++;
                        f = Math.copySign(Float16.MAX, f);
                    }
                    buf.putShort(Float16.fromFloat(f));
                }
                newInits.add(t.toBuilder().clearFloatData().setDataType(F16)
                        .setRawData(ByteString.copyFrom(buf.array())).build());
                now.put(t.getName(), F16);
                converted++;
            } else {
                newInits.add(t);
                if (t.getDataType() == F32) {
                    now.put(t.getName(), F32);
                }
            }
        }
        for (String in : graphInputs) {
            if (!inits.containsKey(in) && type.getOrDefault(in, 0) == F32) {
                now.put(in, F32);
            }
        }

        List<NodeProto> nodes = new ArrayList<>();
        Map<String, String> casts = new HashMap<>();
        int blockedCount = 0;
        int halfNodes = 0;
        for (NodeProto n : graph.getNodeList()) {
            boolean block = blocked(n);
            blockedCount += block ? 1 : 0;
            int want = block ? F32 : F16;
            NodeProto.Builder b = n.toBuilder();
            // A Cast takes any input type: it needs no Cast in front (Cast-to-float becomes Cast-to-half).
            boolean anyInput = n.getOpType().equals("Cast") && n.getDomain().isEmpty();
            for (int i = 0; i < n.getInputCount() && !anyInput; i++) {
                String in = n.getInput(i);
                Integer has = now.get(in);
                if (has != null && has != want) {
                    b.setInput(i, cast(in, has, want, nodes, casts));
                }
            }
            if (!block) {
                convertConstants(b);
            }
            for (String out : n.getOutputList()) {
                if (type.getOrDefault(out, 0) == F32) {
                    now.put(out, want);
                    halfNodes += block ? 0 : 1;
                }
            }
            nodes.add(b.build());
        }
        // Graph outputs keep float32: the last float16 value is renamed and cast back.
        Map<String, String> rename = new HashMap<>();
        for (ValueInfoProto out : graph.getOutputList()) {
            if (now.getOrDefault(out.getName(), 0) == F16) {
                rename.put(out.getName(), out.getName() + "_fp16");
            }
        }
        List<NodeProto> finalNodes = new ArrayList<>();
        for (NodeProto n : nodes) {
            NodeProto.Builder b = n.toBuilder();
            for (int i = 0; i < b.getInputCount(); i++) {
                b.setInput(i, rename.getOrDefault(b.getInput(i), b.getInput(i)));
            }
            for (int i = 0; i < b.getOutputCount(); i++) {
                b.setOutput(i, rename.getOrDefault(b.getOutput(i), b.getOutput(i)));
            }
            finalNodes.add(b.build());
        }
        for (var e : rename.entrySet()) {
            finalNodes.add(castNode(e.getValue(), e.getKey(), F32));
        }
        GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(finalNodes)
                .clearInitializer().addAllInitializer(newInits)
                // Intermediate type annotations would now be wrong; they are optional.
                .clearValueInfo();
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "%d weight tensor(s) in float16; %d node(s) kept in float32 (block list)",
                converted, blockedCount));
        if (clamped > 0) {
            notes.add(clamped + " weight value(s) beyond ±65504 clamped");
        }
        if (halfNodes == 0) {
            notes.add("no node would compute in float16 (block list, or no float math): model unchanged");
            return Result.onnx(model, notes);
        }
        return Result.onnx(model.toBuilder().setGraph(g).build(), notes);
    }

    private static String cast(String in, int from, int to, List<NodeProto> nodes, Map<String, String> casts) {
        String key = in + "->" + to;
        String name = casts.get(key);
        if (name == null) {
            name = in + (to == F32 ? "_to_fp32" : "_to_fp16");
            nodes.add(castNode(in, name, to));
            casts.put(key, name);
        }
        return name;
    }

    private static NodeProto castNode(String in, String out, int to) {
        return NodeProto.newBuilder().setOpType("Cast").setName(out + "_cast").addInput(in).addOutput(out)
                .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT).setI(to))
                .build();
    }

    /** Cast-to-float and float constants inside converted nodes produce float16 instead. */
    private static void convertConstants(NodeProto.Builder b) {
        for (int i = 0; i < b.getAttributeCount(); i++) {
            AttributeProto a = b.getAttribute(i);
            if (b.getOpType().equals("Cast") && a.getName().equals("to") && a.getI() == F32) {
                b.setAttribute(i, a.toBuilder().setI(F16));
            } else if (a.hasT() && a.getT().getDataType() == F32
                    && (b.getOpType().equals("Constant") || b.getOpType().equals("ConstantOfShape"))) {
                float[] v = Tensors.floats(a.getT());
                ByteBuffer buf = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    buf.putShort(Float16.fromFloat(Math.max(-Float16.MAX, Math.min(Float16.MAX, f))));
                }
                b.setAttribute(i, a.toBuilder().setT(a.getT().toBuilder().clearFloatData().setDataType(F16)
                        .setRawData(ByteString.copyFrom(buf.array()))));
            } else if (b.getOpType().equals("Constant") && a.getName().equals("value_float")) {
                b.setAttribute(i, AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(TensorProto.newBuilder().setDataType(F16)
                                .setRawData(ByteString.copyFrom(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN)
                                        .putShort(Float16.fromFloat(a.getF())).array()))));
            }
        }
    }
}
