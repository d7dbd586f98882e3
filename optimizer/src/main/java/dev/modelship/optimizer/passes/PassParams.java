package dev.modelship.optimizer.passes;

import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.OptimizerException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads a pass's parameters; anything unknown or malformed is a usage error naming the pass. */
final class PassParams {
    private final String pass;
    private final Map<String, String> given;
    private final Map<String, String> used = new LinkedHashMap<>();

    PassParams(PassSpec spec, Set<String> known) {
        this.pass = spec.name();
        this.given = spec.params();
        for (String key : given.keySet()) {
            if (!known.contains(key)) {
                throw OptimizerException.usage("pass '" + pass + "' has no parameter '" + key + "' (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    String choice(String key, String fallback, String... allowed) {
        String v = given.getOrDefault(key, fallback);
        if (!Arrays.asList(allowed).contains(v)) {
            throw OptimizerException.usage("pass '" + pass + "': " + key + "=" + v + " is not one of "
                    + String.join(", ", allowed));
        }
        used.put(key, v);
        return v;
    }

    boolean bool(String key, boolean fallback) {
        return Boolean.parseBoolean(choice(key, Boolean.toString(fallback), "true", "false"));
    }

    double number(String key, double fallback, double min, double max) {
        String v = given.getOrDefault(key, Double.toString(fallback));
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw OptimizerException.usage("pass '" + pass + "': " + key + "=" + v + " is not a number");
        }
        if (!(d >= min && d <= max)) {
            throw OptimizerException.usage("pass '" + pass + "': " + key + "=" + v + " is outside ["
                    + min + ", " + max + "]");
        }
        used.put(key, v);
        return d;
    }

    long integer(String key, long fallback, long min, long max) {
        String v = given.getOrDefault(key, Long.toString(fallback));
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw OptimizerException.usage("pass '" + pass + "': " + key + "=" + v + " is not a whole number");
        }
        if (n < min || n > max) {
            throw OptimizerException.usage("pass '" + pass + "': " + key + "=" + v + " is outside ["
                    + min + ", " + max + "]");
        }
        used.put(key, v);
        return n;
    }

    /** A list separated by ';' (',' separates parameters). */
    List<String> list(String key) {
        String v = given.getOrDefault(key, "");
        List<String> out = new ArrayList<>();
        for (String s : v.split(";")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        used.put(key, String.join(";", out));
        return out;
    }

    /** In the order the pass read them, so manifests and logs list them the same way every run. */
    Map<String, String> asRun() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(used));
    }
}
