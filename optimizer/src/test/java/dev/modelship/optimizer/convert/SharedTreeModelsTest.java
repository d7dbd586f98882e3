package dev.modelship.optimizer.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.validate.NpyArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The project's shared tree models (examples/models/trees, made by examples/models/make_models.py):
 * every model file listed in its index.json, converted and run in ONNX Runtime, predicts what
 * its library predicted for 200 held-out rows (40 with NaN, one all NaN) within 1e-5.
 */
class SharedTreeModelsTest {
    static final Path TREES = Path.of("../examples/models/trees");

    static Stream<Arguments> models() throws Exception {
        Path index = TREES.resolve("index.json");
        assertThat(index).as("shared fixtures from examples/models/make_models.py").exists();
        List<Arguments> out = new ArrayList<>();
        for (JsonNode m : new ObjectMapper().readTree(index.toFile()).get("models")) {
            for (JsonNode file : m.get("model_files")) {
                out.add(Arguments.of(file.asText(), m));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void predictionsEqualTheLibrarys(String file, JsonNode model) throws Exception {
        byte[] bytes = Files.readAllBytes(TREES.resolve(file));
        var onnx = Converter.toOnnx(bytes, ModelFormat.detect(bytes));
        float[][] x = NpyArray.read(TREES.resolve(model.get("inputs").asText())).rowsAsFloat();
        NpyArray expected = NpyArray.read(TREES.resolve(model.get("expected").asText()));
        Map<String, Object> out = Fixtures.run(onnx, TreeEnsembleBuilder.INPUT, x);
        String objective = model.get("objective").asText();
        int classes = model.get("classes").asInt();
        for (int i = 0; i < x.length; i++) {
            if (objective.equals("multi:softmax")) {
                assertThat((double) ((long[]) out.get("label"))[i]).as("row %d", i).isEqualTo(expected.values()[i]);
            } else if (out.containsKey("probabilities") && classes > 2) {
                float[] p = ((float[][]) out.get("probabilities"))[i];
                for (int c = 0; c < classes; c++) {
                    assertThat((double) p[c]).as("row %d class %d", i, c)
                            .isCloseTo(expected.values()[i * classes + c], within(Fixtures.treeTolerance(expected.values()[i])));
                }
            } else if (out.containsKey("probabilities")) {
                assertThat((double) ((float[][]) out.get("probabilities"))[i][1]).as("row %d", i)
                        .isCloseTo(expected.values()[i], within(Fixtures.treeTolerance(expected.values()[i])));
            } else {
                assertThat((double) ((float[][]) out.get("variable"))[i][0]).as("row %d", i)
                        .isCloseTo(expected.values()[i], within(Fixtures.treeTolerance(expected.values()[i])));
            }
        }
    }
}
