package dev.modelship.optimizer.validate;

import static dev.modelship.optimizer.convert.TreeEnsembleBuilder.valueInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.onnx.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Validation in real ONNX Runtime sessions of small models built here: samples read whole from a
 * file of V2 requests (inputs without a common row dimension, a scalar), and top-1 agreement per
 * position of a sequence output.
 */
class ValidatorTest {
    @TempDir
    Path dir;

    /**
     * Three requests of a stateful model shaped like silero-vad: {@code input [1, n]} (n differs
     * per request), {@code state [2, 1, 4]}, {@code sr} an INT64 scalar. The model computes
     * m = mean(input), stateN = state + m, output = m·sr; the "optimized" one multiplies output by 1.5.
     */
    private static final String[] REQUESTS = {
        "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 4], \"data\": [[0.5, 1.0, 1.5, 2.0]]},"
                + " {\"name\": \"state\", \"datatype\": \"FP32\", \"shape\": [2, 1, 4], \"data\": [0, 1, 2, 3, 4, 5, 6, 7]},"
                + " {\"name\": \"sr\", \"datatype\": \"INT64\", \"shape\": [], \"data\": 16000}]}",
        "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 6], \"data\": [1, 1, 1, 1, 1, 7]},"
                + " {\"name\": \"state\", \"datatype\": \"FP32\", \"shape\": [2, 1, 4], \"data\": [0, 0, 0, 0, 0, 0, 0, 0]},"
                + " {\"name\": \"sr\", \"datatype\": \"INT64\", \"shape\": [], \"data\": [8000]}]}",
        "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 2], \"data\": [0.25, 0.75]},"
                + " {\"name\": \"state\", \"datatype\": \"FP32\", \"shape\": [2, 1, 4], \"data\": [1, 1, 1, 1, 1, 1, 1, 1]},"
                + " {\"name\": \"sr\", \"datatype\": \"INT64\", \"shape\": [], \"data\": 16000}]}",
    };

    @Test
    void aStatefulModelWithAScalarInputIsValidatedFromAJsonArrayOfRequests() throws IOException {
        Path array = Files.writeString(dir.resolve("requests.json"), "[" + String.join(",\n", REQUESTS) + "]");
        SampleSet samples = SampleSet.readV2(array, 64);
        assertThat(samples.samples()).hasSize(3);
        assertThat(samples.samples().get(1).get("sr").shape()).isEmpty();
        assertThat(samples.samples().get(1).get("sr").values()).containsExactly(8000);
        assertThat(samples.samples().get(1).get("state").shape()).containsExactly(2, 1, 4);

        Manifest.Validation v = Validator.compare("source model", stateful(1f).toByteArray(),
                stateful(1.5f).toByteArray(), samples);
        // output errors 0.5·m·sr: 0.5·1.25·16000 = 10000, 0.5·2·8000 = 8000, 0.5·0.5·16000 = 4000;
        // stateN (8 values per request) is the same in both.
        assertThat(v.samples()).isEqualTo(3);
        assertThat(v.maxAbsError()).isEqualTo(10000.0);
        assertThat(v.meanAbsError()).isCloseTo((10000.0 + 8000 + 4000) / (3 * 9), within(1e-9));
        // One score per request and a state: not a classifier, whatever the state's width.
        assertThat(v.top1Agreement()).isNull();

        // At most --samples of them.
        v = Validator.compare("source model", stateful(1f).toByteArray(), stateful(1f).toByteArray(),
                SampleSet.readV2(array, 2));
        assertThat(v.samples()).isEqualTo(2);
        assertThat(v.maxAbsError()).isZero();
    }

    @Test
    void jsonLinesGiveOneSampleALine() throws IOException {
        Path lines = Files.writeString(dir.resolve("requests.jsonl"), String.join("\n", REQUESTS) + "\n");
        SampleSet samples = SampleSet.readV2(lines, 2);
        assertThat(samples.samples()).hasSize(2);
        assertThat(samples.samples().get(0).get("input").values()).containsExactly(0.5, 1.0, 1.5, 2.0);
        Manifest.Validation v = Validator.compare("source model", stateful(1f).toByteArray(),
                stateful(1.5f).toByteArray(), samples);
        assertThat(v.maxAbsError()).isEqualTo(10000.0);

        // One JSON line in a .jsonl file is one request, not rows to split.
        Path one = Files.writeString(dir.resolve("one.jsonl"), REQUESTS[0] + "\n");
        assertThat(SampleSet.readV2(one, 64).samples()).hasSize(1);
    }

    @Test
    void oneRequestIsStillSplitByRowsAndSaysWhatToDoWhenItCannotBe() throws IOException {
        Path rows = Files.writeString(dir.resolve("rows.json"), """
                {"inputs": [{"name": "x", "datatype": "FP32", "shape": [3, 2], "data": [[1, 2], [3, 4], [5, 6]]},
                            {"name": "k", "datatype": "INT64", "shape": [3], "data": [7, 8, 9]}]}
                """);
        SampleSet samples = SampleSet.readV2(rows, 64);
        assertThat(samples.samples()).hasSize(3);
        assertThat(samples.samples().get(2).get("x").shape()).containsExactly(1, 2);
        assertThat(samples.samples().get(2).get("x").values()).containsExactly(5, 6);
        assertThat(samples.samples().get(2).get("k").values()).containsExactly(9);

        Path first = Files.writeString(dir.resolve("first.json"), REQUESTS[0]);
        assertThatThrownBy(() -> SampleSet.readV2(first, 64)).isInstanceOf(OptimizerException.class)
                .hasMessageContaining("'state' has 2 rows on dimension 0 and 'input' 1")
                .hasMessageContaining("a JSON array of requests, or JSON lines")
                .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.INVALID_ARGUMENTS);
        Path scalar = Files.writeString(dir.resolve("scalar.json"), """
                {"inputs": [{"name": "sr", "datatype": "INT64", "shape": [], "data": 16000}]}
                """);
        assertThatThrownBy(() -> SampleSet.readV2(scalar, 64))
                .hasMessageContaining("'sr' is a scalar (shape []), which cannot be split into rows");
        Path wrongCount = Files.writeString(dir.resolve("wrong.json"), """
                [{"inputs": [{"name": "sr", "datatype": "INT64", "shape": [], "data": [1, 2]}]}]
                """);
        assertThatThrownBy(() -> SampleSet.readV2(wrongCount, 64))
                .hasMessageContaining("request 1: input 'sr' has 2 values for shape []");
        Path empty = Files.writeString(dir.resolve("empty.json"), "[]");
        assertThatThrownBy(() -> SampleSet.readV2(empty, 64)).hasMessageContaining("holds no requests");
        Path noRows = Files.writeString(dir.resolve("norows.json"), """
                {"inputs": [{"name": "x", "datatype": "FP32", "shape": [0, 2], "data": []}]}
                """);
        assertThatThrownBy(() -> SampleSet.readV2(noRows, 64)).hasMessageContaining("norows.json holds no rows");
    }

    @Test
    void aSequenceOutputAgreesByTheShareOfPositionsWhoseArgmaxAgrees() throws IOException {
        // scores [1, 10, 3]; position t has its largest score at class t % 3, by a margin of 1.
        StringBuilder data = new StringBuilder();
        float[] delta = new float[10 * 3];
        for (int t = 0; t < 10; t++) {
            for (int c = 0; c < 3; c++) {
                data.append(data.length() == 0 ? "" : ", ").append(c == t % 3 ? 2 : 1);
            }
        }
        // The "optimized" model adds 1.5 to another class at position 4 only: its argmax moves there.
        delta[4 * 3 + (4 + 1) % 3] = 1.5f;
        Path file = Files.writeString(dir.resolve("sequence.json"), "[{\"inputs\": [{\"name\": \"x\", \"datatype\":"
                + " \"FP32\", \"shape\": [1, 10, 3], \"data\": [" + data + "]}]}]");
        Manifest.Validation v = Validator.compare("source model", plus(new float[30], 1, 10, 3).toByteArray(),
                plus(delta, 1, 10, 3).toByteArray(), SampleSet.readV2(file, 64));
        // 10 positions, 1 disagrees: 9/10 (the argmax of all 30 values would make it 0 or 1).
        assertThat(v.top1Agreement()).isEqualTo(9 / 10.0);
        assertThat(v.maxAbsError()).isEqualTo(1.5);
    }

    @Test
    void aClassifiersRowsStayOnePositionEach() throws IOException {
        // [rows, classes] split by rows, batch 1 per sample: one argmax per sample, as before.
        Path rows = Files.writeString(dir.resolve("rows.json"), """
                {"inputs": [{"name": "x", "datatype": "FP32", "shape": [4, 3],
                             "data": [[1, 0, 0], [0.5, 0.4, 0], [0, 0, 1], [0.2, 0.9, 0]]}]}
                """);
        // Adding 0.3 to class 1 moves row 1's argmax from 0 to 1 (0.7 > 0.5), no other row's.
        Manifest.Validation v = Validator.compare("source model", plus(new float[3], 1, 3).toByteArray(),
                plus(new float[] {0, 0.3f, 0}, 1, 3).toByteArray(), SampleSet.readV2(rows, 64));
        assertThat(v.samples()).isEqualTo(4);
        assertThat(v.top1Agreement()).isEqualTo(3 / 4.0);
    }

    /** The stateful model of {@link #REQUESTS}, its output scaled by {@code scale}. */
    private static ModelProto stateful(float scale) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("stateful")
                .addNode(node("ReduceMean", "input", "m").addAttribute(AttributeProto.newBuilder().setName("axes")
                        .setType(AttributeProto.AttributeType.INTS).addInts(1)))
                .addNode(node("Add", "state", "m", "stateN"))
                .addNode(node("Cast", "sr", "srf").addAttribute(AttributeProto.newBuilder().setName("to")
                        .setType(AttributeProto.AttributeType.INT).setI(TensorProto.DataType.FLOAT_VALUE)))
                .addNode(node("Mul", "m", "srf", "raw"))
                .addNode(node("Mul", "raw", "scale", "output"))
                .addInitializer(Tensors.floatTensor("scale", new long[0], new float[] {scale}))
                .addInput(valueInfo("input", TensorProto.DataType.FLOAT, 1, -1))
                .addInput(valueInfo("state", TensorProto.DataType.FLOAT, 2, 1, 4))
                .addInput(valueInfo("sr", TensorProto.DataType.INT64))
                .addOutput(valueInfo("output", TensorProto.DataType.FLOAT, 1, 1))
                .addOutput(valueInfo("stateN", TensorProto.DataType.FLOAT, 2, 1, 4));
        return model(g);
    }

    /** scores = x + delta, for x of the given shape. */
    private static ModelProto plus(float[] delta, long... shape) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("plus")
                .addNode(node("Add", "x", "delta", "scores"))
                .addInitializer(Tensors.floatTensor("delta", shape, delta))
                .addInput(valueInfo("x", TensorProto.DataType.FLOAT, shape))
                .addOutput(valueInfo("scores", TensorProto.DataType.FLOAT, shape));
        return model(g);
    }

    private static NodeProto.Builder node(String op, String... inputsThenOutput) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op + "_" + inputsThenOutput[0]);
        for (int i = 0; i < inputsThenOutput.length - 1; i++) {
            n.addInput(inputsThenOutput[i]);
        }
        return n.addOutput(inputsThenOutput[inputsThenOutput.length - 1]);
    }

    private static ModelProto model(GraphProto.Builder g) {
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).setGraph(g).build();
    }
}
