package dev.modelship.optimizer;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OnnxTensor;
import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The committed fixtures of {@code src/test/python/make_optimizer_fixtures.py}: models and the
 * predictions their own libraries made for held-out rows.
 */
public final class Fixtures {
    public static final Path DIR = Path.of("src/test/resources/fixtures");
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private Fixtures() {
    }

    public static Path path(String file) {
        return DIR.resolve(file);
    }

    public static byte[] bytes(String file) {
        try {
            return Files.readAllBytes(path(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode expected(String name) {
        try {
            return JSON.readTree(path(name + ".expected.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static float[][] matrix(JsonNode rows) {
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = rows.get(i);
            out[i] = new float[row.size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = (float) row.get(j).asDouble();
            }
        }
        return out;
    }

    public static double[][] doubles(JsonNode rows) {
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            JsonNode row = rows.get(i);
            if (row.isArray()) {
                out[i] = new double[row.size()];
                for (int j = 0; j < out[i].length; j++) {
                    out[i][j] = row.get(j).asDouble();
                }
            } else {
                out[i] = new double[] {row.asDouble()};
            }
        }
        return out;
    }

    /**
     * The tolerance for a tree model's output: 1e-5, or half a float32 step where that is
     * larger (the ONNX tree operators output float32, so above ~168 the nearest float32 to
     * LightGBM's float64 prediction can be more than 1e-5 away).
     */
    public static double treeTolerance(double expected) {
        return Math.max(1e-5, Math.ulp((float) expected) / 2.0);
    }

    /** The index of the largest value: a classifier's most probable class. */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Runs a model in a real ONNX Runtime session and returns every output. */
    public static Map<String, Object> run(ModelProto model, String input, float[][] x) {
        return run(model.toByteArray(), input, x);
    }

    public static Map<String, Object> run(byte[] model, String input, float[][] x) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        // One thread: with more, ONNX Runtime splits a batch's trees across threads and merges
        // the partial sums, which rounds float32 sums in another order than the libraries do.
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            return run(env, model, options, input, x);
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> run(OrtEnvironment env, byte[] model, OrtSession.SessionOptions options,
                                           String input, float[][] x) {
        try (OrtSession s = env.createSession(model, options);
             OnnxTensor t = OnnxTensor.createTensor(env, x);
             OrtSession.Result r = s.run(Map.of(input, t))) {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            r.forEach(e -> {
                try {
                    out.put(e.getKey(), e.getValue().getValue());
                } catch (OrtException ex) {
                    throw new IllegalStateException(ex);
                }
            });
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
