package dev.modelship.optimizer.passes;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Map;

/** One optimization step: takes a model, returns a model and notes for the manifest. */
public interface Pass {

    String name();

    /** The parameters as run, defaults filled in, for the manifest. */
    Map<String, String> params();

    Result apply(ModelProto model);

    /**
     * What a pass produced. {@code ortBytes} is set instead of {@code model} by a pass that
     * leaves ONNX behind (ORT format); no pass may follow it.
     */
    record Result(ModelProto model, byte[] ortBytes, List<String> notes) {
        public static Result onnx(ModelProto model, List<String> notes) {
            return new Result(model, null, List.copyOf(notes));
        }
    }
}
