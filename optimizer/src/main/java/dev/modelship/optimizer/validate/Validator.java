package dev.modelship.optimizer.validate;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.validate.SampleSet.Sample;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the original and the result on the same samples in ONNX Runtime and compares the
 * float outputs (integer outputs, i.e. labels, only when there is no float output): max and
 * mean absolute error over all values, top-1 agreement where the model classifies (the share
 * of positions, over all samples, whose argmax or label agrees; see {@link #top1}), and the
 * median single-sample latency of each.
 */
public final class Validator {
    private static final int WARMUP = 3;

    private Validator() {
    }

    public static Manifest.Validation compare(String reference, byte[] original, byte[] optimized,
                                              SampleSet samples) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession a = env.createSession(original, options);
                 OrtSession b = env.createSession(optimized, options)) {
                double maxErr = 0;
                double sumErr = 0;
                long count = 0;
                long agree = 0;
                long positions = 0;
                double[] latA = new double[samples.samples().size()];
                double[] latB = new double[latA.length];
                warmUp(env, a, b, samples.samples().get(0));
                for (int s = 0; s < latA.length; s++) {
                    Map<String, Sample> in = samples.samples().get(s);
                    long t0 = System.nanoTime();
                    Map<String, Output> outA = run(env, a, in);
                    long t1 = System.nanoTime();
                    Map<String, Output> outB = run(env, b, in);
                    long t2 = System.nanoTime();
                    latA[s] = (t1 - t0) / 1e6;
                    latB[s] = (t2 - t1) / 1e6;
                    boolean anyFloat = outA.values().stream().anyMatch(o -> !o.integral());
                    for (var e : outA.entrySet()) {
                        // Labels are judged by top-1 agreement; errors are measured on scores.
                        if (anyFloat && e.getValue().integral()) {
                            continue;
                        }
                        Output y = sameSize(e.getKey(), e.getValue(), outB);
                        double[] x = e.getValue().values();
                        for (int i = 0; i < x.length; i++) {
                            double d = Math.abs(x[i] - y.values()[i]);
                            if (Double.isNaN(d)) {
                                d = Double.isNaN(x[i]) && Double.isNaN(y.values()[i]) ? 0 : Double.POSITIVE_INFINITY;
                            }
                            maxErr = Math.max(maxErr, d);
                            sumErr += d;
                            count++;
                        }
                    }
                    long[] same = top1(outA, outB);
                    if (same != null) {
                        agree += same[0];
                        positions += same[1];
                    }
                }
                return new Manifest.Validation(reference, samples.from(), latA.length, maxErr,
                        count == 0 ? 0 : sumErr / count, positions == 0 ? null : agree / (double) positions,
                        new Manifest.Latency(median(latA), median(latB)),
                        new Manifest.Sizes(original.length, optimized.length), null);
            }
        } catch (OrtException e) {
            throw OptimizerException.badModel("validation: ONNX Runtime failed: " + e.getMessage());
        }
    }

    /** Loads a model in ONNX Runtime once: an artifact the server cannot load is a bad model. */
    public static void checkLoads(byte[] model) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession ignored = env.createSession(model, options)) {
            // loaded
        } catch (OrtException e) {
            throw OptimizerException.badModel("ONNX Runtime cannot load the model: " + e.getMessage());
        }
    }

    private static void warmUp(OrtEnvironment env, OrtSession a, OrtSession b, Map<String, Sample> in)
            throws OrtException {
        for (int i = 0; i < WARMUP; i++) {
            run(env, a, in);
            run(env, b, in);
        }
    }

    /** One output of one run: its shape as run, its values as doubles, and whether it is an integer tensor. */
    record Output(long[] shape, double[] values, boolean integral) {
    }

    /**
     * Classifier agreement of one sample, as {agreeing positions, positions}; null for a
     * regressor. The first float output decides when it has classes: its last axis (all of a
     * vector) holds the class scores, and every position along the axes before it (a row, a
     * time step, a token) is one argmax, so a [1, classes] output is one position and a
     * [1, time, classes] output is time positions. Otherwise an integer output (a label per
     * position) is compared value by value.
     */
    static long[] top1(Map<String, Output> a, Map<String, Output> b) {
        for (var e : a.entrySet()) {
            Output x = e.getValue();
            if (x.integral()) {
                continue;
            }
            int classes = x.shape().length == 0 ? 1 : (int) x.shape()[x.shape().length - 1];
            if (classes <= 1 || x.values().length == 0) {
                break; // one score per position: a regressor's output, or a probability
            }
            double[] y = sameSize(e.getKey(), x, b).values();
            long agree = 0;
            long positions = x.values().length / classes;
            for (int p = 0; p < positions; p++) {
                agree += argmax(x.values(), p * classes, classes) == argmax(y, p * classes, classes) ? 1 : 0;
            }
            return new long[] {agree, positions};
        }
        for (var e : a.entrySet()) {
            Output x = e.getValue();
            if (x.integral() && x.values().length > 0) {
                double[] y = sameSize(e.getKey(), x, b).values();
                long agree = 0;
                for (int i = 0; i < x.values().length; i++) {
                    agree += x.values()[i] == y[i] ? 1 : 0;
                }
                return new long[] {agree, x.values().length};
            }
        }
        return null;
    }

    /** The optimized model's output of the same name and size (a size, not a shape: [n] and [n, 1] compare). */
    private static Output sameSize(String name, Output x, Map<String, Output> b) {
        Output y = b.get(name);
        if (y == null || y.values().length != x.values().length) {
            throw OptimizerException.badModel("the optimized model's output '" + name
                    + "' is missing or has another shape");
        }
        return y;
    }

    private static int argmax(double[] v, int from, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (v[from + i] > v[from + best]) {
                best = i;
            }
        }
        return best;
    }

    /** The tensor outputs by name; maps and sequences (ZipMap), strings and other types are left out. */
    private static Map<String, Output> run(OrtEnvironment env, OrtSession session, Map<String, Sample> in)
            throws OrtException {
        Map<String, OnnxTensor> tensors = new HashMap<>();
        try {
            for (var e : in.entrySet()) {
                tensors.put(e.getKey(), tensor(env, e.getValue()));
            }
            Map<String, Output> out = new LinkedHashMap<>();
            try (OrtSession.Result r = session.run(tensors)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    if (!(e.getValue() instanceof OnnxTensor t)) {
                        continue;
                    }
                    long[] shape = t.getInfo().getShape();
                    switch (t.getInfo().type) {
                        case FLOAT -> out.put(e.getKey(), new Output(shape, toDoubles(t.getFloatBuffer()), false));
                        case DOUBLE -> out.put(e.getKey(), new Output(shape, toDoubles(t.getDoubleBuffer()), false));
                        case INT64 -> out.put(e.getKey(), new Output(shape, toDoubles(t.getLongBuffer()), true));
                        case INT32 -> out.put(e.getKey(), new Output(shape, toDoubles(t.getIntBuffer()), true));
                        default -> {
                            // strings and others: nothing numeric to compare
                        }
                    }
                }
            }
            return out;
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, Sample s) throws OrtException {
        double[] v = s.values();
        switch (s.datatype()) {
            case "FP32": {
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    f[i] = (float) v[i];
                }
                return OnnxTensor.createTensor(env, FloatBuffer.wrap(f), s.shape());
            }
            case "FP64":
                return OnnxTensor.createTensor(env, DoubleBuffer.wrap(v.clone()), s.shape());
            case "INT64":
                return OnnxTensor.createTensor(env, LongBuffer.wrap(Arrays.stream(v).mapToLong(d -> (long) d).toArray()),
                        s.shape());
            case "INT32":
                return OnnxTensor.createTensor(env, IntBuffer.wrap(Arrays.stream(v).mapToInt(d -> (int) d).toArray()),
                        s.shape());
            default:
                throw OptimizerException.badModel("validation does not support input datatype " + s.datatype());
        }
    }

    private static double[] toDoubles(FloatBuffer b) {
        double[] d = new double[b.remaining()];
        for (int i = 0; i < d.length; i++) {
            d[i] = b.get(i);
        }
        return d;
    }

    private static double[] toDoubles(DoubleBuffer b) {
        double[] d = new double[b.remaining()];
        b.get(d);
        return d;
    }

    private static double[] toDoubles(LongBuffer b) {
        double[] d = new double[b.remaining()];
        for (int i = 0; i < d.length; i++) {
            d[i] = b.get(i);
        }
        return d;
    }

    private static double[] toDoubles(IntBuffer b) {
        double[] d = new double[b.remaining()];
        for (int i = 0; i < d.length; i++) {
            d[i] = b.get(i);
        }
        return d;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? 0 : s[s.length / 2];
    }

    /** Checks the gates; a failing gate is a VALIDATION_GATE error with the numbers in its message. */
    public static List<String> gateFailures(Manifest.Validation v, Double maxAbsError, Double minTop1) {
        List<String> failures = new ArrayList<>();
        if (maxAbsError != null && !(v.maxAbsError() <= maxAbsError)) {
            failures.add("max abs error " + v.maxAbsError() + " > allowed " + maxAbsError);
        }
        if (minTop1 != null && v.top1Agreement() != null && v.top1Agreement() < minTop1) {
            failures.add("top-1 agreement " + v.top1Agreement() + " < required " + minTop1);
        }
        return failures;
    }
}
