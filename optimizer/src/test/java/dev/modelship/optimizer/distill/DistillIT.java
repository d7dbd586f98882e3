package dev.modelship.optimizer.distill;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.cli.CommandRun;
import dev.modelship.optimizer.convert.Converter;
import dev.modelship.optimizer.convert.ModelFormat;
import dev.modelship.optimizer.onnx.Signatures;
import dev.modelship.optimizer.validate.NpyArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The distill pass on 500-tree teachers that XGBoost and LightGBM train in this test
 * (src/test/python/make_distill_teachers.py) from data that ships with scikit-learn. Agreement is
 * judged on rows neither teacher nor student saw, against the probabilities the teacher's own
 * library computed for them.
 */
class DistillIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path teachers;
    @TempDir
    Path tmp;

    private final CommandRun command = new CommandRun();

    @BeforeAll
    static void trainTeachers() throws Exception {
        Path venvPython = Path.of("..", ".venv", "bin", "python");
        String python = System.getenv().getOrDefault("MODELSHIP_PYTHON",
                Files.isExecutable(venvPython) ? venvPython.toString() : "python3");
        Path log = teachers.resolve("make_distill_teachers.log");
        Process p = new ProcessBuilder(python, "src/test/python/make_distill_teachers.py", teachers.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("teachers trained in time").isTrue();
        assertThat(p.exitValue()).as(Files.readString(log)).isZero();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "xgb_breast_cancer, distill",
        "lgb_breast_cancer, distill",
        "xgb_wine, distill:rows=200000",
        "lgb_wine, distill:rows=200000",
        "xgb_digits, distill:rows=50000;eta=0.5",
        "lgb_digits, distill:rows=50000;eta=0.5",
        "xgb_synthetic100k, distill",
        "lgb_synthetic100k, distill",
    })
    void aFiveHundredTreeTeacherDistilledToFiftyTreesAgreesOnHeldOutRows(String name, String pass) throws Exception {
        JsonNode c = cases().get(name);
        Path teacher = teachers.resolve(c.get("teacher").asText());
        Path out = tmp.resolve("artifacts");
        int code = run("optimize", teacher.toString(), "--out", out.toString(), "--pass", pass.replace(';', ','),
                "--data", teachers.resolve(name + ".transfer.npy").toString(),
                "--sample-file", teachers.resolve(name + ".heldout.npy").toString(), "--samples", "2000",
                "--min-top1-agreement", "0.99");
        JsonNode summary = summary();
        assertThat(code).as(summary.toString()).isZero();

        Path artifact = Path.of(summary.get("location").asText());
        ModelProto student = ModelProto.parseFrom(Files.readAllBytes(artifact.resolve("model.onnx")));
        ModelProto converted = Converter.toOnnx(Files.readAllBytes(teacher), ModelFormat.detect(Files.readAllBytes(teacher)));
        assertThat(Signatures.of(student)).as("the teacher's signature").isEqualTo(Signatures.of(converted));

        int classes = c.get("classes").asInt();
        int treesPerRound = classes > 2 ? classes : 1;
        assertThat(trees(student)).as("at most 50 rounds").isLessThanOrEqualTo(50 * treesPerRound);
        assertThat(maxDepth(student)).as("depth").isLessThanOrEqualTo(6);

        float[][] rows = NpyArray.read(teachers.resolve(name + ".heldout.npy")).rowsAsFloat();
        float[][] expected = NpyArray.read(teachers.resolve(name + ".heldout.teacher.npy")).rowsAsFloat();
        Map<String, Object> answers = runModel(artifact.resolve("model.onnx"), rows);
        float[][] probabilities = (float[][]) answers.get("probabilities");
        long[] labels = (long[]) answers.get("label");
        int agree = 0;
        for (int r = 0; r < rows.length; r++) {
            int teacherClass = Fixtures.argmax(expected[r]);
            assertThat(labels[r]).as("label is the most probable class, row %d", r).isEqualTo(Fixtures.argmax(probabilities[r]));
            agree += Fixtures.argmax(probabilities[r]) == teacherClass ? 1 : 0;
        }
        double agreement = agree / (double) rows.length;
        assertThat(agreement).as("top-1 agreement with %s's own predictions on %d held-out rows",
                c.get("library").asText(), rows.length).isGreaterThanOrEqualTo(0.99);

        JsonNode manifest = JSON.readTree(artifact.resolve("manifest.json").toFile());
        String notes = manifest.get("pipeline").get(0).get("notes").toString();
        assertThat(notes).contains("teacher: " + (classes > 2 ? classes : 2) + "-class classifier")
                .contains("student: 50 rounds of depth <= 6");
        assertThat(manifest.get("validation").get("samplesFrom").asText()).isEqualTo(name + ".heldout.npy");
    }

    @Test
    void aStudentThatMissesItsGateFailsTheBuildWithTheValidationExitCodeAndWritesNothing() throws Exception {
        Path out = tmp.resolve("artifacts");
        int code = run("optimize", teachers.resolve("xgb_digits.json").toString(), "--out", out.toString(),
                "--pass", "distill:trees=1,depth=1", "--data", teachers.resolve("xgb_digits.transfer.npy").toString(),
                "--samples", "200", "--min-top1-agreement", "0.99");
        JsonNode summary = summary();
        assertThat(code).isEqualTo(5);
        assertThat(summary.get("reason").asText()).isEqualTo("ValidationFailed");
        assertThat(summary.get("message").asText()).contains("top-1 agreement").contains("< required 0.99");
        // One tree of depth 1 for each of ten classes cannot tell ten digits apart.
        assertThat(summary.get("validation").get("top1Agreement").asDouble()).isLessThan(0.9);
        assertThat(summary.get("validation").get("samplesFrom").asText()).contains("held out from");
        assertThat(out).satisfiesAnyOf(p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
    }

    @Test
    void withoutATransferSetThePassFailsBeforeAnyWorkAndSaysWhatToGive() throws Exception {
        int code = run("optimize", teachers.resolve("xgb_wine.json").toString(), "--out",
                tmp.resolve("artifacts").toString(), "--pass", "distill");
        assertThat(code).isEqualTo(2);
        assertThat(summary().get("message").asText()).contains("needs a transfer set").contains("--data")
                .contains("spec.optimization.data");
    }

    @Test
    void aTransferSetThatIsNotThePinnedOneIsRefused() throws Exception {
        int code = run("optimize", teachers.resolve("xgb_wine.json").toString(), "--out",
                tmp.resolve("artifacts").toString(), "--pass", "distill",
                "--data", teachers.resolve("xgb_wine.transfer.npy").toString(), "--data-sha256", "0".repeat(64));
        assertThat(code).isEqualTo(9);
        assertThat(summary().get("reason").asText()).isEqualTo("ChecksumMismatch");
    }

    @Test
    void rowsOfTheWrongWidthAreRefusedNamingBothWidths() throws Exception {
        int code = run("optimize", teachers.resolve("xgb_wine.json").toString(), "--out",
                tmp.resolve("artifacts").toString(), "--pass", "distill",
                "--data", teachers.resolve("xgb_digits.transfer.npy").toString());
        assertThat(code).isEqualTo(2);
        assertThat(summary().get("message").asText()).contains("64 columns").contains("13 features");
    }

    /**
     * A linear student for an ONNX teacher from another library (scikit-learn's MLP, converted by
     * skl2onnx), learning from a CSV file; its answers are compared with the teacher run in ONNX
     * Runtime on the held-out digits.
     */
    @Test
    void aLinearStudentLearnsAnOnnxTeacherFromCsvRowsAndKeepsItsSignature() throws Exception {
        float[][] train = scaled(NpyArray.read(teachers.resolve("xgb_digits.transfer.npy")).rowsAsFloat());
        StringBuilder csv = new StringBuilder();
        for (int j = 0; j < 64; j++) {
            csv.append(j == 0 ? "" : ",").append("pixel").append(j);
        }
        csv.append('\n');
        for (float[] row : train) {
            for (int j = 0; j < row.length; j++) {
                csv.append(j == 0 ? "" : ",").append(row[j]);
            }
            csv.append('\n');
        }
        Path data = tmp.resolve("digits.csv");
        Files.writeString(data, csv);
        Path teacher = Fixtures.path("digits_mlp.onnx");
        int code = run("optimize", teacher.toString(), "--out", tmp.resolve("artifacts").toString(),
                "--pass", "distill:family=linear", "--data", data.toString(), "--samples", "256");
        JsonNode summary = summary();
        assertThat(code).as(summary.toString()).isZero();
        assertThat(summary.get("validation").get("samples").asInt()).as("held out: --samples, at most a fifth")
                .isEqualTo(Math.min(256, train.length / 5));

        Path student = Path.of(summary.get("location").asText()).resolve("model.onnx");
        assertThat(Signatures.of(ModelProto.parseFrom(Files.readAllBytes(student))))
                .isEqualTo(Signatures.of(ModelProto.parseFrom(Files.readAllBytes(teacher))));
        float[][] heldOut = scaled(NpyArray.read(teachers.resolve("xgb_digits.heldout.npy")).rowsAsFloat());
        float[][] byTeacher = (float[][]) runModel(teacher, heldOut).get("probabilities");
        float[][] byStudent = (float[][]) runModel(student, heldOut).get("probabilities");
        int agree = 0;
        for (int r = 0; r < heldOut.length; r++) {
            agree += Fixtures.argmax(byTeacher[r]) == Fixtures.argmax(byStudent[r]) ? 1 : 0;
        }
        assertThat(agree / (double) heldOut.length).as("a linear model follows the MLP on most digits")
                .isGreaterThanOrEqualTo(0.9);
        assertThat(Files.size(student)).isLessThan(Files.size(teacher) / 5);
    }

    /**
     * A regressor's student learns its values (squared error) and keeps its one output [rows, 1];
     * on the rows it learnt from it follows LightGBM's own predictions closely.
     */
    @ParameterizedTest
    @CsvSource({"distill:trees=50;rows=20000", "distill:family=linear"})
    void aRegressorIsDistilledToItsValues(String pass) throws Exception {
        Path examples = Path.of("..", "examples", "models", "trees");
        Path teacher = examples.resolve("lgb_regression.txt");
        Path rows = examples.resolve("lgb_regression.inputs.npy");
        int code = run("optimize", teacher.toString(), "--out", tmp.resolve("artifacts").toString(),
                "--pass", pass.replace(';', ','), "--data", rows.toString(), "--samples", "40");
        JsonNode summary = summary();
        assertThat(code).as(summary.toString()).isZero();
        assertThat(summary.get("validation").has("top1Agreement")).as("no top-1 for a regressor").isFalse();
        Path student = Path.of(summary.get("location").asText()).resolve("model.onnx");
        ModelProto converted = Converter.toOnnx(Files.readAllBytes(teacher), ModelFormat.LIGHTGBM);
        assertThat(Signatures.of(ModelProto.parseFrom(Files.readAllBytes(student)))).isEqualTo(Signatures.of(converted));

        float[][] x = NpyArray.read(rows).rowsAsFloat();
        float[][] expected = NpyArray.read(examples.resolve("lgb_regression.expected.npy")).rowsAsFloat();
        float[][] got = (float[][]) runModel(student, x).get("variable");
        double mean = java.util.Arrays.stream(expected).mapToDouble(r -> r[0]).average().orElseThrow();
        double residual = 0;
        double total = 0;
        for (int r = 0; r < x.length; r++) {
            residual += Math.pow(got[r][0] - expected[r][0], 2);
            total += Math.pow(expected[r][0] - mean, 2);
        }
        // Share of LightGBM's variance the student reproduces, computed here from both outputs.
        assertThat(1 - residual / total).as("R² against LightGBM's predictions").isGreaterThan(pass.contains("linear")
                ? 0.3 : 0.9);
    }

    /**
     * XGBoost's gblinear models (the linear student's format) convert to ONNX that predicts what
     * XGBoost itself predicted, missing values included.
     */
    @ParameterizedTest
    @CsvSource({"xgb_breast_cancer", "xgb_wine", "xgb_digits"})
    void gblinearModelsConvertToWhatXgboostPredicts(String name) throws Exception {
        ModelProto model = Converter.toOnnx(Files.readAllBytes(teachers.resolve(name + ".gblinear.json")),
                ModelFormat.XGBOOST);
        Path file = tmp.resolve(name + ".gblinear.onnx");
        Files.write(file, model.toByteArray());
        float[][] rows = NpyArray.read(teachers.resolve(name + ".heldout.nan.npy")).rowsAsFloat();
        float[][] expected = NpyArray.read(teachers.resolve(name + ".heldout.gblinear.npy")).rowsAsFloat();
        float[][] got = (float[][]) runModel(file, rows).get("probabilities");
        assertThat(java.util.Arrays.stream(rows).flatMapToDouble(r -> java.util.stream.IntStream.range(0, r.length)
                .mapToDouble(j -> r[j])).anyMatch(Double::isNaN)).as("rows with NaN").isTrue();
        for (int r = 0; r < rows.length; r++) {
            for (int k = 0; k < expected[r].length; k++) {
                assertThat((double) got[r][k]).as("row %d class %d", r, k)
                        .isCloseTo(expected[r][k], org.assertj.core.api.Assertions.within(1e-5));
            }
        }
    }

    private static float[][] scaled(float[][] digits) {
        for (float[] row : digits) {
            for (int j = 0; j < row.length; j++) {
                row[j] /= 16f;
            }
        }
        return digits;
    }

    private JsonNode cases() throws IOException {
        return JSON.readTree(teachers.resolve("cases.json").toFile());
    }

    private int run(String... args) {
        return command.run(args);
    }

    private JsonNode summary() throws IOException {
        return command.summary();
    }

    private static Map<String, Object> runModel(Path model, float[][] rows) throws IOException {
        byte[] bytes = Files.readAllBytes(model);
        return Fixtures.run(bytes, Signatures.of(ModelProto.parseFrom(bytes)).inputs().get(0).name(), rows);
    }

    /** Trees with at least one split, counted from the ONNX tree operator's node lists. */
    static int trees(ModelProto model) {
        return (int) branches(model).map(b -> b[0]).distinct().count();
    }

    /** The deepest branch: a node's depth follows its parents through the true/false node ids. */
    static int maxDepth(ModelProto model) {
        NodeProto ensemble = model.getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().startsWith("TreeEnsemble")).findFirst().orElseThrow();
        List<Long> tree = ints(ensemble, "nodes_treeids");
        List<Long> ids = ints(ensemble, "nodes_nodeids");
        List<Long> yes = ints(ensemble, "nodes_truenodeids");
        List<Long> no = ints(ensemble, "nodes_falsenodeids");
        List<String> modes = ensemble.getAttributeList().stream().filter(a -> a.getName().equals("nodes_modes"))
                .flatMap(a -> a.getStringsList().stream()).map(b -> b.toStringUtf8()).toList();
        Map<String, Integer> depth = new java.util.HashMap<>();
        int max = 0;
        for (int i = 0; i < ids.size(); i++) {
            int d = depth.getOrDefault(tree.get(i) + "/" + ids.get(i), 0);
            if (!modes.get(i).equals("LEAF")) {
                depth.put(tree.get(i) + "/" + yes.get(i), d + 1);
                depth.put(tree.get(i) + "/" + no.get(i), d + 1);
                max = Math.max(max, d + 1);
            }
        }
        return max;
    }

    private static Stream<long[]> branches(ModelProto model) {
        List<long[]> out = new ArrayList<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (!n.getOpType().startsWith("TreeEnsemble")) {
                continue;
            }
            List<Long> tree = ints(n, "nodes_treeids");
            List<String> modes = n.getAttributeList().stream().filter(a -> a.getName().equals("nodes_modes"))
                    .flatMap(a -> a.getStringsList().stream()).map(b -> b.toStringUtf8()).toList();
            for (int i = 0; i < tree.size(); i++) {
                if (!modes.get(i).equals("LEAF")) {
                    out.add(new long[] {tree.get(i)});
                }
            }
        }
        return out.stream();
    }

    private static List<Long> ints(NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name))
                .flatMap(a -> a.getIntsList().stream()).toList();
    }
}
