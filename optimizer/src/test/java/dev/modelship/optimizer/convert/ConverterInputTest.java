package dev.modelship.optimizer.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.convert.lightgbm.LightgbmConverter;
import dev.modelship.optimizer.convert.xgboost.XgboostConverter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** How the converters read what each library version writes, and refuse what they cannot read. */
class ConverterInputTest {

    @Test
    void xgboostBaseScoreInEveryVersionsSpelling() throws Exception {
        var parse = XgboostConverter.class.getDeclaredMethod("parseBaseScore", String.class);
        parse.setAccessible(true);
        assertThat((float[]) parse.invoke(null, "5E-1")).containsExactly(0.5f);          // XGBoost 1.x/2.x
        assertThat((float[]) parse.invoke(null, "[5.18E-1]")).containsExactly(0.518f);   // 3.x
        assertThat((float[]) parse.invoke(null, "[2E-3,2E-3,-4E-3]")).containsExactly(0.002f, 0.002f, -0.004f);
    }

    @Test
    void ubjsonAndJsonOfOneBoosterConvertToTheSameModel() {
        assertThat(XgboostConverter.convert(Fixtures.bytes("xgb_multi_softmax.ubj")))
                .isEqualTo(XgboostConverter.convert(Fixtures.bytes("xgb_multi_softmax.json")));
    }

    @Test
    void truncatedOrForeignFilesAreRefusedWithAReason() {
        byte[] lgb = Fixtures.bytes("lgb_binary.txt");
        assertThatThrownBy(() -> LightgbmConverter.convert(Arrays.copyOf(lgb, lgb.length / 3)))
                .isInstanceOf(OptimizerException.class).hasMessageContaining("truncated");
        byte[] xgb = Fixtures.bytes("xgb_regression.json");
        assertThatThrownBy(() -> XgboostConverter.convert(Arrays.copyOf(xgb, xgb.length / 2)))
                .isInstanceOf(OptimizerException.class).hasMessageContaining("not a JSON document");
        byte[] ubj = Fixtures.bytes("xgb_multi_softmax.ubj");
        assertThatThrownBy(() -> XgboostConverter.convert(Arrays.copyOf(ubj, ubj.length - 7)))
                .hasMessageContaining("UBJSON document is truncated");
        String gblinear = new String(xgb, StandardCharsets.UTF_8).replace("\"name\": \"gbtree\"", "\"name\": \"gblinear\"")
                .replace("\"name\":\"gbtree\"", "\"name\":\"gblinear\"");
        // A tree model's JSON under gblinear's name holds no weights array.
        assertThatThrownBy(() -> XgboostConverter.convert(gblinear.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(OptimizerException.class).hasMessageContaining("gblinear model has 0 weights");
        String unknown = gblinear.replace("gblinear", "gbforest");
        assertThatThrownBy(() -> XgboostConverter.convert(unknown.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("unsupported XGBoost booster 'gbforest'");
        String poisson = new String(lgb, StandardCharsets.UTF_8).replace("objective=binary sigmoid:1",
                "objective=lambdaxyz");
        assertThatThrownBy(() -> LightgbmConverter.convert(poisson.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("unsupported LightGBM objective 'lambdaxyz'");
        assertThat(ModelFormat.detect(Fixtures.bytes("digits_mlp.onnx"))).isEqualTo(ModelFormat.ONNX);
        assertThat(ModelFormat.detect(Fixtures.bytes("xgb_multi_softmax.ubj"))).isEqualTo(ModelFormat.XGBOOST);
    }
}
