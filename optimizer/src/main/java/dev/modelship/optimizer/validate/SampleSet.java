package dev.modelship.optimizer.validate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.OptimizerException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Validation inputs, one request of batch 1 per sample: generated from the signature
 * (seeded, so a rerun sees the same rows) or read from a V2 inference request file.
 */
public record SampleSet(String from, List<Map<String, Sample>> samples) {

    /** One input tensor of one sample; {@code values} as doubles, cast to the datatype when run. */
    public record Sample(String datatype, long[] shape, double[] values) {
    }

    public static SampleSet generate(Manifest.Signature signature, int count, long seed) {
        Random random = new Random(seed);
        List<Map<String, Sample>> samples = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            Map<String, Sample> inputs = new LinkedHashMap<>();
            for (Manifest.Tensor t : signature.inputs()) {
                long[] shape = t.shape().stream().mapToLong(Long::longValue).toArray();
                for (int d = 0; d < shape.length; d++) {
                    if (shape[d] < 0) {
                        shape[d] = 1; // batch 1; other dynamic dimensions too, lacking a better guess
                    }
                }
                int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = switch (t.datatype()) {
                        // Uniform in [0, 1): a scaled feature range that keeps most models in range.
                        case "FP32", "FP64", "FP16" -> random.nextDouble();
                        case "INT64", "INT32", "INT16", "INT8", "UINT8" -> random.nextInt(10);
                        case "BOOL" -> random.nextBoolean() ? 1 : 0;
                        default -> throw OptimizerException.badModel("cannot generate samples for input '"
                                + t.name() + "' of type " + t.datatype() + "; give a sample file");
                    };
                }
                inputs.put(t.name(), new Sample(t.datatype(), shape, v));
            }
            samples.add(inputs);
        }
        return new SampleSet("generated(seed=" + seed + ")", samples);
    }

    /** Reads a V2 inference request: {@code {"inputs":[{"name","shape","datatype","data"}]}}, rows on dim 0. */
    public static SampleSet readV2(Path file, int limit) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw OptimizerException.usage("cannot read sample file " + file + ": " + e.getMessage());
        }
        JsonNode inputs = root == null ? null : root.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            throw OptimizerException.usage("sample file " + file + " is not a V2 request (no \"inputs\" array)");
        }
        int rows = -1;
        List<Map<String, Sample>> samples = new ArrayList<>();
        for (JsonNode in : inputs) {
            String name = in.path("name").asText();
            String datatype = in.path("datatype").asText();
            long[] shape = new long[in.path("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = in.path("shape").get(i).asLong();
            }
            List<Double> flat = new ArrayList<>();
            flatten(in.path("data"), flat);
            long expected = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            if (shape.length == 0 || flat.size() != expected) {
                throw OptimizerException.usage("sample file: input '" + name + "' has " + flat.size()
                        + " values for shape " + Arrays.toString(shape));
            }
            if (rows >= 0 && rows != shape[0]) {
                throw OptimizerException.usage("sample file: inputs have different row counts");
            }
            rows = (int) shape[0];
            int per = (int) (expected / shape[0]);
            long[] rowShape = shape.clone();
            rowShape[0] = 1;
            for (int r = 0; r < Math.min(rows, limit); r++) {
                if (samples.size() <= r) {
                    samples.add(new LinkedHashMap<>());
                }
                double[] v = new double[per];
                for (int i = 0; i < per; i++) {
                    v[i] = flat.get(r * per + i);
                }
                samples.get(r).put(name, new Sample(datatype, rowShape, v));
            }
        }
        return new SampleSet(file.getFileName().toString(), samples);
    }

    /** Reads a .npy array for a single-input model: rows on dimension 0, the model's datatype. */
    public static SampleSet readNpy(Path file, Manifest.Signature signature, int limit) {
        if (signature.inputs().size() != 1) {
            throw OptimizerException.usage("a .npy sample file fits a model with one input; this one has "
                    + signature.inputs().size() + ": give a V2 request JSON instead");
        }
        NpyArray array;
        try {
            array = NpyArray.read(file);
        } catch (IOException e) {
            throw OptimizerException.usage("cannot read sample file: " + e.getMessage());
        }
        if (array.shape().length == 0 || array.shape()[0] == 0) {
            throw OptimizerException.usage("sample file " + file + " holds no rows");
        }
        Manifest.Tensor input = signature.inputs().get(0);
        long[] rowShape = array.shape().clone();
        rowShape[0] = 1;
        int per = (int) (array.values().length / array.shape()[0]);
        List<Map<String, Sample>> samples = new ArrayList<>();
        for (int r = 0; r < Math.min(array.shape()[0], limit); r++) {
            double[] v = Arrays.copyOfRange(array.values(), r * per, (r + 1) * per);
            samples.add(Map.of(input.name(), new Sample(input.datatype(), rowShape, v)));
        }
        return new SampleSet(file.getFileName().toString(), samples);
    }

    private static void flatten(JsonNode node, List<Double> out) {
        if (node.isArray()) {
            node.forEach(n -> flatten(n, out));
        } else if (node.isNumber() || node.isBoolean()) {
            out.add(node.isBoolean() ? (node.booleanValue() ? 1.0 : 0.0) : node.asDouble());
        } else {
            throw OptimizerException.usage("sample file: non-numeric value " + node);
        }
    }
}
