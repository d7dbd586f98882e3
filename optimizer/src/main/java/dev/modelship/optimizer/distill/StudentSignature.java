package dev.modelship.optimizer.distill;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.convert.TreeEnsembleBuilder;
import dev.modelship.optimizer.onnx.Tensors;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * Gives the converted student the teacher's exact signature: its input and outputs by the
 * teacher's names, types and shapes, in the teacher's order, so clients and the server see no
 * difference. The student's own tensors are prefixed so they cannot clash with the teacher's names.
 */
final class StudentSignature {
    private static final String PREFIX = "student/";

    private StudentSignature() {
    }

    static ModelProto matchTeacher(ModelProto student, ModelProto teacher, Teacher.Roles roles, long[] classLabels) {
        GraphProto.Builder g = student.getGraph().toBuilder().clearInput().clearOutput().clearValueInfo();
        for (NodeProto.Builder node : g.getNodeBuilderList()) {
            for (int i = 0; i < node.getInputCount(); i++) {
                String in = node.getInput(i);
                node.setInput(i, in.equals(TreeEnsembleBuilder.INPUT) ? roles.input().name() : PREFIX + in);
            }
            for (int i = 0; i < node.getOutputCount(); i++) {
                node.setOutput(i, PREFIX + node.getOutput(i));
            }
        }
        g.addInput(teacherValue(teacher.getGraph().getInputList(), roles.input().name()));
        for (ValueInfoProto out : teacher.getGraph().getOutputList()) {
            String name = out.getName();
            if (roles.probabilities() != null && name.equals(roles.probabilities().name())) {
                g.addNode(identity(PREFIX + TreeEnsembleBuilder.PROBABILITIES_OUTPUT, name));
            } else if (roles.label() != null && name.equals(roles.label().name())) {
                label(g, roles.label(), classLabels);
            } else {
                // The converter's regressor output is a column [rows, 1].
                reshape(g, PREFIX + TreeEnsembleBuilder.REGRESSOR_OUTPUT, true, roles.value(), name);
            }
            g.addOutput(out);
        }
        return student.toBuilder().setGraph(g).build();
    }

    /** The class index, mapped to the teacher's labels and cast to its type and shape. */
    private static void label(GraphProto.Builder g, Manifest.Tensor teacherLabel, long[] classLabels) {
        String index = PREFIX + TreeEnsembleBuilder.LABEL_OUTPUT;
        boolean identity = LongStream.range(0, classLabels.length).allMatch(k -> classLabels[(int) k] == k);
        String mapped = index;
        if (!identity) {
            mapped = PREFIX + "label_mapped";
            g.addInitializer(Tensors.int64Tensor(PREFIX + "class_labels", new long[] {classLabels.length}, classLabels));
            g.addNode(NodeProto.newBuilder().setOpType("Gather").setName(PREFIX + "map_labels")
                    .addInput(PREFIX + "class_labels").addInput(index).addOutput(mapped));
        }
        String typed = mapped;
        if (!teacherLabel.datatype().equals("INT64")) {
            typed = PREFIX + "label_typed";
            g.addNode(NodeProto.newBuilder().setOpType("Cast").setName(PREFIX + "cast_label").addInput(mapped)
                    .addOutput(typed).addAttribute(AttributeProto.newBuilder().setName("to")
                            .setType(AttributeProto.AttributeType.INT).setI(onnxType(teacherLabel.datatype()))));
        }
        // The converter's label is a vector [rows].
        reshape(g, typed, false, teacherLabel, teacherLabel.name());
    }

    /** [rows] or [rows, 1], as the teacher has it. */
    private static void reshape(GraphProto.Builder g, String from, boolean studentIsColumn, Manifest.Tensor teacher,
                                String to) {
        boolean teacherIsColumn = teacher.shape().size() == 2;
        if (studentIsColumn == teacherIsColumn) {
            g.addNode(identity(from, to));
            return;
        }
        String shape = PREFIX + "shape_of_" + to;
        g.addInitializer(Tensors.int64Tensor(shape, new long[] {teacherIsColumn ? 2 : 1},
                teacherIsColumn ? new long[] {-1, 1} : new long[] {-1}));
        g.addNode(NodeProto.newBuilder().setOpType("Reshape").setName(PREFIX + "reshape_" + to)
                .addInput(from).addInput(shape).addOutput(to));
    }

    private static NodeProto identity(String from, String to) {
        return NodeProto.newBuilder().setOpType("Identity").setName(PREFIX + "as_" + to).addInput(from)
                .addOutput(to).build();
    }

    private static ValueInfoProto teacherValue(List<ValueInfoProto> values, String name) {
        return values.stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    private static int onnxType(String v2Datatype) {
        return Map.of("INT8", TensorProto.DataType.INT8_VALUE, "INT16", TensorProto.DataType.INT16_VALUE,
                "INT32", TensorProto.DataType.INT32_VALUE, "INT64", TensorProto.DataType.INT64_VALUE)
                .getOrDefault(v2Datatype, TensorProto.DataType.INT64_VALUE);
    }
}
