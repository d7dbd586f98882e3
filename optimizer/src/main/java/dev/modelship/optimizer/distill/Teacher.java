package dev.modelship.optimizer.distill;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.onnx.Signatures;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The model being distilled: which of its outputs are class probabilities, a label or a value
 * (read from its signature), and its answers on the transfer set, which become the student's
 * soft targets.
 */
final class Teacher {
    private static final int BATCH = 1024;

    /** A classifier has {@code probabilities} (and maybe a {@code label}); a regressor a {@code value}. */
    record Roles(Manifest.Tensor input, int features, Manifest.Tensor probabilities, Manifest.Tensor label,
                 Manifest.Tensor value) {
        boolean classifier() {
            return probabilities != null;
        }

        int classes() {
            return probabilities == null ? 0 : probabilities.shape().get(1).intValue();
        }
    }

    /**
     * Soft targets: probabilities [rows][classes] or values [rows][1]; for a classifier with a
     * label output, {@code classLabels[k]} is the label the teacher gives when class k is most probable.
     */
    record Answers(float[][] targets, long[] classLabels) {
    }

    private Teacher() {
    }

    static Roles roles(ModelProto model) {
        Manifest.Signature sig = Signatures.of(model);
        if (sig.inputs().size() != 1 || !sig.inputs().get(0).datatype().equals("FP32")
                || sig.inputs().get(0).shape().size() != 2 || sig.inputs().get(0).shape().get(1) <= 0) {
            throw OptimizerException.unsupported("pass 'distill' needs a model with one FP32 input of shape"
                    + " [rows, features]; this one takes " + describe(sig.inputs()));
        }
        Manifest.Tensor input = sig.inputs().get(0);
        Manifest.Tensor probabilities = null;
        Manifest.Tensor label = null;
        Manifest.Tensor value = null;
        for (Manifest.Tensor out : sig.outputs()) {
            List<Long> shape = out.shape();
            boolean floating = out.datatype().equals("FP32");
            boolean integral = out.datatype().startsWith("INT");
            boolean oneValuePerRow = shape.size() == 1 || (shape.size() == 2 && shape.get(1) == 1);
            if (floating && shape.size() == 2 && shape.get(1) >= 2 && probabilities == null) {
                probabilities = out;
            } else if (integral && oneValuePerRow && label == null) {
                label = out;
            } else if (floating && oneValuePerRow && value == null) {
                value = out;
            } else {
                throw unsupportedOutputs(sig);
            }
        }
        boolean classifier = probabilities != null && value == null;
        boolean regressor = value != null && probabilities == null && label == null;
        if (!classifier && !regressor) {
            throw unsupportedOutputs(sig);
        }
        return new Roles(input, input.shape().get(1).intValue(), probabilities, label, value);
    }

    /** Runs the teacher over the rows, in batches when its first dimension is open. */
    static Answers answer(ModelProto model, Roles roles, float[][] rows) {
        if (rows.length == 0) {
            throw OptimizerException.usage("pass 'distill': the transfer set has no rows left to learn from");
        }
        if (rows[0].length != roles.features()) {
            throw OptimizerException.usage("pass 'distill': the transfer set's rows have " + rows[0].length
                    + " columns, but the model's input '" + roles.input().name() + "' has " + roles.features()
                    + " features; give the model's input rows, columns in its input order");
        }
        int batch = roles.input().shape().get(0) > 0 ? roles.input().shape().get(0).intValue() : BATCH;
        String target = roles.classifier() ? roles.probabilities().name() : roles.value().name();
        int width = roles.classifier() ? roles.classes() : 1;
        float[][] targets = new float[rows.length][];
        long[] labels = roles.label() == null ? null : new long[rows.length];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(model.toByteArray(), options)) {
            for (int start = 0; start < rows.length; start += batch) {
                int n = Math.min(batch, rows.length - start);
                if (n < batch && roles.input().shape().get(0) > 0) {
                    break; // a fixed batch dimension: the rest does not fill one
                }
                FloatBuffer buf = FloatBuffer.allocate(n * roles.features());
                for (int r = 0; r < n; r++) {
                    buf.put(rows[start + r]);
                }
                buf.flip();
                try (OnnxTensor x = OnnxTensor.createTensor(env, buf, new long[] {n, roles.features()});
                     OrtSession.Result result = session.run(Map.of(roles.input().name(), x))) {
                    float[] flat = floats(result.get(target).orElseThrow());
                    for (int r = 0; r < n; r++) {
                        targets[start + r] = Arrays.copyOfRange(flat, r * width, (r + 1) * width);
                    }
                    if (labels != null) {
                        long[] l = longs(result.get(roles.label().name()).orElseThrow());
                        System.arraycopy(l, 0, labels, start, n);
                    }
                }
            }
        } catch (OrtException e) {
            throw OptimizerException.badModel("pass 'distill': ONNX Runtime cannot run the model on the transfer"
                    + " set: " + e.getMessage());
        }
        int answered = (int) Arrays.stream(targets).filter(t -> t != null).count();
        float[][] kept = Arrays.copyOf(targets, answered);
        return new Answers(kept, labels == null ? null : classLabels(kept, Arrays.copyOf(labels, answered)));
    }

    /**
     * The label of each class index, learnt from the teacher's own answers: the label must be a
     * function of the most probable class, or no student with these outputs can reproduce it.
     */
    private static long[] classLabels(float[][] probabilities, long[] labels) {
        int classes = probabilities[0].length;
        long[] byClass = new long[classes];
        boolean[] seen = new boolean[classes];
        for (int k = 0; k < classes; k++) {
            byClass[k] = k;
        }
        for (int r = 0; r < probabilities.length; r++) {
            int k = argmax(probabilities[r]);
            if (seen[k] && byClass[k] != labels[r]) {
                throw OptimizerException.unsupported("pass 'distill': the model's label is not a function of its"
                        + " most probable class (class " + k + " came with labels " + byClass[k] + " and "
                        + labels[r] + "), so a student cannot reproduce it");
            }
            seen[k] = true;
            byClass[k] = labels[r];
        }
        return byClass;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static float[] floats(OnnxValue value) throws OrtException {
        Object v = value.getValue();
        if (v instanceof float[] f) {
            return f;
        }
        float[][] m = (float[][]) v;
        float[] out = new float[m.length * m[0].length];
        for (int r = 0; r < m.length; r++) {
            System.arraycopy(m[r], 0, out, r * m[r].length, m[r].length);
        }
        return out;
    }

    private static long[] longs(OnnxValue value) throws OrtException {
        Object v = value.getValue();
        if (v instanceof long[] l) {
            return l;
        }
        if (v instanceof int[] i) {
            return Arrays.stream(i).asLongStream().toArray();
        }
        if (v instanceof long[][] m) {
            return Arrays.stream(m).mapToLong(r -> r[0]).toArray();
        }
        return Arrays.stream((int[][]) v).mapToLong(r -> r[0]).toArray();
    }

    private static OptimizerException unsupportedOutputs(Manifest.Signature sig) {
        return OptimizerException.unsupported("pass 'distill' needs a classifier (FP32 probabilities [rows, classes],"
                + " optionally an integer label [rows]) or a regressor (one FP32 value per row); this model outputs "
                + describe(sig.outputs()));
    }

    private static String describe(List<Manifest.Tensor> tensors) {
        return tensors.stream().map(t -> t.name() + " " + t.datatype() + " " + t.shape()).toList().toString();
    }
}
