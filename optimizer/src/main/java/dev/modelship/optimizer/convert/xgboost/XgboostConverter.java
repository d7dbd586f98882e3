package dev.modelship.optimizer.convert.xgboost;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.convert.LinearModelBuilder;
import dev.modelship.optimizer.convert.TreeEnsembleBuilder.Mode;
import dev.modelship.optimizer.convert.TreeEnsembleBuilder.PostTransform;
import dev.modelship.optimizer.convert.TreeEnsembleBuilder;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * XGBoost's JSON (or UBJSON) model format → ONNX tree ensemble.
 *
 * <p>XGBoost sends a row left when {@code x < split_condition} (float32 compare) and a
 * missing value (NaN) to the side {@code default_left} names; a leaf's value is stored in
 * {@code split_conditions}. {@code base_score} is kept in the objective's output space
 * ("5E-1" before 3.0, "[5E-1]" or one value per class after) and moved to margin space.
 */
public final class XgboostConverter {
    public static final List<String> SUPPORTED_OBJECTIVES = List.of(
            "reg:squarederror", "reg:linear", "reg:pseudohubererror", "reg:absoluteerror",
            "reg:squaredlogerror", "reg:logistic", "binary:logistic", "binary:logitraw",
            "multi:softprob", "multi:softmax", "count:poisson", "reg:gamma", "reg:tweedie");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private XgboostConverter() {
    }

    /** True when the bytes look like an XGBoost JSON model (used for format detection). */
    public static boolean looksLike(byte[] bytes) {
        String head = new String(bytes, 0, Math.min(bytes.length, 4096), java.nio.charset.StandardCharsets.UTF_8);
        return head.stripLeading().startsWith("{") && head.contains("\"learner\"");
    }

    public static ModelProto convert(byte[] bytes) {
        JsonNode root;
        try {
            // UBJSON (.ubj) also opens with '{', followed by a length marker instead of '"'.
            boolean ubjson = bytes.length > 1 && bytes[0] == '{' && bytes[1] != '"' && bytes[1] != '}'
                    && !Character.isWhitespace(bytes[1]);
            root = ubjson ? Ubjson.parse(bytes) : JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw OptimizerException.badModel("not a JSON document: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw OptimizerException.badModel("cannot read XGBoost model: " + e.getMessage());
        }
        JsonNode learner = root == null ? null : root.get("learner");
        if (learner == null || !learner.isObject()) {
            throw OptimizerException.badModel("JSON file is not an XGBoost model (no \"learner\" object)");
        }
        return convert(learner);
    }

    private static ModelProto convert(JsonNode learner) {
        String objective = text(learner.path("objective").path("name"), "objective.name");
        if (!SUPPORTED_OBJECTIVES.contains(objective)) {
            throw OptimizerException.unsupported("unsupported XGBoost objective '" + objective + "' (supported: "
                    + String.join(", ", SUPPORTED_OBJECTIVES) + ")");
        }
        JsonNode param = learner.path("learner_model_param");
        int numFeatures = Integer.parseInt(text(param.path("num_feature"), "learner_model_param.num_feature"));
        int numClass = Integer.parseInt(param.path("num_class").asText("0"));
        int numTarget = Integer.parseInt(param.path("num_target").asText("1"));
        if (numTarget > 1) {
            throw OptimizerException.unsupported("multi-target XGBoost models are not supported");
        }
        float[] baseScore = parseBaseScore(text(param.path("base_score"), "learner_model_param.base_score"));

        JsonNode booster = learner.path("gradient_booster");
        String boosterName = booster.path("name").asText("");
        JsonNode model;
        JsonNode weightDrop = null;
        if (boosterName.equals("gblinear")) {
            return convertLinear(booster.path("model").path("weights"), objective, numFeatures,
                    objective.startsWith("multi:") ? numClass : 1, baseScore);
        } else if (boosterName.equals("gbtree")) {
            model = booster.path("model");
        } else if (boosterName.equals("dart")) {
            model = booster.path("gbtree").path("model");
            weightDrop = booster.path("weight_drop");
        } else {
            throw OptimizerException.unsupported("unsupported XGBoost booster '" + boosterName
                    + "' (supported: gbtree, dart, gblinear)");
        }
        JsonNode trees = model.path("trees");
        JsonNode treeInfo = model.path("tree_info");
        if (!trees.isArray() || trees.size() == 0) {
            throw OptimizerException.badModel("XGBoost model has no trees");
        }

        boolean multiClass = objective.startsWith("multi:");
        if (multiClass && numClass < 2) {
            throw OptimizerException.badModel(objective + " model declares num_class=" + numClass);
        }
        // XGBoost sums in float32 starting from the base margin, then tree by tree. To round the
        // same way, the base margin is a one-leaf tree that comes first (base_values stay 0).
        float[] base = baseMargin(objective, baseScore, multiClass ? numClass : 1);
        TreeEnsembleBuilder builder = new TreeEnsembleBuilder(numFeatures, false);
        for (int c = 0; c < base.length; c++) {
            builder.leaf(c, 0, c, base[c]);
        }
        for (int t = 0; t < trees.size(); t++) {
            int target = multiClass ? treeInfo.path(t).asInt(0) : 0;
            float scale = weightDrop != null && weightDrop.has(t) ? weightDrop.get(t).floatValue() : 1f;
            addTree(builder, base.length + t, trees.get(t), target, scale);
        }

        String producer = "xgboost-" + objective;
        switch (objective) {
            case "binary:logistic":
                return builder.classifier(2, PostTransform.LOGISTIC, null, producer);
            case "reg:logistic":
                return builder.regressor(1, PostTransform.LOGISTIC, null, producer);
            case "multi:softprob":
            case "multi:softmax":
                return builder.classifier(numClass, PostTransform.SOFTMAX, null, producer);
            case "count:poisson":
            case "reg:gamma":
            case "reg:tweedie":
                // Log link: the margin is log(prediction); ONNX trees have no exp transform.
                return TreeEnsembleBuilder.withOutputOp(builder.regressor(1, PostTransform.NONE, null, producer), "Exp");
            default:
                return builder.regressor(1, PostTransform.NONE, null, producer);
        }
    }

    /**
     * gblinear: {@code weights} holds, for each feature, one weight per output group, then one
     * bias per group; the margin is base margin + bias + the weighted sum of present features.
     */
    private static ModelProto convertLinear(JsonNode weights, String objective, int numFeatures, int groups,
                                            float[] baseScore) {
        if (!weights.isArray() || weights.size() != (numFeatures + 1) * groups) {
            throw OptimizerException.badModel("XGBoost gblinear model has " + weights.size() + " weights; "
                    + numFeatures + " features and " + groups + " output groups need " + (numFeatures + 1) * groups);
        }
        // gblinear adds the first intercept to every group (XGBoost 3 stores one per class, and its
        // linear booster reads only the first), unlike gbtree.
        float base = baseMargin(objective, baseScore, 1)[0];
        float[][] w = new float[groups][numFeatures];
        float[] bias = new float[groups];
        for (int g = 0; g < groups; g++) {
            for (int f = 0; f < numFeatures; f++) {
                w[g][f] = weights.get(f * groups + g).floatValue();
            }
            bias[g] = weights.get(numFeatures * groups + g).floatValue() + base;
        }
        String producer = "xgboost-gblinear-" + objective;
        return switch (objective) {
            case "binary:logistic", "multi:softprob", "multi:softmax" ->
                    LinearModelBuilder.classifier(w, bias, producer);
            case "reg:squarederror", "reg:linear", "reg:pseudohubererror", "reg:absoluteerror", "binary:logitraw" ->
                    LinearModelBuilder.regressor(w[0], bias[0], producer);
            default -> throw OptimizerException.unsupported("unsupported objective '" + objective
                    + "' for an XGBoost gblinear model (supported: binary:logistic, multi:softprob, multi:softmax,"
                    + " reg:squarederror, reg:pseudohubererror, reg:absoluteerror, binary:logitraw)");
        };
    }

    private static void addTree(TreeEnsembleBuilder builder, int treeId, JsonNode tree, int target, float scale) {
        JsonNode left = tree.path("left_children");
        JsonNode right = tree.path("right_children");
        JsonNode split = tree.path("split_indices");
        JsonNode cond = tree.path("split_conditions");
        JsonNode defaultLeft = tree.path("default_left");
        JsonNode splitType = tree.path("split_type");
        int n = left.size();
        if (n == 0 || right.size() != n || cond.size() != n || split.size() != n || defaultLeft.size() != n) {
            throw OptimizerException.badModel("XGBoost tree " + treeId + " has inconsistent node arrays");
        }
        if (Integer.parseInt(tree.path("tree_param").path("size_leaf_vector").asText("1")) > 1) {
            throw OptimizerException.unsupported("XGBoost trees with vector leaves are not supported");
        }
        int[] nextId = {n};
        for (int i = 0; i < n; i++) {
            int l = left.get(i).asInt();
            float value = cond.get(i).decimalValue().floatValue();
            if (l == -1) {
                builder.leaf(treeId, i, target, value * scale);
                continue;
            }
            int r = right.get(i).asInt();
            if (l < 0 || l >= n || r < 0 || r >= n) {
                throw OptimizerException.badModel("XGBoost tree " + treeId + " node " + i + " has children out of range");
            }
            JsonNode dl = defaultLeft.get(i);
            boolean goesLeft = dl.isBoolean() ? dl.booleanValue() : dl.asInt() != 0;
            if (splitType.path(i).asInt(0) != 0) {
                // XGBoost sends the listed categories right, everything else (invalid ones too) left.
                builder.categorical(treeId, i, split.get(i).asInt(), categories(tree, i, treeId), r, l, !goesLeft,
                        nextId);
            } else {
                builder.branch(treeId, i, split.get(i).asInt(), value, Mode.BRANCH_LT, l, r, goesLeft);
            }
        }
    }

    /** The category set of a categorical split node (categories_nodes/segments/sizes). */
    private static int[] categories(JsonNode tree, int node, int treeId) {
        JsonNode nodes = tree.path("categories_nodes");
        for (int k = 0; k < nodes.size(); k++) {
            if (nodes.get(k).asInt() == node) {
                int start = tree.path("categories_segments").path(k).asInt();
                int size = tree.path("categories_sizes").path(k).asInt();
                JsonNode cats = tree.path("categories");
                if (start < 0 || size < 0 || start + size > cats.size()) {
                    throw OptimizerException.badModel("XGBoost tree " + treeId + " node " + node
                            + " has a category segment out of range");
                }
                int[] out = new int[size];
                for (int c = 0; c < size; c++) {
                    out[c] = cats.get(start + c).asInt();
                }
                return out;
            }
        }
        throw OptimizerException.badModel("XGBoost tree " + treeId + " node " + node
                + " is categorical but lists no categories");
    }

    /** "5E-1" (XGBoost < 3) or "[5E-1]" / "[a,b,c]" (XGBoost 3: one intercept per output). */
    static float[] parseBaseScore(String text) {
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        String[] parts = s.split(",");
        float[] out = new float[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                out[i] = Float.parseFloat(parts[i].trim());
            }
        } catch (NumberFormatException e) {
            throw OptimizerException.badModel("cannot read base_score '" + text + "'");
        }
        return out;
    }

    /** base_score in margin space, one value per output. */
    private static float[] baseMargin(String objective, float[] baseScore, int outputs) {
        float[] out = new float[outputs];
        for (int c = 0; c < outputs; c++) {
            float b = baseScore.length == outputs ? baseScore[c] : baseScore[0];
            out[c] = switch (objective) {
                case "binary:logistic", "reg:logistic", "binary:logitraw" -> logit(b);
                case "count:poisson", "reg:gamma", "reg:tweedie" -> (float) Math.log(b);
                default -> b;
            };
        }
        return out;
    }

    private static float logit(float p) {
        if (!(p > 0 && p < 1)) {
            throw OptimizerException.badModel(String.format(Locale.ROOT,
                    "base_score %s is not a probability in (0, 1)", p));
        }
        return (float) Math.log(p / (1.0 - p));
    }

    private static String text(JsonNode node, String what) {
        if (node.isMissingNode() || node.isNull()) {
            throw OptimizerException.badModel("XGBoost model has no " + what);
        }
        return node.asText();
    }
}
