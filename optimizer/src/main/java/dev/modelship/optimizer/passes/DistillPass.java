package dev.modelship.optimizer.passes;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.distill.Distiller;
import dev.modelship.optimizer.distill.TransferSet;
import java.util.Map;
import java.util.Set;

/**
 * Knowledge distillation: a smaller student trained on the model's own outputs over the user's
 * transfer set replaces the model. The student is judged against the teacher by validation like
 * every pass, on rows of the transfer set it did not learn from.
 */
public final class DistillPass implements Pass {
    public static final String NAME = "distill";

    private final Map<String, String> params;
    private final Distiller.Settings settings;
    private final TransferSet data;

    DistillPass(PassSpec spec, TransferSet data) {
        PassParams p = new PassParams(spec, Set.of("family", "trees", "depth", "rows", "eta"));
        String family = p.choice("family", "trees", "trees", "linear");
        boolean trees = family.equals("trees");
        if (!trees && spec.params().containsKey("depth")) {
            throw OptimizerException.usage("pass 'distill': family=linear has no depth");
        }
        int rounds = (int) p.integer("trees", trees ? 50 : 100, 1, 10_000);
        int depth = trees ? (int) p.integer("depth", 6, 1, 16) : 0;
        long rows = p.integer("rows", 0, 0, 10_000_000);
        double eta = p.number("eta", trees ? 0.3 : 0.5, 1e-4, 1);
        this.params = p.asRun();
        this.settings = new Distiller.Settings(trees, rounds, depth, (int) rows, eta);
        if (data == null) {
            throw OptimizerException.usage("pass 'distill' needs a transfer set: the rows the student learns from"
                    + " (--data <uri> on the command line, spec.optimization.data in a ModelDeployment); it never"
                    + " invents rows");
        }
        this.data = data;
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
    public Result apply(ModelProto teacher) {
        Distiller.Result student = Distiller.distill(teacher, data, settings);
        return Result.onnx(student.model(), student.notes());
    }
}
