package dev.modelship.optimizer.passes;

import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.distill.TransferSet;
import java.util.ArrayList;
import java.util.List;

/** Resolves the user's pass list into configured passes, before any work starts. */
public final class PassRegistry {
    public static final List<String> NAMES = List.of(
            GraphOptimizePass.NAME, QuantizeDynamicPass.NAME, Float16Pass.NAME, PrunePass.NAME, DistillPass.NAME,
            OrtFormatPass.NAME);

    private PassRegistry() {
    }

    /** @param data the transfer set named by --data (fetched later), or null */
    public static List<Pass> resolve(List<PassSpec> specs, TransferSet data) {
        List<Pass> passes = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            PassSpec spec = specs.get(i);
            Pass pass = switch (spec.name()) {
                case GraphOptimizePass.NAME -> new GraphOptimizePass(spec);
                case QuantizeDynamicPass.NAME -> new QuantizeDynamicPass(spec);
                case Float16Pass.NAME -> new Float16Pass(spec);
                case PrunePass.NAME -> new PrunePass(spec);
                case DistillPass.NAME -> new DistillPass(spec, data);
                case OrtFormatPass.NAME -> new OrtFormatPass(spec);
                default -> throw OptimizerException.usage("unknown pass '" + spec.name() + "' (known: "
                        + String.join(", ", NAMES) + ")");
            };
            if (pass instanceof OrtFormatPass && i != specs.size() - 1) {
                throw OptimizerException.usage("pass 'ort-format' leaves ONNX behind and must be the last pass");
            }
            passes.add(pass);
        }
        return passes;
    }
}
