package dev.modelship.optimizer.passes;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelship.artifact.PassSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Saves the model in ONNX Runtime's ORT format (flatbuffers, loads without protobuf parsing).
 * The graph is optimized at {@code level} (default basic) first, as ONNX Runtime requires.
 */
final class OrtFormatPass implements Pass {
    static final String NAME = "ort-format";
    private final String level;
    private final Map<String, String> params;

    OrtFormatPass(PassSpec spec) {
        PassParams p = new PassParams(spec, Set.of("level"));
        level = p.choice("level", "basic", "none", "basic", "extended");
        params = p.asRun();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, String> params() {
        return params;
    }

    @Override
    public Result apply(ModelProto model) {
        byte[] ort = OrtSave.optimize(model.toByteArray(), OrtSave.level(level), true, NAME);
        return new Result(null, ort, List.of("saved in ORT format at optimization level " + level));
    }
}
