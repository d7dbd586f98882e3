package dev.modelship.optimizer.passes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.onnx.OnnxModels;
import dev.modelship.optimizer.onnx.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The passes on the digits MLP (sklearn → skl2onnx) and on a small embedding model. Quantization
 * is compared with what onnxruntime's own quantize_dynamic (Python) produced on the same model and rows.
 */
class PassesTest {
    private static final ModelProto MLP = OnnxModels.parse(Fixtures.bytes("digits_mlp.onnx"));
    private static final JsonNode FIXTURE = Fixtures.expected("digits_mlp");
    private static final float[][] X = Fixtures.matrix(FIXTURE.get("inputs"));

    private static Pass pass(String spec) {
        return PassRegistry.resolve(List.of(PassSpec.parse(spec)), null).get(0);
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
    void aQuantizedMatMulOfAnyWidthIsRightOverABatchOf64Rows() {
        // ONNX Runtime 1.23–1.24 computed garbage MatMulInteger results on CPUs with AVX-512 VNNI / AMX-INT8
        // for 32+ rows when the width mod 32 was 17–31 (onnxruntime issue #26324): served int8 models were
        // silently wrong. This holds the runtime we ship to every width around those, on whatever CPU runs it.
        int rows = 64;
        int k = 32;
        java.util.Random rnd = new java.util.Random(26324);
        float[][] x = new float[rows][k];
        double xMin = 0;
        double xMax = 0;
        for (float[] row : x) {
            for (int i = 0; i < k; i++) {
                row[i] = (float) (rnd.nextDouble() * 2 - 1);
                xMin = Math.min(xMin, row[i]);
                xMax = Math.max(xMax, row[i]);
            }
        }
        for (int width = 1; width <= 70; width++) {
            float[] w = new float[k * width];
            double wMax = 0;
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextGaussian() * 0.1f;
                wMax = Math.max(wMax, Math.abs(w[i]));
            }
            ModelProto matMul = ModelProto.newBuilder().setIrVersion(8)
                    .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setVersion(17))
                    .setGraph(ai.onnx.proto.OnnxMl.GraphProto.newBuilder()
                            .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("fc").addInput("X")
                                    .addInput("W").addOutput("Y"))
                            .addInitializer(Tensors.floatTensor("W", new long[] {k, width}, w))
                            .addInput(dev.modelship.optimizer.convert.TreeEnsembleBuilder.valueInfo("X",
                                    TensorProto.DataType.FLOAT, -1, k))
                            .addOutput(dev.modelship.optimizer.convert.TreeEnsembleBuilder.valueInfo("Y",
                                    TensorProto.DataType.FLOAT, -1, width)))
                    .build();
            ModelProto q = pass("quantize-dynamic").apply(matMul).model();
            assertThat(ops(q)).contains("MatMulInteger");
            float[][] y = (float[][]) Fixtures.run(q.toByteArray(), "X", x).get("Y");
            // The error of uint8 inputs (one scale over the tensor, range including 0) times int8 weights
            // (symmetric, max |w| → 127): at most half a step of each per product, summed over k.
            double sx = (xMax - xMin) / 255;
            double sw = wMax / 127;
            double bound = k * (sx / 2 * wMax + Math.max(-xMin, xMax) * sw / 2 + sx * sw / 4) + 1e-5;
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < width; o++) {
                    double expected = 0;
                    for (int i = 0; i < k; i++) {
                        expected += x[r][i] * (double) w[i * width + o];
                    }
                    assertThat((double) y[r][o]).as("width %d, row %d, column %d", width, r, o)
                            .isCloseTo(expected, within(bound));
                }
            }
        }
    }

    @Test
    void embeddingGathersAreQuantizedAsOnnxRuntimesOwnQuantizerDoes() {
        ModelProto model = OnnxModels.parse(Fixtures.bytes("embedding_matmul.onnx"));
        JsonNode fixture = Fixtures.expected("embedding_matmul");
        Pass.Result r = pass("quantize-dynamic").apply(model);
        ModelProto q = r.model();
        OnnxModels.check(q);

        // The same uint8 tables, scales and zero points as onnxruntime's file.
        Map<String, TensorProto> inits = initializers(q);
        fixture.get("ort_tables").fields().forEachRemaining(e -> {
            String table = e.getKey();
            JsonNode ort = e.getValue();
            TensorProto values = inits.get(table + "_quantized");
            assertThat(values.getDataType()).isEqualTo(TensorProto.DataType.UINT8_VALUE)
                    .isEqualTo(ort.get("data_type").asInt());
            assertThat(values.getDimsList()).containsExactlyElementsOf(
                    () -> java.util.stream.StreamSupport.stream(ort.get("dims").spliterator(), false)
                            .map(JsonNode::asLong).iterator());
            byte[] ours = values.getRawData().toByteArray();
            assertThat(ours).hasSize(ort.get("values").size());
            for (int i = 0; i < ours.length; i++) {
                assertThat(ours[i] & 0xff).as("%s[%d]", table, i).isEqualTo(ort.get("values").get(i).asInt());
            }
            assertThat(Tensors.floats(inits.get(table + "_scale"))).containsExactly((float) ort.get("scale").asDouble());
            assertThat(inits.get(table + "_zero_point").getRawData().byteAt(0) & 0xff)
                    .isEqualTo(ort.get("zero_point").asInt());
            assertThat(inits).doesNotContainKey(table);
        });
        // The same nodes: names, inputs and outputs (onnxruntime sorts them in another valid order).
        List<List<Object>> ortNodes = new ArrayList<>();
        fixture.get("ort_nodes").forEach(n -> ortNodes.add(List.of(n.get(0).asText(), n.get(1).asText(),
                strings(n.get(2)), strings(n.get(3)))));
        assertThat(q.getGraph().getNodeList().stream().map(n -> List.<Object>of(n.getOpType(), n.getName(),
                n.getInputList(), n.getOutputList())).toList()).containsExactlyInAnyOrderElementsOf(ortNodes);

        long[][] ids = longs(fixture.get("inputs"));
        Map<String, float[][][]> ours = runIds(q.toByteArray(), ids);
        JsonNode ort = fixture.get("ort_outputs");
        float wordScale = (float) fixture.get("ort_tables").get("word_embeddings").get("scale").asDouble();
        float[] table = floatInitializer(model, "word_embeddings");
        float[] directW = floatInitializer(model, "direct_weight");
        double directWScale = 0;
        for (float w : directW) {
            directWScale = Math.max(directWScale, Math.abs(w) / 127.0);
        }
        double[][][] floatDirect = doubles3(fixture.get("float_direct"));
        for (int b = 0; b < ids.length; b++) {
            for (int t = 0; t < ids[b].length; t++) {
                float[] word = ours.get("word")[b][t];
                double[] directErr = new double[8];
                for (int d = 0; d < word.length; d++) {
                    float w = table[(int) ids[b][t] * word.length + d];
                    // Dequantized: onnxruntime's value, and the float table's within half a step.
                    assertThat(word[d]).isEqualTo((float) ort.get("word").get(b).get(t).get(d).asDouble());
                    assertThat((double) word[d]).isCloseTo(w, within(wordScale / 2 * 1.0001));
                    for (int o = 0; o < 8; o++) {
                        double wo = Math.abs(directW[d * 8 + o]);
                        directErr[o] += wordScale / 2 * wo + Math.abs(w) * directWScale / 2
                                + wordScale / 2 * directWScale / 2;
                    }
                }
                for (int o = 0; o < 8; o++) {
                    float y = ours.get("direct")[b][t][o];
                    assertThat((double) y).isCloseTo(ort.get("direct").get(b).get(t).get(o).asDouble(), within(1e-5));
                    // uint8 rows times int8 weights: off the float result by at most both half steps.
                    assertThat((double) y).isCloseTo(floatDirect[b][t][o], within(directErr[o]));
                }
                for (int o = 0; o < 16; o++) {
                    assertThat((double) ours.get("logits")[b][t][o])
                            .isCloseTo(ort.get("logits").get(b).get(t).get(o).asDouble(), within(1e-5));
                }
            }
        }
        long ortBytes = fixture.get("ort_bytes").asLong();
        assertThat((double) q.getSerializedSize()).isCloseTo(ortBytes, within(0.03 * ortBytes));
        // Weights: word 400×32, position 16×32, head 32×16, direct 32×8 floats; one byte each + scale and zero point.
        long floatBytes = 4L * (400 * 32 + 16 * 32 + 32 * 16 + 32 * 8);
        long int8Bytes = (400 * 32 + 5) + (16 * 32 + 5) + (32 * 16 + 5) + (32 * 8 + 5);
        assertThat(r.notes().get(0)).isEqualTo("quantized 2 node(s) to int8 (per tensor) and 3 Gather(s) to uint8"
                + " tables (per tensor); weights " + floatBytes + " -> " + int8Bytes + " bytes");
    }

    @Test
    void excludedGathersKeepTheirFloatTables() {
        ModelProto model = OnnxModels.parse(Fixtures.bytes("embedding_matmul.onnx"));
        Pass.Result byType = pass("quantize-dynamic:excludeOpTypes=Gather").apply(model);
        assertThat(byType.model().getGraph().getInitializerList())
                .noneMatch(t -> t.getDataType() == TensorProto.DataType.UINT8_VALUE);
        assertThat(ops(byType.model())).doesNotContain("DequantizeLinear");
        assertThat(ops(byType.model()).stream().filter("MatMulInteger"::equals)).hasSize(2);
        assertThat(byType.notes()).contains("kept float (excluded): word_gather", "kept float (excluded): direct_gather",
                "kept float (excluded): position_gather");

        Pass.Result byName = pass("quantize-dynamic:excludeNodes=word_gather").apply(model);
        Map<String, TensorProto> inits = initializers(byName.model());
        // direct_gather still reads the uint8 table; word_gather the float one, kept for it.
        assertThat(inits).containsKeys("word_embeddings", "word_embeddings_quantized");
        long[][] ids = longs(Fixtures.expected("embedding_matmul").get("inputs"));
        float[] table = floatInitializer(model, "word_embeddings");
        float[][][] word = runIds(byName.model().toByteArray(), ids).get("word");
        for (int b = 0; b < ids.length; b++) {
            for (int t = 0; t < ids[b].length; t++) {
                for (int d = 0; d < 32; d++) {
                    assertThat(word[b][t][d]).isEqualTo(table[(int) ids[b][t] * 32 + d]);
                }
            }
        }
        assertThatThrownBy(() -> pass("quantize-dynamic:excludeOpTypes=Conv"))
                .hasMessageContaining("excludeOpTypes takes MatMul, Gemm and Gather, not Conv");
    }

    @Test
    void tablesAreAsymmetricUint8OverTheirRangeWithZero() {
        // All positive: range [0, 2.55], scale 2.55 / 255 = 0.01, zero point 0.
        QuantizeDynamicPass.QuantizedTable q = QuantizeDynamicPass.quantizeTable(new float[] {0f, 0.51f, 1.02f, 2.55f});
        assertThat(q.scale()).isEqualTo(0.01f);
        assertThat(q.zeroPoint()).isZero();
        assertThat(q.values()).containsExactly(0, 51, 102, (byte) 255);
        // All negative: range [-1, 0], scale 1/255, zero point 255; -0.2 → -51 + 255 = 204.
        q = QuantizeDynamicPass.quantizeTable(new float[] {-1f, -0.2f, 0f});
        assertThat(q.scale()).isEqualTo((float) (1.0 / 255));
        assertThat(q.zeroPoint()).isEqualTo(255);
        assertThat(q.values()).containsExactly(0, (byte) 204, (byte) 255);
        // A range of 0: scale 1, zero point 0.
        q = QuantizeDynamicPass.quantizeTable(new float[] {0f, 0f});
        assertThat(q.scale()).isEqualTo(1f);
        assertThat(q.values()).containsExactly(0, 0);
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
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("shrink")), null))
                .isInstanceOf(OptimizerException.class).hasMessageContaining("unknown pass 'shrink'")
                .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.INVALID_ARGUMENTS);
        assertThatThrownBy(() -> pass("quantize-dynamic:perChanel=true"))
                .hasMessageContaining("no parameter 'perChanel'");
        assertThatThrownBy(() -> pass("quantize-dynamic:perChannel=maybe"))
                .hasMessageContaining("perChannel=maybe is not one of true, false");
        assertThatThrownBy(() -> pass("graph-optimize:level=all")).hasMessageContaining("level=all");
        assertThatThrownBy(() -> PassRegistry.resolve(List.of(PassSpec.parse("ort-format"),
                PassSpec.parse("graph-optimize")), null)).hasMessageContaining("must be the last pass");
        assertThatThrownBy(() -> PassSpec.parse("quantize-dynamic:perChannel")).hasMessageContaining("key=value");
    }

    private static List<String> ops(ModelProto m) {
        return m.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    private static Map<String, TensorProto> initializers(ModelProto m) {
        Map<String, TensorProto> out = new HashMap<>();
        m.getGraph().getInitializerList().forEach(t -> out.put(t.getName(), t));
        return out;
    }

    private static float[] floatInitializer(ModelProto m, String name) {
        TensorProto t = initializers(m).get(name);
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[raw.remaining() / 4];
        raw.asFloatBuffer().get(out);
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static long[][] longs(JsonNode rows) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new long[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = rows.get(i).get(j).asLong();
            }
        }
        return out;
    }

    private static double[][][] doubles3(JsonNode a) {
        double[][][] out = new double[a.size()][][];
        for (int i = 0; i < out.length; i++) {
            out[i] = Fixtures.doubles(a.get(i));
        }
        return out;
    }

    /** Runs a model on input_ids in a real ONNX Runtime session; every output is [batch, sequence, width]. */
    private static Map<String, float[][][]> runIds(byte[] model, long[][] ids) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model, options);
                 OnnxTensor t = OnnxTensor.createTensor(env, ids);
                 OrtSession.Result r = s.run(Map.of("input_ids", t))) {
                Map<String, float[][][]> out = new HashMap<>();
                for (var e : r) {
                    out.put(e.getKey(), (float[][][]) e.getValue().getValue());
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

}
