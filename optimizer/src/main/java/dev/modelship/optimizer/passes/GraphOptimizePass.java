package dev.modelship.optimizer.passes;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.onnx.OnnxModels;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * ONNX Runtime's offline graph optimization (constant folding, redundant node removal and,
 * at {@code extended}, fusions into ONNX Runtime's own ops), saved as ONNX.
 * {@code level=basic} (default) keeps standard ONNX ops only, so any runtime can load the result.
 */
final class GraphOptimizePass implements Pass {
    static final String NAME = "graph-optimize";
    private final String level;
    private final Map<String, String> params;

    GraphOptimizePass(PassSpec spec) {
        PassParams p = new PassParams(spec, java.util.Set.of("level"));
        level = p.choice("level", "basic", "basic", "extended");
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
        byte[] out = OrtSave.optimize(model.toByteArray(), OrtSave.level(level), false, NAME);
        ModelProto optimized = OnnxModels.parse(out);
        return Result.onnx(optimized, List.of(
                "nodes " + model.getGraph().getNodeCount() + " -> " + optimized.getGraph().getNodeCount(),
                "ops before " + opCounts(model), "ops after " + opCounts(optimized)));
    }

    static Map<String, Integer> opCounts(ModelProto model) {
        Map<String, Integer> counts = new TreeMap<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            counts.merge(n.getOpType(), 1, Integer::sum);
        }
        return counts;
    }
}
