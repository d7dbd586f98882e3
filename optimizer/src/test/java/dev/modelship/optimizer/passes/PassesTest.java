package dev.modelship.optimizer.passes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.onnx.OnnxModels;
import dev.modelship.optimizer.onnx.Tensors;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The passes on the digits MLP (sklearn → skl2onnx). Quantization is compared with what
 * onnxruntime's own quantize_dynamic (Python) produced on the same model and rows.
 */
class PassesTest {
    private static final ModelProto MLP = OnnxModels.parse(Fixtures.bytes("digits_mlp.onnx"));
    private static final JsonNode FIXTURE = Fixtures.expected("digits_mlp");
    private static final float[][] X = Fixtures.matrix(FIXTURE.get("inputs"));

    private static Pass pass(String spec) {
        return PassRegistry.resolve(List.of(PassSpec.parse(spec))).get(0);
    }

    private static float[][] probabilities(byte[] model) {
        return (float[][]) Fixtures.run(model, "X", X).get("probabilities");
    }

    @ParameterizedTest(name = "perChannel={0}")
    @ValueSource(booleans = {false, true})
    void quantizeDynamicMatchesOnnxRuntimesOwnQuantizer(boolean perChannel) {
        Pass.Result r = pass("quantize-dynamic:perChannel=" + perChannel).apply(MLP);
        ModelProto q = r.model();
        OnnxModels.check(q);

        assertThat(ops(q)).contains("DynamicQuantizeLinear", "MatMulInteger").doesNotContain("MatMul");
        assertThat(q.getGraph().getInitializerList()).filteredOn(t -> t.getDataType() == TensorProto.DataType.INT8_VALUE
                && t.getDimsCount() == 2).hasSize(3);

        String key = perChannel ? "perChannel" : "perTensor";
        double[][] ort = Fixtures.doubles(FIXTURE.get("ort_" + key + "_probabilities"));
        float[][] ours = probabilities(q.toByteArray());
        for (int i = 0; i < ort.length; i++) {
            for (int c = 0; c < ort[i].length; c++) {
                assertThat((double) ours[i][c]).as("row %d class %d", i, c).isCloseTo(ort[i][c], within(1e-4));
            }
        }
        // Size within 5% of onnxruntime's quantized file.
        long ortBytes = FIXTURE.get("ort_" + key + "_bytes").asLong();
        assertThat((double) q.getSerializedSize()).isCloseTo(ortBytes, within(0.05 * ortBytes));
        assertThat(q.getSerializedSize()).isLessThan(MLP.getSerializedSize() / 3);
        assertThat(r.notes().get(0)).contains("quantized 3 node(s)");
    }

    @Test
    void quantizedWeightsAreSymmetricInt8OfTheFloatWeights() {
        float[] w = {0.5f, -1.27f, 0.01f, 0.0f, 1.0f, -0.25f};
        // Per tensor: scale = 1.27 / 127 = 0.01; q = rint(w / 0.01).
        QuantizeDynamicPass.Quantized q = QuantizeDynamicPass.quantize(w, 2, 3, false);
        assertThat(q.scales()).containsExactly(0.01f);
        assertThat(q.values()).containsExactly(50, -127, 1, 0, 100, -25);
        // Per column: max |w| per column is 0.5, 1.27, 0.25.
        q = QuantizeDynamicPass.quantize(w, 2, 3, true);
        assertThat(q.scales()).containsExactly(0.5f / 127, 0.01f, 0.25f / 127);
        assertThat(q.values()).containsExactly(127, -127, 5, 0, 100, -127);
    }

    @Test
    void excludedNodesStayFloat() {
        Pass.Result r = pass("quantize-dynamic:excludeNodes=MatMul2").apply(MLP);
        assertThat(ops(r.model()).stream().filter("MatMul"::equals)).hasSize(1);
        assertThat(ops(r.model()).stream().filter("MatMulInteger"::equals)).hasSize(2);
        assertThat(r.notes()).anyMatch(n -> n.contains("excluded") && n.contains("MatMul2"));
        assertThat(pass("quantize-dynamic:excludeOpTypes=MatMul").apply(MLP).model()).isEqualTo(MLP);
    }

    @Test
    void gemmWithConstantWeightIsQuantizedWithItsBias() {
        // y = x·Wᵀ + b as one Gemm(transB=1): quantized, it must still equal the float result closely.
        float[] w = new float[10 * 64];
        float[] b = new float[10];
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian();
        }
        ModelProto gemm = ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setVersion(17))
                .setGraph(ai.onnx.proto.OnnxMl.GraphProto.newBuilder()
                        .addNode(NodeProto.newBuilder().setOpType("Gemm").setName("fc").addInput("X").addInput("W")
                                .addInput("B").addOutput("Y").addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder()
                                        .setName("transB").setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.INT).setI(1)))
                        .addInitializer(Tensors.floatTensor("W", new long[] {10, 64}, w))
                        .addInitializer(Tensors.floatTensor("B", new long[] {10}, b))
                        .addInput(dev.modelship.optimizer.convert.TreeEnsembleBuilder.valueInfo("X", TensorProto.DataType.FLOAT, -1, 64))
                        .addOutput(dev.modelship.optimizer.convert.TreeEnsembleBuilder.valueInfo("Y", TensorProto.DataType.FLOAT, -1, 10)))
                .build();
        ModelProto q = pass("quantize-dynamic").apply(gemm).model();
        assertThat(ops(q)).contains("MatMulInteger", "Add").doesNotContain("Gemm");
        float[][] y = (float[][]) Fixtures.run(q.toByteArray(), "X", X).get("Y");
        for (int i = 0; i < X.length; i++) {
            for (int o = 0; o < 10; o++) {
                double expected = b[o];
                for (int k = 0; k < 64; k++) {
                    expected += X[i][k] * w[o * 64 + k];
                }
                // int8 weights and uint8 inputs: error bounded by the two quantization steps.
                assertThat((double) y[i][o]).isCloseTo(expected, within(0.02));
            }
        }
    }

    @Test
    void quantizeAfterGraphOptimizeQuantizesTheFusedGemms() {
        ModelProto fused = pass("graph-optimize").apply(MLP).model();
        ModelProto q = pass("quantize-dynamic").apply(fused).model();
        assertThat(ops(q)).doesNotContain("Gemm");
        assertThat(ops(q).stream().filter("MatMulInteger"::equals)).hasSize(3);
        double[][] ort = Fixtures.doubles(FIXTURE.get("ort_perTensor_probabilities"));
        float[][] ours = probabilities(q.toByteArray());
        for (int i = 0; i < ort.length; i++) {
            for (int c = 0; c < ort[i].length; c++) {
                assertThat((double) ours[i][c]).isCloseTo(ort[i][c], within(1e-4));
            }
        }
    }

    @Test
    void treeModelsHaveNothingToQuantize() {
        ModelProto trees = dev.modelship.optimizer.convert.Converter.toOnnx(Fixtures.bytes("xgb_regression.json"),
                dev.modelship.optimizer.convert.ModelFormat.XGBOOST);
        Pass.Result r = pass("quantize-dynamic").apply(trees);
        assertThat(r.model()).isEqualTo(trees);
        assertThat(r.notes().get(0)).contains("model unchanged");
    }

    @Test
    void graphOptimizeKeepsPredictionsAndFusesNodes() {
        Pass.Result r = pass("graph-optimize").apply(MLP);
        // Basic level: MatMul + Add fuse into Gemm; the float-to-float Cast goes.
        assertThat(ops(MLP)).contains("MatMul", "Add", "Cast");
        assertThat(ops(r.model())).contains("Gemm").doesNotContain("MatMul", "Add");
        assertThat(ops(r.model()).stream().filter("Cast"::equals)).hasSize(1);
        assertThat(r.model().getGraph().getNodeCount()).isLessThan(MLP.getGraph().getNodeCount());
        float[][] before = probabilities(MLP.toByteArray());
        float[][] after = probabilities(r.model().toByteArray());
        double[][] sklearn = Fixtures.doubles(FIXTURE.get("expected"));
        for (int i = 0; i < X.length; i++) {
            for (int c = 0; c < 10; c++) {
                assertThat(after[i][c]).isCloseTo(before[i][c], within(1e-6f));
                assertThat((double) after[i][c]).isCloseTo(sklearn[i][c], within(1e-5));
            }
        }
    }

    @Test
    void ortFormatIsAFlatbufferOnnxRuntimeLoads() {
        Pass.Result r = pass("ort-format").apply(MLP);
        assertThat(r.model()).isNull();
        // ORT format files carry the flatbuffers file identifier "ORTM" at byte 4.
        assertThat(new String(Arrays.copyOfRange(r.ortBytes(), 4, 8), StandardCharsets.US_ASCII)).isEqualTo("ORTM");
        float[][] after = probabilities(r.ortBytes());
        float[][] before = probabilities(MLP.toByteArray());
        for (int i = 0; i < X.length; i++) {
            assertThat(after[i]).containsExactly(before[i], within(1e-6f));
        }
    }

    @Test
    void unknownPassesAndBadParametersFailBeforeAnyWork() {
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("shrink"))))
                .isInstanceOf(OptimizerException.class).hasMessageContaining("unknown pass 'shrink'")
                .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.INVALID_ARGUMENTS);
        assertThatThrownBy(() -> pass("quantize-dynamic:perChanel=true"))
                .hasMessageContaining("no parameter 'perChanel'");
        assertThatThrownBy(() -> pass("quantize-dynamic:perChannel=maybe"))
                .hasMessageContaining("perChannel=maybe is not one of true, false");
        assertThatThrownBy(() -> pass("graph-optimize:level=all")).hasMessageContaining("level=all");
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("ort-format"),
                PassSpec.parse("graph-optimize")))).hasMessageContaining("must be the last pass");
        assertThatThrownBy(() -> PassSpec.parse("quantize-dynamic:perChannel")).hasMessageContaining("key=value");
    }

    private static List<String> ops(ModelProto m) {
        return m.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

}
