package dev.modelship.optimizer.distill;

import dev.modelship.artifact.BuildReason;
import dev.modelship.optimizer.OptimizerException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.IObjective;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Trains the student with XGBoost (xgboost4j) on the teacher's soft targets and returns it in
 * XGBoost's JSON format, which the optimizer's own converter turns into ONNX like any XGBoost model.
 * Trees: gradient-boosted trees ({@code gbtree}); linear: XGBoost's {@code gblinear}.
 */
final class Student {
    private static final long SEED = 20261130L;

    enum Family { TREES, LINEAR }

    /** {@code rounds} boosting rounds (trees per class for trees), each of at most {@code depth}. */
    record Settings(Family family, int rounds, int depth, double eta) {
    }

    private Student() {
    }

    /**
     * Two classes: logistic loss on the teacher's probability of class 1 (XGBoost takes labels in
     * [0, 1]). More: softmax cross-entropy against the teacher's probabilities, as a custom
     * objective, since XGBoost's own softmax takes only hard labels. A regressor: squared error.
     */
    static byte[] train(float[][] rows, float[][] targets, boolean classifier, Settings settings) {
        int classes = classifier ? targets[0].length : 0;
        Map<String, Object> params = new HashMap<>();
        params.put("seed", SEED);
        params.put("verbosity", 0);
        params.put("nthread", Runtime.getRuntime().availableProcessors());
        params.put("eta", settings.eta());
        params.put("disable_default_eval_metric", 1);
        if (settings.family() == Family.TREES) {
            params.put("booster", "gbtree");
            params.put("tree_method", "hist");
            params.put("max_depth", settings.depth());
        } else {
            params.put("booster", "gblinear");
            // Cyclic coordinate descent: the same weights on every run (shotgun is not deterministic).
            params.put("updater", "coord_descent");
            params.put("feature_selector", "cyclic");
        }
        float[] labels = new float[rows.length];
        IObjective objective = null;
        if (classes == 2) {
            params.put("objective", "binary:logistic");
            for (int r = 0; r < rows.length; r++) {
                labels[r] = targets[r][1];
            }
        } else if (classes > 2) {
            params.put("objective", "multi:softprob");
            params.put("num_class", classes);
            params.put("base_score", 0.5);
            for (int r = 0; r < rows.length; r++) {
                labels[r] = Teacher.argmax(targets[r]);
            }
            objective = new SoftTargets(targets);
        } else {
            params.put("objective", "reg:squarederror");
            for (int r = 0; r < rows.length; r++) {
                labels[r] = targets[r][0];
            }
        }
        DMatrix data = null;
        Booster booster = null;
        try {
            data = matrix(rows);
            data.setLabel(labels);
            booster = XGBoost.train(data, params, settings.rounds(), Map.of(), objective, null);
            return booster.toByteArray("json");
        } catch (XGBoostError e) {
            throw new OptimizerException(BuildReason.INTERNAL_ERROR,
                    "pass 'distill': XGBoost could not train the student: " + e.getMessage());
        } catch (LinkageError e) {
            // xgboost4j's native library needs the OpenMP runtime; the project's images carry it.
            throw new OptimizerException(BuildReason.INTERNAL_ERROR, "pass 'distill': XGBoost's native library"
                    + " does not load here (" + e + "); it needs libgomp.so.1 (Debian/Ubuntu package libgomp1)");
        } finally {
            if (booster != null) {
                booster.dispose();
            }
            if (data != null) {
                data.dispose();
            }
        }
    }

    private static DMatrix matrix(float[][] rows) throws XGBoostError {
        int features = rows[0].length;
        float[] flat = new float[rows.length * features];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * features, features);
        }
        return new DMatrix(flat, rows.length, features, Float.NaN);
    }

    /** Softmax cross-entropy with soft targets q: gradient p - q, XGBoost's own softmax Hessian. */
    private record SoftTargets(float[][] targets) implements IObjective {
        @Override
        public List<float[]> getGradient(float[][] margins, DMatrix data) {
            int classes = targets[0].length;
            float[] grad = new float[margins.length * classes];
            float[] hess = new float[grad.length];
            double[] p = new double[classes];
            for (int r = 0; r < margins.length; r++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    max = Math.max(max, margins[r][k]);
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) {
                    p[k] = Math.exp(margins[r][k] - max);
                    sum += p[k];
                }
                for (int k = 0; k < classes; k++) {
                    double pk = p[k] / sum;
                    grad[r * classes + k] = (float) (pk - targets[r][k]);
                    hess[r * classes + k] = (float) Math.max(2 * pk * (1 - pk), 1e-6);
                }
            }
            return List.of(grad, hess);
        }
    }
}
