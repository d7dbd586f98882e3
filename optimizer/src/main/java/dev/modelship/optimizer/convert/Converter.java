package dev.modelship.optimizer.convert;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelship.optimizer.convert.lightgbm.LightgbmConverter;
import dev.modelship.optimizer.convert.xgboost.XgboostConverter;
import dev.modelship.optimizer.onnx.OnnxModels;

/** Turns source bytes of any known format into a checked ONNX model. */
public final class Converter {
    private Converter() {
    }

    public static ModelProto toOnnx(byte[] bytes, ModelFormat format) {
        ModelProto model = switch (format) {
            case ONNX -> OnnxModels.parse(bytes);
            case XGBOOST -> XgboostConverter.convert(bytes);
            case LIGHTGBM -> LightgbmConverter.convert(bytes);
        };
        if (format != ModelFormat.ONNX) {
            OnnxModels.check(model);
        }
        return model;
    }
}
