package dev.modelship.optimizer.passes;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.onnx.OnnxModels;
import dev.modelship.optimizer.onnx.Tensors;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantization of MatMul weights, in the form onnxruntime's
 * {@code quantize_dynamic} writes (QOperator, weight_type=QInt8):
 *
 * <pre>
 * x ─ DynamicQuantizeLinear ─ (x_q uint8, x_scale, x_zp)
 * MatMulInteger(x_q, W_q int8, x_zp, W_zp) ─ Cast(float) ─ Mul(· , x_scale·W_scale) ─ y
 * </pre>
 *
 * ONNX Runtime's CPU provider fuses it into DynamicQuantizeMatMul at load. Weights are
 * symmetric int8 ({@code scale = max|W| / 127}, zero point 0, round half to even), one scale
 * per tensor or per output column ({@code perChannel=true}). A Gemm with a constant weight,
 * alpha = beta = 1 and no transposed A becomes the same pattern plus an Add of its bias.
 *
 * <p>A Gather whose data is a constant float initializer (an embedding table) gathers from a
 * uint8 copy of the table instead, as onnxruntime does: onnxruntime quantizes it as an
 * activation, so asymmetric uint8 over [min(w, 0), max(w, 0)], one scale per tensor. Its
 * output stays quantized ({@code y_quantized}) and a DequantizeLinear writes {@code y} before
 * the first consumer that is not quantized (and for a graph output); a quantized MatMul or
 * Gemm that reads it takes the uint8 values with the table's scale and zero point directly.
 * {@code excludeNodes} and {@code excludeOpTypes} (';'-separated) keep nodes in float.
 */
final class QuantizeDynamicPass implements Pass {
    static final String NAME = "quantize-dynamic";
    private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

    private final boolean perChannel;
    private final Set<String> excludeNodes;
    private final Set<String> excludeOpTypes;
    private final Map<String, String> params;

    QuantizeDynamicPass(PassSpec spec) {
        PassParams p = new PassParams(spec, Set.of("perChannel", "excludeNodes", "excludeOpTypes"));
        perChannel = p.bool("perChannel", false);
        excludeNodes = new HashSet<>(p.list("excludeNodes"));
        excludeOpTypes = new HashSet<>(p.list("excludeOpTypes"));
        for (String op : excludeOpTypes) {
            if (!op.equals("MatMul") && !op.equals("Gemm") && !op.equals("Gather")) {
                throw OptimizerException.usage("pass '" + NAME + "': excludeOpTypes takes MatMul, Gemm and Gather, not "
                        + op);
            }
        }
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

    @Override
    public Result apply(ModelProto model) {
        List<String> notes = new ArrayList<>();
        if (OnnxModels.opset(model, "") < 11) {
            notes.add("skipped: the model's ONNX opset " + OnnxModels.opset(model, "")
                    + " is below 11, which DynamicQuantizeLinear needs");
            return Result.onnx(model, notes);
        }
        GraphProto graph = model.getGraph();
        Map<String, TensorProto> initializers = new LinkedHashMap<>();
        graph.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        Set<String> matmulWeights = new HashSet<>();
        for (NodeProto n : graph.getNodeList()) {
            if (n.getDomain().isEmpty() && (n.getOpType().equals("MatMul") || n.getOpType().equals("Gemm"))
                    && n.getInputCount() > 1) {
                matmulWeights.add(n.getInput(1));
            }
        }

        List<NodeProto> nodes = new ArrayList<>();
        Map<String, TensorProto> added = new LinkedHashMap<>();
        Set<String> quantizedActivations = new HashSet<>();
        Set<String> consumedWeights = new HashSet<>();
        // Gather outputs kept in uint8, by their float name; dequantized where a float consumer needs them.
        Map<String, QuantizedValue> gathered = new LinkedHashMap<>();
        Set<String> dequantized = new HashSet<>();
        int quantized = 0;
        int gathers = 0;
        long floatBytes = 0;
        long int8Bytes = 0;
        int index = 0;
        for (NodeProto node : graph.getNodeList()) {
            String name = node.getName().isEmpty() ? node.getOpType() + "_" + index : node.getName();
            index++;
            String op = node.getOpType();
            boolean excluded = excludeNodes.contains(name) || excludeOpTypes.contains(op);
            if (node.getDomain().isEmpty() && op.equals("Gather") && isFloatTable(node, initializers)) {
                TensorProto table = initializers.get(node.getInput(0));
                String why = excluded ? null : gatherUnsupportedReason(table, matmulWeights);
                if (excluded || why != null) {
                    notes.add(excluded ? "kept float (excluded): " + name : "skipped " + name + ": " + why);
                    keep(node, gathered, dequantized, nodes);
                    continue;
                }
                String t = table.getName();
                if (!added.containsKey(t + "_quantized")) {
                    float[] w = Tensors.floats(table);
                    QuantizedTable q = quantizeTable(w);
                    added.put(t + "_scale", Tensors.floatTensor(t + "_scale", new long[0], new float[] {q.scale}));
                    added.put(t + "_zero_point", Tensors.uint8Tensor(t + "_zero_point", new long[0],
                            new byte[] {(byte) q.zeroPoint}));
                    added.put(t + "_quantized", Tensors.uint8Tensor(t + "_quantized", Tensors.dims(table), q.values));
                    floatBytes += 4L * w.length;
                    int8Bytes += w.length + 5L;
                }
                consumedWeights.add(t);
                String y = node.getOutput(0);
                gathered.put(y, new QuantizedValue(y + "_quantized", t + "_scale", t + "_zero_point"));
                nodes.add(node.toBuilder().setInput(0, t + "_quantized").setOutput(0, y + "_quantized").build());
                gathers++;
                continue;
            }
            if (!node.getDomain().isEmpty() || !(op.equals("MatMul") || op.equals("Gemm"))) {
                keep(node, gathered, dequantized, nodes);
                continue;
            }
            if (excluded) {
                notes.add("kept float (excluded): " + name);
                keep(node, gathered, dequantized, nodes);
                continue;
            }
            TensorProto weight = initializers.get(node.getInput(1));
            String why = unsupportedReason(node, weight, initializers);
            if (why != null) {
                notes.add("skipped " + name + ": " + why);
                keep(node, gathered, dequantized, nodes);
                continue;
            }
            float[] w = Tensors.floats(weight);
            long[] dims = Tensors.dims(weight);
            int k = (int) dims[0];
            int n = (int) dims[1];
            if (op.equals("Gemm") && intAttr(node, "transB", 0) == 1) {
                w = transpose(w, k, n);
                int t = k;
                k = n;
                n = t;
            }
            String x = node.getInput(0);
            // A Gather's uint8 output feeds MatMulInteger as it is, with the table's scale and zero point.
            QuantizedValue xq = gathered.get(x);
            if (xq == null) {
                xq = new QuantizedValue(x + "_quantized", x + "_scale", x + "_zero_point");
                if (quantizedActivations.add(x)) {
                    nodes.add(NodeProto.newBuilder().setOpType("DynamicQuantizeLinear").setName(x + "_QuantizeLinear")
                            .addInput(x).addOutput(xq.values).addOutput(xq.scale).addOutput(xq.zeroPoint).build());
                }
            }
            String wName = weight.getName() + (op.equals("Gemm") && intAttr(node, "transB", 0) == 1 ? "_T" : "");
            if (!added.containsKey(wName + "_quantized")) {
                Quantized q = quantize(w, k, n, perChannel);
                long[] scaleDims = perChannel ? new long[] {n} : new long[0];
                added.put(wName + "_quantized", Tensors.int8Tensor(wName + "_quantized", new long[] {k, n}, q.values));
                added.put(wName + "_scale", Tensors.floatTensor(wName + "_scale", scaleDims, q.scales));
                added.put(wName + "_zero_point", Tensors.int8Tensor(wName + "_zero_point", scaleDims,
                        new byte[q.scales.length]));
                floatBytes += 4L * w.length;
                int8Bytes += w.length + 5L * q.scales.length;
            }
            consumedWeights.add(weight.getName());
            String y = node.getOutput(0);
            String matmulOut = op.equals("Gemm") && node.getInputCount() > 2 ? y + "_matmul" : y;
            String scales = name + "_quant_scales_mul:0";
            nodes.add(NodeProto.newBuilder().setOpType("Mul").setName(name + "_quant_scales_mul")
                    .addInput(xq.scale).addInput(wName + "_scale").addOutput(scales).build());
            nodes.add(NodeProto.newBuilder().setOpType("MatMulInteger").setName(name + "_quant")
                    .addInput(xq.values).addInput(wName + "_quantized").addInput(xq.zeroPoint)
                    .addInput(wName + "_zero_point").addOutput(y + "_output_quantized").build());
            nodes.add(NodeProto.newBuilder().setOpType("Cast").setName(y + "_output_quantized_cast")
                    .addInput(y + "_output_quantized").addOutput(y + "_output_quantized_cast_output")
                    .addAttribute(AttributeProto.newBuilder().setName("to").setType(AttributeProto.AttributeType.INT)
                            .setI(FLOAT)).build());
            nodes.add(NodeProto.newBuilder().setOpType("Mul").setName(name + "_quant_output_scale_mul")
                    .addInput(y + "_output_quantized_cast_output").addInput(scales).addOutput(matmulOut).build());
            if (!matmulOut.equals(y)) {
                Set<String> bias = Set.of(node.getInput(2));
                dequantizeUses(bias, gathered, dequantized, nodes);
                nodes.add(NodeProto.newBuilder().setOpType("Add").setName(name + "_bias_add")
                        .addInput(matmulOut).addInput(node.getInput(2)).addOutput(y).build());
            }
            quantized++;
        }
        Set<String> outputs = new LinkedHashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        dequantizeUses(outputs, gathered, dequantized, nodes);

        if (quantized == 0 && gathers == 0) {
            notes.add(0, "no MatMul or Gemm with a constant 2-D float weight, nor Gather from a constant float table,"
                    + " was quantized; model unchanged");
            return Result.onnx(model, notes);
        }
        GraphProto.Builder g = graph.toBuilder().clearNode().addAllNode(nodes).clearInitializer();
        Set<String> stillUsed = new HashSet<>();
        for (NodeProto n : nodes) {
            stillUsed.addAll(n.getInputList());
            stillUsed.addAll(subgraphNames(n));
        }
        graph.getOutputList().forEach(o -> stillUsed.add(o.getName()));
        for (TensorProto t : graph.getInitializerList()) {
            if (!consumedWeights.contains(t.getName()) || stillUsed.contains(t.getName())) {
                g.addInitializer(t);
            }
        }
        g.addAllInitializer(added.values());
        // Old models list initializers as graph inputs too; drop the ones that are gone.
        List<ValueInfoProto> inputs = new ArrayList<>();
        for (ValueInfoProto in : graph.getInputList()) {
            if (!consumedWeights.contains(in.getName()) || stillUsed.contains(in.getName())) {
                inputs.add(in);
            }
        }
        g.clearInput().addAllInput(inputs);
        String what = String.format(java.util.Locale.ROOT, "%d node(s) to int8 (%s)",
                quantized, perChannel ? "per channel" : "per tensor");
        if (gathers > 0) {
            what += String.format(java.util.Locale.ROOT, " and %d Gather(s) to uint8 tables (per tensor)", gathers);
        }
        notes.add(0, String.format(java.util.Locale.ROOT, "quantized %s; weights %d -> %d bytes",
                what, floatBytes, int8Bytes));
        return Result.onnx(model.toBuilder().setGraph(g).build(), notes);
    }

    /** A quantized tensor's three names: the integer values, its scale and its zero point. */
    private record QuantizedValue(String values, String scale, String zeroPoint) {
    }

    private static boolean isFloatTable(NodeProto gather, Map<String, TensorProto> inits) {
        TensorProto t = gather.getInputCount() > 1 ? inits.get(gather.getInput(0)) : null;
        return t != null && t.getDataType() == FLOAT;
    }

    private static String gatherUnsupportedReason(TensorProto table, Set<String> matmulWeights) {
        if (table.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return "its table is not stored in the model";
        }
        if (matmulWeights.contains(table.getName())) {
            // onnxruntime would give the MatMul the Gather's uint8 table; we keep one int8 form per name.
            return "its table " + table.getName() + " is also a MatMul/Gemm weight";
        }
        return null;
    }

    /** Adds a node kept as it is, after a DequantizeLinear for each quantized Gather output it reads. */
    private static void keep(NodeProto node, Map<String, QuantizedValue> gathered, Set<String> dequantized,
                             List<NodeProto> nodes) {
        if (!gathered.isEmpty()) {
            Set<String> reads = new LinkedHashSet<>(node.getInputList());
            reads.addAll(subgraphNames(node));
            dequantizeUses(reads, gathered, dequantized, nodes);
        }
        nodes.add(node);
    }

    private static void dequantizeUses(Set<String> names, Map<String, QuantizedValue> gathered,
                                       Set<String> dequantized, List<NodeProto> nodes) {
        for (String name : names) {
            QuantizedValue q = gathered.get(name);
            if (q != null && dequantized.add(name)) {
                nodes.add(NodeProto.newBuilder().setOpType("DequantizeLinear").setName(name + "_DequantizeLinear")
                        .addInput(q.values).addInput(q.scale).addInput(q.zeroPoint).addOutput(name).build());
            }
        }
    }

    /** Every name a node's subgraphs (If, Loop, Scan bodies) read, which may come from the outer graph. */
    private static Set<String> subgraphNames(NodeProto node) {
        Set<String> names = new HashSet<>();
        for (AttributeProto a : node.getAttributeList()) {
            List<GraphProto> graphs = new ArrayList<>(a.getGraphsList());
            if (a.hasG()) {
                graphs.add(a.getG());
            }
            for (GraphProto sub : graphs) {
                for (NodeProto n : sub.getNodeList()) {
                    names.addAll(n.getInputList());
                    names.addAll(subgraphNames(n));
                }
                sub.getOutputList().forEach(o -> names.add(o.getName()));
            }
        }
        return names;
    }

    private static String unsupportedReason(NodeProto node, TensorProto weight, Map<String, TensorProto> inits) {
        if (node.getInputCount() < 2) {
            return "malformed node";
        }
        if (inits.containsKey(node.getInput(0))) {
            return "first input is constant";
        }
        if (weight == null) {
            return "weight is not a constant initializer";
        }
        if (weight.getDataType() != FLOAT || weight.getDimsCount() != 2
                || weight.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return "weight is not a 2-D float tensor stored in the model";
        }
        if (node.getOpType().equals("Gemm")) {
            if (intAttr(node, "transA", 0) != 0) {
                return "Gemm with transA=1";
            }
            if (floatAttr(node, "alpha", 1f) != 1f || floatAttr(node, "beta", 1f) != 1f) {
                return "Gemm with alpha or beta other than 1";
            }
        }
        return null;
    }

    record Quantized(byte[] values, float[] scales) {
    }

    /** Symmetric int8 as onnxruntime computes it: scale = max|w| / 127, q = rint(w / scale). */
    static Quantized quantize(float[] w, int k, int n, boolean perChannel) {
        float[] scales = new float[perChannel ? n : 1];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
                int s = perChannel ? j : 0;
                scales[s] = Math.max(scales[s], Math.abs(w[i * n + j]));
            }
        }
        for (int s = 0; s < scales.length; s++) {
            scales[s] = scales[s] == 0f ? 1f : scales[s] / 127f;
        }
        byte[] q = new byte[w.length];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
                float scale = scales[perChannel ? j : 0];
                double v = Math.rint(w[i * n + j] / scale);
                q[i * n + j] = (byte) Math.max(-127, Math.min(127, v));
            }
        }
        return new Quantized(q, scales);
    }

    record QuantizedTable(byte[] values, float scale, int zeroPoint) {
    }

    /**
     * Asymmetric uint8 as onnxruntime quantizes an activation-typed initializer: the range
     * [min(w, 0), max(w, 0)] maps to [0, 255]; scale = range / 255 (in double, stored as float),
     * zero point = rint(-min / scale), q = clip(rint(w / scale) + zero point, 0, 255) with the
     * division in float. A range below the smallest normal float gets scale 1 and zero point 0.
     */
    static QuantizedTable quantizeTable(float[] w) {
        float min = 0f;
        float max = 0f;
        for (float v : w) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double range = ((double) max - (double) min) / 255.0;
        float scale;
        int zeroPoint;
        if (range < Float.MIN_NORMAL) {
            scale = 1f;
            zeroPoint = 0;
        } else {
            zeroPoint = (int) Math.rint(-(double) min / range);
            scale = (float) range;
        }
        byte[] q = new byte[w.length];
        for (int i = 0; i < w.length; i++) {
            double v = Math.rint(w[i] / scale) + zeroPoint;
            q[i] = (byte) (int) Math.max(0, Math.min(255, v));
        }
        return new QuantizedTable(q, scale, zeroPoint);
    }

    private static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = w[i * cols + j];
            }
        }
        return t;
    }

    private static long intAttr(NodeProto node, String name, long fallback) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getI();
            }
        }
        return fallback;
    }

    private static float floatAttr(NodeProto node, String name, float fallback) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getF();
            }
        }
        return fallback;
    }
}
