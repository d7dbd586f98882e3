package dev.modelship.optimizer.passes;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.onnx.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Magnitude pruning of MatMul/Gemm weights to a target {@code sparsity}: per weight tensor,
 * the smallest |w| become 0 ({@code granularity=element}), or whole hidden units with the
 * smallest L2 norm of their incoming weights ({@code granularity=unit}).
 *
 * <p>Then, where two layers are chained as {@code MatMul/Gemm → [Add bias] → [Relu|Sigmoid|Tanh]
 * → MatMul/Gemm}, each hidden unit that no longer matters is removed exactly: a unit whose
 * outgoing row is all zero contributes nothing; a unit whose incoming column is all zero
 * outputs the constant act(bias), which is folded into the next layer's bias. Removing units
 * shrinks both matrices, so the model really gets smaller and faster.
 */
final class PrunePass implements Pass {
    static final String NAME = "prune";
    private static final Set<String> ACTIVATIONS = Set.of("Relu", "Sigmoid", "Tanh");

    private final double sparsity;
    private final boolean units;
    private final boolean removeUnits;
    private final Map<String, String> params;

    PrunePass(PassSpec spec) {
        PassParams p = new PassParams(spec, Set.of("sparsity", "granularity", "removeUnits"));
        sparsity = p.number("sparsity", 0.5, 0.0, 0.99);
        units = p.choice("granularity", "element", "element", "unit").equals("unit");
        removeUnits = p.bool("removeUnits", true);
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

    /** A weight as a K×N matrix (input × output), whatever its stored layout (Gemm transB). */
    private static final class Weight {
        final String name;
        final boolean transposed;
        int k;
        int n;
        float[] w; // row-major K×N

        Weight(TensorProto t, boolean transposed) {
            this.name = t.getName();
            this.transposed = transposed;
            long[] d = Tensors.dims(t);
            float[] raw = Tensors.floats(t);
            if (transposed) {
                k = (int) d[1];
                n = (int) d[0];
                w = new float[raw.length];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < k; j++) {
                        w[j * n + i] = raw[i * k + j];
                    }
                }
            } else {
                k = (int) d[0];
                n = (int) d[1];
                w = raw;
            }
        }

        TensorProto toTensor(int newK, int newN, float[] kn) {
            if (!transposed) {
                return Tensors.floatTensor(name, new long[] {newK, newN}, kn);
            }
            float[] raw = new float[kn.length];
            for (int i = 0; i < newK; i++) {
                for (int j = 0; j < newN; j++) {
                    raw[j * newK + i] = kn[i * newN + j];
                }
            }
            return Tensors.floatTensor(name, new long[] {newN, newK}, raw);
        }
    }

    @Override
    public Result apply(ModelProto model) {
        GraphProto graph = model.getGraph();
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        graph.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Map<String, List<NodeProto>> consumers = new HashMap<>();
        Map<String, NodeProto> producer = new HashMap<>();
        for (NodeProto n : graph.getNodeList()) {
            n.getInputList().forEach(i -> consumers.computeIfAbsent(i, x -> new ArrayList<>()).add(n));
            n.getOutputList().forEach(o -> producer.put(o, n));
        }
        // 1. Magnitude pruning of each weight read by exactly one MatMul/Gemm.
        Map<String, Weight> weights = new LinkedHashMap<>();
        long total = 0;
        long zeros = 0;
        for (NodeProto n : graph.getNodeList()) {
            Weight w = weightOf(n, inits, consumers);
            if (w == null || weights.containsKey(w.name)) {
                continue;
            }
            if (units) {
                pruneUnits(w);
            } else {
                pruneElements(w);
            }
            weights.put(w.name, w);
            total += w.w.length;
            for (float v : w.w) {
                zeros += v == 0f ? 1 : 0;
            }
        }
        List<String> notes = new ArrayList<>();
        if (weights.isEmpty()) {
            notes.add("no MatMul/Gemm weight to prune; model unchanged");
            return Result.onnx(model, notes);
        }
        notes.add(String.format(Locale.ROOT, "%d weight tensor(s), achieved sparsity %.4f (%d of %d zero)",
                weights.size(), zeros / (double) total, zeros, total));

        // 2. Exact removal of hidden units between chained layers.
        Map<String, TensorProto> replaced = new HashMap<>();
        int removed = 0;
        if (removeUnits) {
            for (NodeProto first : graph.getNodeList()) {
                Chain c = chain(first, inits, consumers, weights);
                if (c != null) {
                    removed += shrink(c, inits, replaced, notes);
                }
            }
        }
        GraphProto.Builder g = graph.toBuilder().clearInitializer().clearValueInfo();
        for (TensorProto t : graph.getInitializerList()) {
            if (weights.containsKey(t.getName())) {
                Weight w = weights.get(t.getName());
                g.addInitializer(w.toTensor(w.k, w.n, w.w));
            } else {
                g.addInitializer(replaced.getOrDefault(t.getName(), t));
            }
        }
        notes.add(removed + " hidden unit(s) removed");
        return Result.onnx(model.toBuilder().setGraph(g).build(), notes);
    }

    private static Weight weightOf(NodeProto n, Map<String, TensorProto> inits, Map<String, List<NodeProto>> consumers) {
        if (!n.getDomain().isEmpty() || !(n.getOpType().equals("MatMul") || n.getOpType().equals("Gemm"))
                || n.getInputCount() < 2) {
            return null;
        }
        TensorProto t = inits.get(n.getInput(1));
        if (t == null || t.getDataType() != TensorProto.DataType.FLOAT_VALUE || t.getDimsCount() != 2
                || consumers.get(t.getName()).size() != 1) {
            return null;
        }
        if (n.getOpType().equals("Gemm") && ElementTypes.intAttr(n, "transA", 0) != 0) {
            return null;
        }
        return new Weight(t, n.getOpType().equals("Gemm") && ElementTypes.intAttr(n, "transB", 0) == 1);
    }

    private void pruneElements(Weight w) {
        int cut = (int) Math.floor(sparsity * w.w.length);
        if (cut == 0) {
            return;
        }
        float[] mags = new float[w.w.length];
        for (int i = 0; i < mags.length; i++) {
            mags[i] = Math.abs(w.w[i]);
        }
        Arrays.sort(mags);
        float threshold = mags[cut - 1];
        int budget = cut;
        // Values strictly below the threshold first, then ties, so exactly `cut` become zero.
        for (int i = 0; i < w.w.length; i++) {
            if (Math.abs(w.w[i]) < threshold) {
                w.w[i] = 0f;
                budget--;
            }
        }
        for (int i = 0; i < w.w.length && budget > 0; i++) {
            if (Math.abs(w.w[i]) == threshold && w.w[i] != 0f) {
                w.w[i] = 0f;
                budget--;
            } else if (Math.abs(w.w[i]) == threshold) {
                budget--;
            }
        }
    }

    /** Zeroes the output columns (units) with the smallest L2 norm. */
    private void pruneUnits(Weight w) {
        int cut = (int) Math.floor(sparsity * w.n);
        Integer[] order = new Integer[w.n];
        double[] norm = new double[w.n];
        for (int j = 0; j < w.n; j++) {
            order[j] = j;
            for (int i = 0; i < w.k; i++) {
                norm[j] += (double) w.w[i * w.n + j] * w.w[i * w.n + j];
            }
        }
        Arrays.sort(order, (a, b) -> Double.compare(norm[a], norm[b]));
        for (int c = 0; c < cut; c++) {
            int j = order[c];
            for (int i = 0; i < w.k; i++) {
                w.w[i * w.n + j] = 0f;
            }
        }
    }

    /** first (W1) → [Add b1] → [act] → second (W2), every link with a single consumer. */
    private record Chain(NodeProto first, Weight w1, String bias1, NodeProto act, NodeProto second, Weight w2,
                         String bias2) {
    }

    private static Chain chain(NodeProto first, Map<String, TensorProto> inits, Map<String, List<NodeProto>> consumers,
                               Map<String, Weight> weights) {
        if (!weights.containsKey(first.getInputCount() > 1 ? first.getInput(1) : "")) {
            return null;
        }
        Weight w1 = weights.get(first.getInput(1));
        String bias1 = first.getOpType().equals("Gemm") && first.getInputCount() > 2 ? first.getInput(2) : null;
        if (!unitScaled(first)) {
            return null;
        }
        NodeProto next = single(first.getOutput(0), consumers);
        if (next != null && bias1 == null && next.getOpType().equals("Add")) {
            String other = next.getInput(0).equals(first.getOutput(0)) ? next.getInput(1) : next.getInput(0);
            if (!inits.containsKey(other) || !isVector(inits.get(other), w1.n)) {
                return null;
            }
            bias1 = other;
            next = single(next.getOutput(0), consumers);
        }
        if (bias1 != null && (!inits.containsKey(bias1) || !isVector(inits.get(bias1), w1.n)
                || consumers.get(bias1).size() != 1)) {
            return null;
        }
        NodeProto act = null;
        if (next != null && ACTIVATIONS.contains(next.getOpType()) && next.getDomain().isEmpty()) {
            act = next;
            next = single(next.getOutput(0), consumers);
        }
        if (next == null || !weights.containsKey(next.getInputCount() > 1 ? next.getInput(1) : "")) {
            return null;
        }
        Weight w2 = weights.get(next.getInput(1));
        if (w2.k != w1.n || !unitScaled(next)) {
            return null;
        }
        String bias2 = null;
        if (next.getOpType().equals("Gemm") && next.getInputCount() > 2) {
            bias2 = next.getInput(2);
        } else {
            NodeProto add = single(next.getOutput(0), consumers);
            if (add != null && add.getOpType().equals("Add")) {
                bias2 = add.getInput(0).equals(next.getOutput(0)) ? add.getInput(1) : add.getInput(0);
            }
        }
        if (bias2 != null && (!inits.containsKey(bias2) || !isVector(inits.get(bias2), w2.n)
                || consumers.get(bias2).size() != 1)) {
            bias2 = null;
        }
        return new Chain(first, w1, bias1, act, next, w2, bias2);
    }

    /** Gemm's alpha and beta scale weight and bias; folding assumes both are 1. */
    private static boolean unitScaled(NodeProto n) {
        for (var a : n.getAttributeList()) {
            if ((a.getName().equals("alpha") || a.getName().equals("beta")) && a.getF() != 1f) {
                return false;
            }
        }
        return true;
    }

    private static NodeProto single(String value, Map<String, List<NodeProto>> consumers) {
        List<NodeProto> c = consumers.get(value);
        return c != null && c.size() == 1 ? c.get(0) : null;
    }

    private static boolean isVector(TensorProto t, int n) {
        return t.getDataType() == TensorProto.DataType.FLOAT_VALUE && Tensors.elementCount(t) == n
                && t.getDims(t.getDimsCount() - 1) == n;
    }

    private int shrink(Chain c, Map<String, TensorProto> inits, Map<String, TensorProto> replaced, List<String> notes) {
        Weight w1 = c.w1;
        Weight w2 = c.w2;
        float[] b1 = c.bias1 == null ? new float[w1.n] : Tensors.floats(replaced.getOrDefault(c.bias1, inits.get(c.bias1)));
        float[] b2 = c.bias2 == null ? null : Tensors.floats(replaced.getOrDefault(c.bias2, inits.get(c.bias2)));
        boolean[] keep = new boolean[w1.n];
        int kept = 0;
        for (int j = 0; j < w1.n; j++) {
            boolean outZero = true;
            for (int m = 0; m < w2.n && outZero; m++) {
                outZero = w2.w[j * w2.n + m] == 0f;
            }
            boolean inZero = true;
            for (int i = 0; i < w1.k && inZero; i++) {
                inZero = w1.w[i * w1.n + j] == 0f;
            }
            if (outZero) {
                keep[j] = false;
            } else if (inZero) {
                float constant = activate(c.act, b1[j]);
                if (constant == 0f) {
                    keep[j] = false;
                } else if (b2 != null) {
                    for (int m = 0; m < w2.n; m++) {
                        b2[m] += constant * w2.w[j * w2.n + m];
                    }
                    keep[j] = false;
                } else {
                    keep[j] = true; // nowhere to fold the constant
                }
            } else {
                keep[j] = true;
            }
            kept += keep[j] ? 1 : 0;
        }
        int before = w1.n;
        int removed = before - kept;
        if (removed == 0) {
            return 0;
        }
        boolean silenceKept = false;
        if (kept == 0) {
            // An empty layer is not a valid graph: keep unit 0 with a zero outgoing row (its
            // constant contribution, if any, is already in the next bias).
            notes.add("kept one silent unit between " + c.first.getName() + " and " + c.second.getName());
            keep[0] = true;
            kept = 1;
            removed--;
            silenceKept = true;
        }
        float[] nw1 = new float[w1.k * kept];
        float[] nw2 = new float[kept * w2.n];
        float[] nb1 = new float[kept];
        int col = 0;
        for (int j = 0; j < w1.n; j++) {
            if (!keep[j]) {
                continue;
            }
            for (int i = 0; i < w1.k; i++) {
                nw1[i * kept + col] = w1.w[i * w1.n + j];
            }
            System.arraycopy(w2.w, j * w2.n, nw2, col * w2.n, w2.n);
            nb1[col] = b1[j];
            col++;
        }
        if (silenceKept) {
            Arrays.fill(nw2, 0f);
        }
        w1.w = nw1;
        w1.n = kept;
        w2.w = nw2;
        w2.k = kept;
        if (c.bias1 != null) {
            TensorProto t = inits.get(c.bias1);
            long[] dims = Tensors.dims(t);
            dims[dims.length - 1] = kept;
            replaced.put(c.bias1, Tensors.floatTensor(c.bias1, dims, nb1));
        }
        if (b2 != null) {
            replaced.put(c.bias2, Tensors.floatTensor(c.bias2, Tensors.dims(inits.get(c.bias2)), b2));
        }
        notes.add(String.format(Locale.ROOT, "%s -> %s: %d of %d hidden units removed", c.first.getName(),
                c.second.getName(), removed, before));
        return removed;
    }

    private static float activate(NodeProto act, float x) {
        if (act == null) {
            return x;
        }
        return switch (act.getOpType()) {
            case "Relu" -> Math.max(0f, x);
            case "Sigmoid" -> (float) (1 / (1 + Math.exp(-x)));
            case "Tanh" -> (float) Math.tanh(x);
            default -> throw new IllegalStateException(act.getOpType());
        };
    }
}
