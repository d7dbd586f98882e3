package dev.modelship.optimizer.passes;

import dev.modelship.optimizer.OptimizerException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A pass as the user names it: {@code name[:key=value,...]}. */
public record PassSpec(String name, Map<String, String> params) {

    public PassSpec {
        params = Map.copyOf(params);
    }

    public static PassSpec parse(String text) {
        String s = text.trim();
        int colon = s.indexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon);
        if (name.isEmpty()) {
            throw OptimizerException.usage("empty pass name in '" + text + "'");
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (colon >= 0 && colon < s.length() - 1) {
            for (String kv : s.substring(colon + 1).split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw OptimizerException.usage("pass '" + name + "': parameter '" + kv
                            + "' is not key=value");
                }
                String key = kv.substring(0, eq).trim();
                if (params.put(key, kv.substring(eq + 1).trim()) != null) {
                    throw OptimizerException.usage("pass '" + name + "': parameter '" + key + "' given twice");
                }
            }
        }
        return new PassSpec(name, params);
    }
}
