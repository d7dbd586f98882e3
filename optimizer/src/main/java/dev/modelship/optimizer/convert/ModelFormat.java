package dev.modelship.optimizer.convert;

import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.convert.lightgbm.LightgbmConverter;
import dev.modelship.optimizer.convert.xgboost.XgboostConverter;
import java.util.Locale;

/** The source formats the optimizer reads. */
public enum ModelFormat {
    ONNX, XGBOOST, LIGHTGBM;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ModelFormat parse(String s) {
        for (ModelFormat f : values()) {
            if (f.id().equals(s.toLowerCase(Locale.ROOT))) {
                return f;
            }
        }
        throw OptimizerException.usage("unknown format '" + s + "' (known: onnx, xgboost, lightgbm)");
    }

    /** Detects the format from the first bytes: LightGBM text, XGBoost JSON/UBJSON, else ONNX protobuf. */
    public static ModelFormat detect(byte[] bytes) {
        if (LightgbmConverter.looksLike(bytes)) {
            return LIGHTGBM;
        }
        if (bytes.length > 0 && bytes[0] == '{') {
            return XGBOOST;
        }
        if (XgboostConverter.looksLike(bytes)) {
            return XGBOOST;
        }
        return ONNX;
    }
}
