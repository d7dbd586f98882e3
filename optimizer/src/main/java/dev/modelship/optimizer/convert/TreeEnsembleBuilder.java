package dev.modelship.optimizer.convert;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.modelship.optimizer.OptimizerException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects decision trees in the layout of ONNX's {@code ai.onnx.ml.TreeEnsembleRegressor}
 * and {@code TreeEnsembleClassifier} and writes the model. Both converters fill it; the
 * semantics of a node (which side a comparison or a NaN takes) are theirs to decide.
 */
public final class TreeEnsembleBuilder {
    public static final String INPUT = "input";
    public static final String REGRESSOR_OUTPUT = "variable";
    public static final String LABEL_OUTPUT = "label";
    public static final String PROBABILITIES_OUTPUT = "probabilities";

    /** How the summed leaf values become the output (ONNX's post_transform). */
    public enum PostTransform { NONE, LOGISTIC, SOFTMAX }

    /** A comparison mode: the "true" branch is taken when {@code x MODE threshold}. */
    public enum Mode { BRANCH_LT, BRANCH_LEQ, BRANCH_EQ }

    private final List<Long> treeIds = new ArrayList<>();
    private final List<Long> nodeIds = new ArrayList<>();
    private final List<Long> featureIds = new ArrayList<>();
    private final List<String> modes = new ArrayList<>();
    private final List<Double> values = new ArrayList<>();
    private final List<Long> trueIds = new ArrayList<>();
    private final List<Long> falseIds = new ArrayList<>();
    private final List<Long> missingTracksTrue = new ArrayList<>();

    private final List<Long> leafTreeIds = new ArrayList<>();
    private final List<Long> leafNodeIds = new ArrayList<>();
    private final List<Long> leafTargets = new ArrayList<>();
    private final List<Double> leafWeights = new ArrayList<>();

    private final int numFeatures;
    private final boolean doublePrecision;

    /**
     * @param doublePrecision compare and sum in float64 (thresholds and leaf values kept as
     *     doubles; the float input is cast to double first), for libraries that do (LightGBM).
     *     Otherwise everything is float32, as XGBoost computes.
     */
    public TreeEnsembleBuilder(int numFeatures, boolean doublePrecision) {
        if (numFeatures <= 0) {
            throw OptimizerException.badModel("model declares " + numFeatures + " features");
        }
        this.numFeatures = numFeatures;
        this.doublePrecision = doublePrecision;
    }

    public void branch(int tree, int node, int feature, double threshold, Mode mode, int trueNode,
                       int falseNode, boolean missingGoesTrue) {
        if (feature < 0 || feature >= numFeatures) {
            throw OptimizerException.badModel("tree " + tree + " node " + node + " splits on feature "
                    + feature + " but the model has " + numFeatures + " features");
        }
        if (Double.isNaN(threshold)) {
            throw OptimizerException.badModel("tree " + tree + " node " + node + " has threshold " + threshold);
        }
        treeIds.add((long) tree);
        nodeIds.add((long) node);
        featureIds.add((long) feature);
        modes.add(mode.name());
        values.add(threshold);
        trueIds.add((long) trueNode);
        falseIds.add((long) falseNode);
        missingTracksTrue.add(missingGoesTrue ? 1L : 0L);
    }

    /**
     * A set split as a chain of BRANCH_EQ nodes: a value equal to one of {@code categories}
     * goes to {@code inSet}, any other value to {@code notInSet}; NaN goes to {@code inSet}
     * when {@code nanInSet}, else to {@code notInSet}. Extra node ids are taken from
     * {@code nextId[0]}, which is advanced.
     */
    public void categorical(int tree, int node, int feature, int[] categories, int inSet, int notInSet,
                            boolean nanInSet, int[] nextId) {
        if (categories.length == 0) {
            // An empty set: nothing matches (no category is this large).
            branch(tree, node, feature, Float.MAX_VALUE, Mode.BRANCH_EQ, inSet, notInSet, nanInSet);
            return;
        }
        int id = node;
        for (int k = 0; k < categories.length; k++) {
            boolean last = k == categories.length - 1;
            int next = last ? notInSet : nextId[0]++;
            // NaN is routed once, at the first node of the chain.
            branch(tree, id, feature, categories[k], Mode.BRANCH_EQ, inSet, next, k == 0 && nanInSet);
            id = next;
        }
    }

    public void leaf(int tree, int node, int target, double weight) {
        if (!Double.isFinite(weight)) {
            throw OptimizerException.badModel("tree " + tree + " leaf " + node + " has value " + weight);
        }
        treeIds.add((long) tree);
        nodeIds.add((long) node);
        featureIds.add(0L);
        modes.add("LEAF");
        values.add(0.0);
        trueIds.add(0L);
        falseIds.add(0L);
        missingTracksTrue.add(0L);
        leafTreeIds.add((long) tree);
        leafNodeIds.add((long) node);
        leafTargets.add((long) target);
        leafWeights.add(weight);
    }

    /** A regressor with {@code targets} outputs in one float tensor [N, targets]. */
    public ModelProto regressor(int targets, PostTransform post, double[] baseValues, String producer) {
        NodeProto.Builder node = treeNode("TreeEnsembleRegressor", post, baseValues)
                .addOutput(REGRESSOR_OUTPUT)
                .addAttribute(ints("target_treeids", leafTreeIds))
                .addAttribute(ints("target_nodeids", leafNodeIds))
                .addAttribute(ints("target_ids", leafTargets))
                .addAttribute(reals("target_weights", leafWeights))
                .addAttribute(AttributeProto.newBuilder().setName("n_targets").setType(AttributeProto.AttributeType.INT)
                        .setI(targets));
        GraphProto.Builder graph = graph(producer, node)
                .addOutput(valueInfo(REGRESSOR_OUTPUT, TensorProto.DataType.FLOAT, -1, targets));
        return model(graph, producer);
    }

    /**
     * A classifier: int64 labels [N] and float probabilities [N, classes]. For two classes
     * with every leaf on class 0, ONNX Runtime treats the score as the positive class's.
     */
    public ModelProto classifier(int classes, PostTransform post, double[] baseValues, String producer) {
        List<Long> labels = new ArrayList<>();
        for (long c = 0; c < classes; c++) {
            labels.add(c);
        }
        NodeProto.Builder node = treeNode("TreeEnsembleClassifier", post, baseValues)
                .addOutput(LABEL_OUTPUT)
                .addOutput(PROBABILITIES_OUTPUT)
                .addAttribute(ints("class_treeids", leafTreeIds))
                .addAttribute(ints("class_nodeids", leafNodeIds))
                .addAttribute(ints("class_ids", leafTargets))
                .addAttribute(reals("class_weights", leafWeights))
                .addAttribute(ints("classlabels_int64s", labels));
        GraphProto.Builder graph = graph(producer, node)
                .addOutput(valueInfo(LABEL_OUTPUT, TensorProto.DataType.INT64, -1))
                .addOutput(valueInfo(PROBABILITIES_OUTPUT, TensorProto.DataType.FLOAT, -1, classes));
        return model(graph, producer);
    }

    /** The float input, cast to double first in double precision, then the tree node. */
    private GraphProto.Builder graph(String producer, NodeProto.Builder tree) {
        GraphProto.Builder g = GraphProto.newBuilder().setName(producer)
                .addInput(valueInfo(INPUT, TensorProto.DataType.FLOAT, -1, numFeatures));
        if (doublePrecision) {
            g.addNode(NodeProto.newBuilder().setOpType("Cast").setName("input_to_double").addInput(INPUT)
                    .addOutput(INPUT + "_as_double").addAttribute(AttributeProto.newBuilder().setName("to")
                            .setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.DOUBLE_VALUE)));
        }
        return g.addNode(tree);
    }

    /** Appends a unary op (e.g. Exp for log-link objectives) after a regressor's output. */
    public static ModelProto withOutputOp(ModelProto model, String opType) {
        GraphProto.Builder g = model.getGraph().toBuilder();
        String raw = REGRESSOR_OUTPUT + "_margin";
        NodeProto.Builder tree = g.getNodeBuilder(g.getNodeCount() - 1);
        tree.setOutput(0, raw);
        g.addNode(NodeProto.newBuilder().setOpType(opType).setName(opType).addInput(raw).addOutput(REGRESSOR_OUTPUT));
        return model.toBuilder().setGraph(g).build();
    }

    private NodeProto.Builder treeNode(String op, PostTransform post, double[] baseValues) {
        if (treeIds.isEmpty()) {
            throw OptimizerException.badModel("the model has no trees");
        }
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setDomain("ai.onnx.ml").setName(op)
                .addInput(doublePrecision ? INPUT + "_as_double" : INPUT)
                .addAttribute(ints("nodes_treeids", treeIds))
                .addAttribute(ints("nodes_nodeids", nodeIds))
                .addAttribute(ints("nodes_featureids", featureIds))
                .addAttribute(strings("nodes_modes", modes))
                .addAttribute(reals("nodes_values", values))
                .addAttribute(ints("nodes_truenodeids", trueIds))
                .addAttribute(ints("nodes_falsenodeids", falseIds))
                .addAttribute(ints("nodes_missing_value_tracks_true", missingTracksTrue))
                .addAttribute(AttributeProto.newBuilder().setName("post_transform")
                        .setType(AttributeProto.AttributeType.STRING)
                        .setS(ByteString.copyFromUtf8(post.name())));
        if (baseValues != null && baseValues.length > 0) {
            List<Double> base = new ArrayList<>();
            for (double v : baseValues) {
                base.add(v);
            }
            b.addAttribute(reals("base_values", base));
        }
        return b;
    }

    /** The model around a graph of ONNX and ONNX-ML ops, as every converter writes it. */
    static ModelProto model(GraphProto.Builder graph, String producer) {
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("modelship-" + producer)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(3))
                .setGraph(graph)
                .build();
    }

    public static ValueInfoProto valueInfo(String name, TensorProto.DataType type, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long d : dims) {
            shape.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(type.getNumber()).setShape(shape)))
                .build();
    }

    private static AttributeProto ints(String name, List<Long> v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS)
                .addAllInts(v).build();
    }

    /**
     * Float attribute {@code name}, or in double precision the opset-3 tensor attribute
     * {@code name_as_tensor} holding float64 values.
     */
    private AttributeProto reals(String name, List<Double> v) {
        if (doublePrecision) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(v.size() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            v.forEach(buf::putDouble);
            TensorProto t = TensorProto.newBuilder().setName(name + "_as_tensor").addDims(v.size())
                    .setDataType(TensorProto.DataType.DOUBLE_VALUE).setRawData(ByteString.copyFrom(buf.array())).build();
            return AttributeProto.newBuilder().setName(name + "_as_tensor").setType(AttributeProto.AttributeType.TENSOR)
                    .setT(t).build();
        }
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
        v.forEach(d -> b.addFloats(d.floatValue()));
        return b.build();
    }

    private static AttributeProto strings(String name, List<String> v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.STRINGS);
        for (String s : v) {
            b.addStrings(ByteString.copyFrom(s, StandardCharsets.UTF_8));
        }
        return b.build();
    }
}
