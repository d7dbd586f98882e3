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

    /**
     * Detects the format from the first bytes: LightGBM text, XGBoost JSON/UBJSON, or an ONNX
     * ModelProto, whose first field is {@code ir_version} (field 1, varint: tag byte 0x08).
     *
     * @throws OptimizerException {@code UnsupportedFormat} for anything else (a pickle, a zip, ...)
     */
    public static ModelFormat detect(byte[] bytes) {
        if (bytes.length == 0) {
            throw OptimizerException.badModel("the model file is empty");
        }
        if (LightgbmConverter.looksLike(bytes)) {
            return LIGHTGBM;
        }
        if (bytes[0] == '{') {
            return XGBOOST;
        }
        if (XgboostConverter.looksLike(bytes)) {
            return XGBOOST;
        }
        if (bytes[0] == 0x08) {
            return ONNX;
        }
        throw OptimizerException.unsupported("not a model format the optimizer reads (ONNX, XGBoost JSON or"
                + " UBJSON, LightGBM text): the file starts with " + describe(bytes) + "; name the format"
                + " with --format if this is wrong");
    }

    private static String describe(byte[] bytes) {
        StringBuilder hex = new StringBuilder("bytes");
        for (int i = 0; i < Math.min(8, bytes.length); i++) {
            hex.append(String.format(Locale.ROOT, " %02x", bytes[i] & 0xff));
        }
        return hex.toString();
    }
}
