package dev.modelship.optimizer.convert.lightgbm;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.convert.TreeEnsembleBuilder.Mode;
import dev.modelship.optimizer.convert.TreeEnsembleBuilder.PostTransform;
import dev.modelship.optimizer.convert.TreeEnsembleBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * LightGBM's text model format → ONNX tree ensemble.
 *
 * <p>LightGBM sends a row left when {@code x <= threshold} (threshold a double). Its
 * {@code decision_type} packs: bit 0 categorical, bit 1 default_left, bits 2-3 the
 * missing type (0 none: NaN counts as 0; 1 zero: 0 and NaN take the default side;
 * 2 NaN: NaN takes the default side).
 */
public final class LightgbmConverter {
    private static final int MISSING_NONE = 0;
    private static final int MISSING_ZERO = 1;
    private static final int MISSING_NAN = 2;

    private LightgbmConverter() {
    }

    public static boolean looksLike(byte[] bytes) {
        String head = new String(bytes, 0, Math.min(bytes.length, 256), StandardCharsets.UTF_8);
        return head.startsWith("tree\n") || head.startsWith("tree\r\n");
    }

    public static ModelProto convert(byte[] bytes) {
        if (!looksLike(bytes)) {
            throw OptimizerException.badModel("not a LightGBM text model (it must start with a 'tree' line)");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        int end = text.indexOf("end of trees");
        if (end < 0) {
            throw OptimizerException.badModel("LightGBM model is truncated ('end of trees' not found)");
        }
        String[] blocks = text.substring(0, end).split("\\R\\s*\\R");
        Map<String, String> header = keyValues(blocks[0]);
        List<Map<String, String>> trees = new ArrayList<>();
        for (int i = 1; i < blocks.length; i++) {
            Map<String, String> kv = keyValues(blocks[i]);
            if (kv.containsKey("Tree")) {
                trees.add(kv);
            }
        }
        if (trees.isEmpty()) {
            throw OptimizerException.badModel("LightGBM model has no trees");
        }
        int numFeatures = Integer.parseInt(required(header, "max_feature_idx", "header")) + 1;
        int perIteration = Integer.parseInt(header.getOrDefault("num_tree_per_iteration", "1"));
        String[] objective = required(header, "objective", "header").trim().split("\\s+");
        String name = objective[0];
        double sigmoid = Double.parseDouble(option(objective, "sigmoid", "1"));
        // Random-forest mode averages the trees instead of summing them.
        double treeScale = header.containsKey("average_output") ? perIteration / (double) trees.size() : 1.0;

        PostTransform post;
        boolean classifier = false;
        boolean exp = false;
        double leafScale = treeScale;
        switch (name) {
            case "regression", "regression_l1", "huber", "fair", "quantile", "mape", "lambdarank",
                    "rank_xendcg" -> post = PostTransform.NONE;
            case "binary" -> {
                post = PostTransform.LOGISTIC;
                classifier = true;
                leafScale *= sigmoid; // p = 1 / (1 + exp(-sigmoid * score))
            }
            case "cross_entropy", "xentropy" -> post = PostTransform.LOGISTIC;
            case "multiclass", "softmax" -> {
                post = PostTransform.SOFTMAX;
                classifier = true;
            }
            case "poisson", "gamma", "tweedie" -> {
                post = PostTransform.NONE;
                exp = true;
            }
            default -> throw OptimizerException.unsupported("unsupported LightGBM objective '" + name
                    + "' (supported: regression, regression_l1, huber, fair, quantile, mape, binary,"
                    + " cross_entropy, multiclass, poisson, gamma, tweedie)");
        }
        if (name.startsWith("multiclass") && perIteration < 2) {
            throw OptimizerException.badModel("multiclass model with num_tree_per_iteration=" + perIteration);
        }

        // LightGBM compares and sums in float64: so does the ONNX model (a Cast to double first).
        TreeEnsembleBuilder builder = new TreeEnsembleBuilder(numFeatures, true);
        for (int t = 0; t < trees.size(); t++) {
            addTree(builder, t, trees.get(t), t % perIteration, leafScale);
        }
        String producer = "lightgbm-" + name;
        if (name.equals("binary")) {
            return builder.classifier(2, post, null, producer);
        }
        if (classifier) {
            return builder.classifier(perIteration, post, null, producer);
        }
        ModelProto model = builder.regressor(1, post, null, producer);
        return exp ? TreeEnsembleBuilder.withOutputOp(model, "Exp") : model;
    }

    private static void addTree(TreeEnsembleBuilder builder, int t, Map<String, String> tree, int target,
                                double scale) {
        if (!"0".equals(tree.getOrDefault("is_linear", "0"))) {
            throw OptimizerException.unsupported("LightGBM linear trees (tree " + t + ") are not supported");
        }
        int leaves = Integer.parseInt(required(tree, "num_leaves", "tree " + t));
        double[] leafValues = doubles(required(tree, "leaf_value", "tree " + t), leaves, "leaf_value", t);
        if (leaves == 1) {
            builder.leaf(t, 0, target, leafValues[0] * scale);
            return;
        }
        int internal = leaves - 1;
        int[] feature = ints(required(tree, "split_feature", "tree " + t), internal, "split_feature", t);
        double[] threshold = doubles(required(tree, "threshold", "tree " + t), internal, "threshold", t);
        int[] decision = ints(required(tree, "decision_type", "tree " + t), internal, "decision_type", t);
        int[] left = ints(required(tree, "left_child", "tree " + t), internal, "left_child", t);
        int[] right = ints(required(tree, "right_child", "tree " + t), internal, "right_child", t);
        // ONNX node ids: internal nodes keep theirs, leaf k becomes internal + k, and the extra
        // "is zero" nodes for missing type 'zero' come after all of them.
        int nextExtra = internal + leaves;
        for (int i = 0; i < internal; i++) {
            int d = decision[i];
            boolean defaultLeft = (d & 2) != 0;
            int missing = (d >> 2) & 3;
            int l = nodeId(left[i], internal, leaves, t);
            int r = nodeId(right[i], internal, leaves, t);
            if ((d & 1) != 0) {
                // Categories in the bitset go left; NaN, negatives and all others go right.
                int[] nextId = {nextExtra};
                builder.categorical(t, i, feature[i], categories(tree, (int) threshold[i], t), l, r, false, nextId);
                nextExtra = nextId[0];
                continue;
            }
            double thr = threshold[i];
            boolean zeroGoesLeft = 0.0 <= threshold[i];
            switch (missing) {
                case MISSING_NAN -> builder.branch(t, i, feature[i], thr, Mode.BRANCH_LEQ, l, r, defaultLeft);
                // NaN is read as 0, so it goes where a 0 goes.
                case MISSING_NONE -> builder.branch(t, i, feature[i], thr, Mode.BRANCH_LEQ, l, r, zeroGoesLeft);
                case MISSING_ZERO -> {
                    if (zeroGoesLeft == defaultLeft) {
                        builder.branch(t, i, feature[i], thr, Mode.BRANCH_LEQ, l, r, defaultLeft);
                    } else {
                        // 0 and NaN take the default side though the comparison says otherwise:
                        // test "x == 0" first (NaN follows its true branch).
                        int compare = nextExtra++;
                        builder.branch(t, i, feature[i], 0f, Mode.BRANCH_EQ, defaultLeft ? l : r, compare, true);
                        builder.branch(t, compare, feature[i], thr, Mode.BRANCH_LEQ, l, r, defaultLeft);
                    }
                }
                default -> throw OptimizerException.badModel("LightGBM tree " + t + " has unknown missing type " + missing);
            }
        }
        for (int k = 0; k < leaves; k++) {
            builder.leaf(t, internal + k, target, leafValues[k] * scale);
        }
    }

    /** Categories whose bit is set in cat_threshold words [cat_boundaries[idx], cat_boundaries[idx + 1]). */
    private static int[] categories(Map<String, String> tree, int idx, int t) {
        int numCat = Integer.parseInt(required(tree, "num_cat", "tree " + t));
        int[] bounds = ints(required(tree, "cat_boundaries", "tree " + t), numCat + 1, "cat_boundaries", t);
        if (idx < 0 || idx >= numCat) {
            throw OptimizerException.badModel("LightGBM tree " + t + ": category split index " + idx + " out of range");
        }
        String[] words = required(tree, "cat_threshold", "tree " + t).trim().split("\\s+");
        List<Integer> out = new ArrayList<>();
        for (int w = bounds[idx]; w < bounds[idx + 1]; w++) {
            long bits = Long.parseLong(words[w]); // uint32 words
            for (int b = 0; b < 32; b++) {
                if ((bits >>> b & 1) != 0) {
                    out.add((w - bounds[idx]) * 32 + b);
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int nodeId(int child, int internal, int leaves, int t) {
        int id = child >= 0 ? child : internal + ~child;
        if (child >= internal || ~child >= leaves && child < 0) {
            throw OptimizerException.badModel("LightGBM tree " + t + " has a child index out of range: " + child);
        }
        return id;
    }

    private static String option(String[] objective, String key, String fallback) {
        for (String part : objective) {
            if (part.startsWith(key + ":")) {
                return part.substring(key.length() + 1);
            }
        }
        return fallback;
    }

    private static Map<String, String> keyValues(String block) {
        Map<String, String> kv = new HashMap<>();
        for (String line : block.split("\\R")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                kv.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        return kv;
    }

    private static String required(Map<String, String> kv, String key, String where) {
        String v = kv.get(key);
        if (v == null) {
            throw OptimizerException.badModel("LightGBM model: '" + key + "' missing in " + where);
        }
        return v;
    }

    private static double[] doubles(String s, int n, String key, int t) {
        String[] parts = s.trim().split("\\s+");
        if (parts.length != n) {
            throw OptimizerException.badModel("LightGBM tree " + t + ": " + key + " has " + parts.length
                    + " values, expected " + n);
        }
        double[] out = new double[n];
        try {
            for (int i = 0; i < n; i++) {
                // LightGBM writes C++'s "inf" / "-inf" for unbounded thresholds.
                out[i] = switch (parts[i]) {
                    case "inf", "+inf" -> Double.POSITIVE_INFINITY;
                    case "-inf" -> Double.NEGATIVE_INFINITY;
                    default -> Double.parseDouble(parts[i]);
                };
            }
        } catch (NumberFormatException e) {
            throw OptimizerException.badModel("LightGBM tree " + t + ": " + key + " is not numeric");
        }
        return out;
    }

    private static int[] ints(String s, int n, String key, int t) {
        double[] d = doubles(s, n, key, t);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) d[i];
        }
        return out;
    }
}
