package dev.modelship.optimizer.passes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.convert.Converter;
import dev.modelship.optimizer.convert.ModelFormat;
import dev.modelship.optimizer.onnx.Float16;
import dev.modelship.optimizer.onnx.OnnxModels;
import dev.modelship.optimizer.onnx.Tensors;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class Float16AndPruneTest {
    private static final ModelProto MLP = OnnxModels.parse(Fixtures.bytes("digits_mlp.onnx"));
    private static final JsonNode FIXTURE = Fixtures.expected("digits_mlp");
    private static final float[][] X = Fixtures.matrix(FIXTURE.get("inputs"));

    private static Pass pass(String spec) {
        return PassRegistry.resolve(List.of(PassSpec.parse(spec)), null).get(0);
    }

    private static float[][] probabilities(ModelProto m) {
        return (float[][]) Fixtures.run(m, "X", X).get("probabilities");
    }

    @Test
    void float16BitPatternsFollowIeee754() {
        // Reference encodings from the IEEE 754 binary16 tables.
        assertThat(Float16.fromFloat(1.0f)).isEqualTo((short) 0x3C00);
        assertThat(Float16.fromFloat(-2.0f)).isEqualTo((short) 0xC000);
        assertThat(Float16.fromFloat(65504f)).isEqualTo((short) 0x7BFF);
        assertThat(Float16.fromFloat(65520f)).isEqualTo((short) 0x7C00); // rounds up to infinity
        assertThat(Float16.fromFloat(0.1f)).isEqualTo((short) 0x2E66);
        assertThat(Float16.fromFloat(1f / 3)).isEqualTo((short) 0x3555);
        assertThat(Float16.fromFloat(0x1p-24f)).isEqualTo((short) 0x0001); // smallest subnormal
        assertThat(Float16.fromFloat(0x1p-25f)).isEqualTo((short) 0x0000); // tie, to even
        assertThat(Float16.fromFloat(0x1.8p-24f)).isEqualTo((short) 0x0002); // tie, to even
        assertThat(Float16.fromFloat(Float.NaN) & 0x7C00).isEqualTo(0x7C00);
        assertThat(Float16.toFloat((short) 0x3555)).isEqualTo(0.333251953125f);
    }

    @Test
    void float16HalvesTheWeightsAndKeepsFloat32AtTheEdges() {
        Pass.Result r = pass("float16").apply(MLP);
        ModelProto h = r.model();
        assertThat(h.getGraph().getInitializerList()).filteredOn(t -> t.getDataType() == TensorProto.DataType.FLOAT16_VALUE)
                .extracting(TensorProto::getName)
                .containsExactlyInAnyOrder("coefficient", "intercepts", "coefficient1", "intercepts1", "coefficient2",
                        "intercepts2");
        assertThat(h.getGraph().getInitializerList()).noneMatch(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE);
        assertThat(h.getGraph().getInput(0).getType().getTensorType().getElemType()).isEqualTo(TensorProto.DataType.FLOAT_VALUE);
        assertThat(h.getGraph().getOutput(1).getType().getTensorType().getElemType()).isEqualTo(TensorProto.DataType.FLOAT_VALUE);
        // The ai.onnx.ml ArrayFeatureExtractor stays float32-side (its inputs are integers here).
        assertThat(h.getSerializedSize()).isLessThan(MLP.getSerializedSize() * 6 / 10);

        float[][] full = probabilities(MLP);
        float[][] half = probabilities(h);
        int agree = 0;
        for (int i = 0; i < X.length; i++) {
            for (int c = 0; c < 10; c++) {
                assertThat(half[i][c]).isCloseTo(full[i][c], within(1e-2f));
            }
            agree += Fixtures.argmax(half[i]) == Fixtures.argmax(full[i]) ? 1 : 0;
        }
        assertThat(agree).isGreaterThanOrEqualTo(X.length - 1);
    }

    @Test
    void float16KeepsTreeEnsemblesInFloat32() {
        ModelProto trees = Converter.toOnnx(Fixtures.bytes("lgb_regression.txt"), ModelFormat.LIGHTGBM);
        Pass.Result r = pass("float16").apply(trees);
        assertThat(r.model()).isEqualTo(trees);
        assertThat(r.notes()).anyMatch(n -> n.contains("model unchanged"));
    }

    @Test
    void float16BlockListKeepsNamedOpsInFloat32() {
        ModelProto h = pass("float16:blockList=Softmax").apply(MLP).model();
        NodeProto softmax = h.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Softmax")).findFirst()
                .orElseThrow();
        assertThat(softmax.getInput(0)).endsWith("_to_fp32");
        probabilities(h); // and ONNX Runtime runs it
    }

    @Test
    void elementPruningZeroesTheSmallestWeightsToTheTargetSparsity() {
        Pass.Result r = pass("prune:sparsity=0.6,removeUnits=false").apply(MLP);
        Map<String, TensorProto> before = inits(MLP);
        for (String name : List.of("coefficient", "coefficient1", "coefficient2")) {
            float[] w0 = Tensors.floats(before.get(name));
            float[] w1 = Tensors.floats(inits(r.model()).get(name));
            long zeros = 0;
            float largestCut = 0;
            float smallestKept = Float.MAX_VALUE;
            for (int i = 0; i < w0.length; i++) {
                if (w1[i] == 0f) {
                    zeros++;
                    largestCut = Math.max(largestCut, Math.abs(w0[i]));
                } else {
                    assertThat(w1[i]).isEqualTo(w0[i]);
                    smallestKept = Math.min(smallestKept, Math.abs(w0[i]));
                }
            }
            assertThat(zeros).isEqualTo((long) Math.floor(0.6 * w0.length));
            assertThat(largestCut).isLessThanOrEqualTo(smallestKept);
        }
        assertThat(r.notes().get(0)).contains("achieved sparsity 0.6");
    }

    @Test
    void unitPruningRemovesHiddenUnitsExactly() {
        ModelProto zeroed = pass("prune:sparsity=0.5,granularity=unit,removeUnits=false").apply(MLP).model();
        Pass.Result r = pass("prune:sparsity=0.5,granularity=unit").apply(MLP);
        ModelProto shrunk = r.model();
        Map<String, TensorProto> t = inits(shrunk);
        // 64 → 128 → 64 → 10 becomes 64 → 64 → 32 → 10.
        assertThat(Tensors.dims(t.get("coefficient"))).containsExactly(64, 64);
        assertThat(Tensors.dims(t.get("coefficient1"))).containsExactly(64, 32);
        assertThat(Tensors.dims(t.get("coefficient2"))).containsExactly(32, 10);
        assertThat(Tensors.dims(t.get("intercepts"))).containsExactly(1, 64);
        assertThat(shrunk.getSerializedSize()).isLessThan(MLP.getSerializedSize() * 6 / 10);
        assertThat(r.notes()).anyMatch(n -> n.contains("64 of 128 hidden units removed"));

        // Removing the units changes nothing: the same outputs as the zeroed but full-size model.
        float[][] a = probabilities(zeroed);
        float[][] b = probabilities(shrunk);
        for (int i = 0; i < X.length; i++) {
            assertThat(b[i]).containsExactly(a[i], within(1e-5f));
        }
    }

    @Test
    void pruningAfterGraphOptimizeHandlesGemmLayers() {
        ModelProto fused = pass("graph-optimize").apply(MLP).model();
        ModelProto zeroed = pass("prune:sparsity=0.5,granularity=unit,removeUnits=false").apply(fused).model();
        ModelProto shrunk = pass("prune:sparsity=0.5,granularity=unit").apply(fused).model();
        assertThat(shrunk.getSerializedSize()).isLessThan(fused.getSerializedSize() * 6 / 10);
        float[][] a = probabilities(zeroed);
        float[][] b = probabilities(shrunk);
        for (int i = 0; i < X.length; i++) {
            assertThat(b[i]).containsExactly(a[i], within(1e-5f));
        }
    }

    private static Map<String, TensorProto> inits(ModelProto m) {
        return m.getGraph().getInitializerList().stream().collect(Collectors.toMap(TensorProto::getName, t -> t));
    }
}
