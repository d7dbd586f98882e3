package dev.modelship.artifact;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * An optimization pass as the optimizer's command line takes it: {@code name[:key=value,...]}.
 * The operator writes it ({@link #toString}), the optimizer reads it ({@link #parse}).
 */
public record PassSpec(String name, Map<String, String> params) {

    public PassSpec {
        params = Map.copyOf(params);
    }

    /**
     * Parses {@code name[:key=value,...]}.
     *
     * @throws IllegalArgumentException with a message naming the pass and the problem
     */
    public static PassSpec parse(String text) {
        String s = text.trim();
        int colon = s.indexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("empty pass name in '" + text + "'");
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (colon >= 0 && colon < s.length() - 1) {
            for (String kv : s.substring(colon + 1).split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("pass '" + name + "': parameter '" + kv + "' is not key=value");
                }
                String key = kv.substring(0, eq).trim();
                if (params.put(key, kv.substring(eq + 1).trim()) != null) {
                    throw new IllegalArgumentException("pass '" + name + "': parameter '" + key + "' given twice");
                }
            }
        }
        return new PassSpec(name, params);
    }

    /** Whether {@link #parse} reads this value back unchanged: set, no separators, no edge spaces. */
    public static boolean representable(String value) {
        return value != null && !value.contains(",") && !value.contains("=") && value.equals(value.trim());
    }

    /** {@code name[:key=value,...]} with keys sorted, so that the order of a YAML map does not matter. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name);
        String sep = ":";
        for (Map.Entry<String, String> e : new TreeMap<>(params).entrySet()) {
            sb.append(sep).append(e.getKey()).append('=').append(e.getValue());
            sep = ",";
        }
        return sb.toString();
    }
}
