package dev.modelship.optimizer.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.modelship.optimizer.Fixtures;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Converted tree models, run in ONNX Runtime, predict what XGBoost and LightGBM themselves
 * predicted for held-out rows (rows with NaN and, for one model, exact zeros included).
 */
class TreeConversionTest {
    private static final double TOLERANCE = 1e-5;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "xgb_regression.json, xgb_regression, xgboost, regression",
        "xgb_binary_logistic.json, xgb_binary_logistic, xgboost, binary",
        "xgb_multi_softprob.json, xgb_multi_softprob, xgboost, probabilities",
        "xgb_multi_softmax.json, xgb_multi_softmax, xgboost, label",
        "lgb_regression.txt, lgb_regression, lightgbm, regression",
        "lgb_zero_as_missing.txt, lgb_zero_as_missing, lightgbm, regression",
        "lgb_binary.txt, lgb_binary, lightgbm, binary",
        "lgb_multiclass.txt, lgb_multiclass, lightgbm, probabilities",
        "xgb_categorical.json, xgb_categorical, xgboost, regression",
        "lgb_categorical.txt, lgb_categorical, lightgbm, regression",
    })
    void predictionsEqualTheOriginalLibrary(String file, String name, String format, String kind) {
        byte[] bytes = Fixtures.bytes(file);
        assertThat(ModelFormat.detect(bytes)).isEqualTo(ModelFormat.parse(format));
        ModelProto model = Converter.toOnnx(bytes, ModelFormat.parse(format));
        JsonNode fixture = Fixtures.expected(name);
        float[][] x = Fixtures.matrix(fixture.get("inputs"));
        assertThat(java.util.Arrays.stream(x).flatMapToDouble(r -> java.util.stream.IntStream.range(0, r.length)
                .mapToDouble(j -> r[j])).filter(Double::isNaN).count()).as("rows with NaN").isPositive();
        double[][] expected = Fixtures.doubles(fixture.get("expected"));
        Map<String, Object> out = Fixtures.run(model, TreeEnsembleBuilder.INPUT, x);

        for (int i = 0; i < x.length; i++) {
            switch (kind) {
                case "regression" -> assertThat((double) ((float[][]) out.get("variable"))[i][0])
                        .as("row %d", i).isCloseTo(expected[i][0], within(TOLERANCE));
                case "binary" -> {
                    float[] p = ((float[][]) out.get("probabilities"))[i];
                    assertThat((double) p[1]).as("row %d", i).isCloseTo(expected[i][0], within(TOLERANCE));
                    assertThat((double) p[0]).isCloseTo(1 - expected[i][0], within(TOLERANCE));
                    assertThat(((long[]) out.get("label"))[i]).isEqualTo(expected[i][0] > 0.5 ? 1L : 0L);
                }
                case "probabilities" -> {
                    float[] p = ((float[][]) out.get("probabilities"))[i];
                    assertThat(p).hasSize(expected[i].length);
                    for (int c = 0; c < p.length; c++) {
                        assertThat((double) p[c]).as("row %d class %d", i, c)
                                .isCloseTo(expected[i][c], within(TOLERANCE));
                    }
                }
                case "label" -> assertThat((double) ((long[]) out.get("label"))[i]).as("row %d", i)
                        .isEqualTo(expected[i][0]);
                default -> throw new IllegalArgumentException(kind);
            }
        }
    }
}
