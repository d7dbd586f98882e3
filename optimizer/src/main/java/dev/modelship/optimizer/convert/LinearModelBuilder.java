package dev.modelship.optimizer.convert;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;

/**
 * A linear model in ONNX's {@code ai.onnx.ml} operators, with the same input and outputs as
 * {@link TreeEnsembleBuilder}'s models: missing values (NaN) contribute nothing, as in
 * XGBoost's gblinear, so they are replaced by 0 before the weighted sum.
 */
public final class LinearModelBuilder {
    private static final String IMPUTED = "input_nan_as_zero";

    private LinearModelBuilder() {
    }

    /**
     * A classifier: int64 labels [N] and float probabilities [N, classes]. {@code weights[c]}
     * are the coefficients of class c, {@code margins[c]} its intercept; probabilities are the
     * softmax of the margins. Two classes given as one margin use [0, margin], whose softmax is
     * the logistic function.
     */
    public static ModelProto classifier(float[][] weights, float[] margins, String producer) {
        int numFeatures = weights[0].length;
        float[][] w = weights;
        float[] b = margins;
        if (weights.length == 1) {
            w = new float[][] {new float[numFeatures], weights[0]};
            b = new float[] {0f, margins[0]};
        }
        AttributeProto.Builder labels = AttributeProto.newBuilder().setName("classlabels_ints")
                .setType(AttributeProto.AttributeType.INTS);
        for (long c = 0; c < w.length; c++) {
            labels.addInts(c);
        }
        NodeProto.Builder node = NodeProto.newBuilder().setOpType("LinearClassifier").setDomain("ai.onnx.ml")
                .setName("LinearClassifier").addInput(IMPUTED)
                .addOutput(TreeEnsembleBuilder.LABEL_OUTPUT).addOutput(TreeEnsembleBuilder.PROBABILITIES_OUTPUT)
                .addAttribute(floats("coefficients", w))
                .addAttribute(floats("intercepts", new float[][] {b}))
                .addAttribute(labels)
                .addAttribute(string("post_transform", "SOFTMAX"));
        GraphProto.Builder graph = graph(producer, numFeatures, node)
                .addOutput(TreeEnsembleBuilder.valueInfo(TreeEnsembleBuilder.LABEL_OUTPUT, TensorProto.DataType.INT64, -1))
                .addOutput(TreeEnsembleBuilder.valueInfo(TreeEnsembleBuilder.PROBABILITIES_OUTPUT,
                        TensorProto.DataType.FLOAT, -1, w.length));
        return TreeEnsembleBuilder.model(graph, producer);
    }

    /** A regressor with one float output [N, 1]: the weighted sum plus {@code margin}. */
    public static ModelProto regressor(float[] weights, float margin, String producer) {
        NodeProto.Builder node = NodeProto.newBuilder().setOpType("LinearRegressor").setDomain("ai.onnx.ml")
                .setName("LinearRegressor").addInput(IMPUTED).addOutput(TreeEnsembleBuilder.REGRESSOR_OUTPUT)
                .addAttribute(floats("coefficients", new float[][] {weights}))
                .addAttribute(floats("intercepts", new float[][] {{margin}}))
                .addAttribute(AttributeProto.newBuilder().setName("targets")
                        .setType(AttributeProto.AttributeType.INT).setI(1));
        GraphProto.Builder graph = graph(producer, weights.length, node)
                .addOutput(TreeEnsembleBuilder.valueInfo(TreeEnsembleBuilder.REGRESSOR_OUTPUT,
                        TensorProto.DataType.FLOAT, -1, 1));
        return TreeEnsembleBuilder.model(graph, producer);
    }

    private static GraphProto.Builder graph(String producer, int numFeatures, NodeProto.Builder linear) {
        NodeProto.Builder imputer = NodeProto.newBuilder().setOpType("Imputer").setDomain("ai.onnx.ml")
                .setName("Imputer").addInput(TreeEnsembleBuilder.INPUT).addOutput(IMPUTED)
                .addAttribute(floats("imputed_value_floats", new float[][] {new float[numFeatures]}))
                .addAttribute(AttributeProto.newBuilder().setName("replaced_value_float")
                        .setType(AttributeProto.AttributeType.FLOAT).setF(Float.NaN));
        return GraphProto.newBuilder().setName(producer)
                .addInput(TreeEnsembleBuilder.valueInfo(TreeEnsembleBuilder.INPUT, TensorProto.DataType.FLOAT, -1,
                        numFeatures))
                .addNode(imputer).addNode(linear);
    }

    private static AttributeProto floats(String name, float[][] rows) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS);
        for (float[] row : rows) {
            for (float v : row) {
                b.addFloats(v);
            }
        }
        return b.build();
    }

    private static AttributeProto string(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }
}
