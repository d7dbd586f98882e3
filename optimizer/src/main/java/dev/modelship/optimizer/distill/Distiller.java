package dev.modelship.optimizer.distill;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.modelship.optimizer.convert.xgboost.XgboostConverter;
import dev.modelship.optimizer.onnx.OnnxModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/** teacher + transfer set → soft targets → student (XGBoost) → our converter → the teacher's signature. */
public final class Distiller {
    private static final long SAMPLING_SEED = 20261130L;
    /** Each feature of a sampled row comes from another row with this probability. */
    private static final double SWAP_PROBABILITY = 0.2;

    /**
     * {@code rows} 0 trains on the transfer set as given; more adds rows sampled around it.
     * {@code trees} false means a linear student.
     */
    public record Settings(boolean trees, int rounds, int depth, int rows, double eta) {
    }

    /** The student, with the teacher's signature, and notes for the manifest. */
    public record Result(ModelProto model, List<String> notes) {
    }

    private Distiller() {
    }

    public static Result distill(ModelProto teacher, TransferSet data, Settings settings) {
        Teacher.Roles roles = Teacher.roles(teacher);
        float[][] given = data.training();
        float[][] rows = settings.rows() > given.length ? sampleAround(given, settings.rows(), SAMPLING_SEED) : given;
        Teacher.Answers answers = Teacher.answer(teacher, roles, rows);
        if (answers.targets().length < rows.length) {
            rows = Arrays.copyOf(rows, answers.targets().length);
        }
        Student.Family family = settings.trees() ? Student.Family.TREES : Student.Family.LINEAR;
        byte[] json = Student.train(rows, answers.targets(), roles.classifier(),
                new Student.Settings(family, settings.rounds(), settings.depth(), settings.eta()));
        ModelProto converted = XgboostConverter.convert(json);
        ModelProto student = StudentSignature.matchTeacher(converted, teacher, roles,
                answers.classLabels() == null ? new long[0] : answers.classLabels());
        OnnxModels.check(student);

        List<String> notes = new ArrayList<>();
        int teacherTrees = trees(teacher);
        notes.add(String.format(Locale.ROOT, "teacher: %s, %,d bytes%s", roles.classifier()
                        ? roles.classes() + "-class classifier" : "regressor", teacher.getSerializedSize(),
                teacherTrees > 0 ? ", " + teacherTrees + " trees" : ""));
        notes.add(String.format(Locale.ROOT, "student: %s, %,d bytes", settings.trees()
                ? String.format(Locale.ROOT, "%d rounds of depth <= %d (%d trees)", settings.rounds(), settings.depth(),
                        trees(student))
                : "linear (XGBoost gblinear, " + settings.rounds() + " rounds)", student.getSerializedSize()));
        notes.add(String.format(Locale.ROOT, "transfer set %s (sha256 %s…): %,d rows to learn from%s, %,d held out"
                        + " for validation; soft targets: the teacher's %s", data.uri(), data.sha256().substring(0, 12),
                given.length, rows.length > given.length
                        ? String.format(Locale.ROOT, " + %,d sampled around them", rows.length - given.length) : "",
                data.heldOut().length, roles.classifier() ? "probabilities" : "values"));
        return new Result(student, notes);
    }

    /**
     * More rows like the given ones: a random row whose features each come, with a small
     * probability, from another random row. Values stay ones the data holds, feature by
     * feature, while the combinations fill the space between rows, where a student learns
     * the teacher's boundaries (the idea of MUNGE, Buciluǎ et al., Model Compression, 2006).
     */
    static float[][] sampleAround(float[][] rows, int target, long seed) {
        Random random = new Random(seed);
        float[][] out = Arrays.copyOf(rows, target);
        for (int i = rows.length; i < target; i++) {
            float[] row = rows[random.nextInt(rows.length)].clone();
            for (int j = 0; j < row.length; j++) {
                if (random.nextDouble() < SWAP_PROBABILITY) {
                    row[j] = rows[random.nextInt(rows.length)][j];
                }
            }
            out[i] = row;
        }
        return out;
    }

    /** Trees with at least one split in a model's tree-ensemble operators (0 for a model without them). */
    static int trees(ModelProto model) {
        int total = 0;
        for (NodeProto node : model.getGraph().getNodeList()) {
            if (!node.getOpType().startsWith("TreeEnsemble")) {
                continue;
            }
            List<Long> treeIds = ints(node, "nodes_treeids");
            List<String> modes = node.getAttributeList().stream().filter(a -> a.getName().equals("nodes_modes"))
                    .flatMap(a -> a.getStringsList().stream()).map(b -> b.toStringUtf8()).toList();
            Set<Long> branched = new HashSet<>();
            for (int i = 0; i < treeIds.size(); i++) {
                if (!modes.get(i).equals("LEAF")) {
                    branched.add(treeIds.get(i));
                }
            }
            total += branched.size();
        }
        return total;
    }

    private static List<Long> ints(NodeProto node, String name) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name))
                .flatMap(a -> a.getIntsList().stream()).toList();
    }
}
