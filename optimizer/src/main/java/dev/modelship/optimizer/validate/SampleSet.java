package dev.modelship.optimizer.validate;

import com.fasterxml.jackson.core.JsonParser;
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
 * Validation inputs, one request per sample: generated from the signature (seeded, so a rerun
 * sees the same rows, batch 1), or read from a file: rows of a V2 request or of a .npy array
 * (batch 1 each), or V2 requests taken whole.
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

    /** Rows of a single-input model's [rows, features] input, one sample each. */
    public static SampleSet ofRows(String from, Manifest.Signature signature, float[][] rows) {
        Manifest.Tensor input = signature.inputs().get(0);
        if (signature.inputs().size() != 1 || input.shape().size() != 2
                || (rows.length > 0 && input.shape().get(1) != rows[0].length)) {
            throw OptimizerException.usage("the transfer set's rows have " + (rows.length == 0 ? 0 : rows[0].length)
                    + " columns; they fit a model with one input of shape [rows, " + (rows.length == 0 ? 0
                    : rows[0].length) + "], and this model takes " + signature.inputs());
        }
        List<Map<String, Sample>> samples = new ArrayList<>();
        for (float[] row : rows) {
            double[] v = new double[row.length];
            for (int i = 0; i < row.length; i++) {
                v[i] = row[i];
            }
            samples.add(Map.of(input.name(), new Sample(input.datatype(), new long[] {1, row.length}, v)));
        }
        return new SampleSet(from, samples);
    }

    /**
     * Reads V2 inference requests ({@code {"inputs":[{"name","shape","datatype","data"}]}}). One
     * request alone is split into samples by rows of dimension 0, which every input must share. A
     * JSON array of requests, or JSON lines (several requests, or a {@code .jsonl}/{@code .ndjson}
     * file), gives one sample per request, as it is: inputs need no common row dimension (a
     * recurrent state, a scalar of shape []).
     */
    public static SampleSet readV2(Path file, int limit) {
        List<JsonNode> docs = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        // Value by value (a MappingIterator would unwrap a top-level array into its elements).
        try (JsonParser parser = mapper.getFactory().createParser(file.toFile())) {
            for (JsonNode doc = mapper.readTree(parser); doc != null; doc = mapper.readTree(parser)) {
                docs.add(doc);
            }
        } catch (IOException e) {
            throw OptimizerException.usage("cannot read sample file " + file + ": " + e.getMessage());
        }
        String name = file.getFileName().toString();
        boolean lines = name.endsWith(".jsonl") || name.endsWith(".ndjson");
        if (docs.size() == 1 && docs.get(0).isObject() && !lines) {
            return splitByRows(file, docs.get(0), limit);
        }
        List<JsonNode> requests = docs.size() == 1 && docs.get(0).isArray() ? toList(docs.get(0)) : docs;
        if (requests.isEmpty()) {
            throw OptimizerException.usage("sample file " + file + " holds no requests");
        }
        List<Map<String, Sample>> samples = new ArrayList<>();
        for (int r = 0; r < Math.min(requests.size(), limit); r++) {
            String where = "sample file " + name + ", request " + (r + 1);
            Map<String, Sample> sample = new LinkedHashMap<>();
            for (JsonNode in : inputs(requests.get(r), where)) {
                Input input = input(in, where);
                sample.put(input.name, new Sample(input.datatype, input.shape, input.values));
            }
            samples.add(sample);
        }
        return new SampleSet(name, samples);
    }

    /** One request's inputs split on dimension 0: a sample per row. */
    private static SampleSet splitByRows(Path file, JsonNode root, int limit) {
        String where = "sample file " + file.getFileName();
        long rows = -1;
        String rowsFrom = null;
        List<Map<String, Sample>> samples = new ArrayList<>();
        for (JsonNode in : inputs(root, where)) {
            Input input = input(in, where);
            long[] shape = input.shape;
            if (shape.length == 0) {
                throw OptimizerException.usage(where + ": input '" + input.name + "' is a scalar (shape []), which"
                        + " cannot be split into rows; give one request per sample instead: a JSON array of"
                        + " requests, or JSON lines");
            }
            if (rows >= 0 && rows != shape[0]) {
                throw OptimizerException.usage(where + ": input '" + input.name + "' has " + shape[0]
                        + " rows on dimension 0 and '" + rowsFrom + "' " + rows + "; one request is split into"
                        + " samples by rows, so its inputs must share dimension 0. For inputs that do not (a"
                        + " recurrent state, a scalar) give one request per sample: a JSON array of requests, or"
                        + " JSON lines");
            }
            rows = shape[0];
            rowsFrom = input.name;
            int per = rows == 0 ? 0 : (int) (input.values.length / rows);
            long[] rowShape = shape.clone();
            rowShape[0] = 1;
            for (int r = 0; r < Math.min(rows, limit); r++) {
                if (samples.size() <= r) {
                    samples.add(new LinkedHashMap<>());
                }
                samples.get(r).put(input.name, new Sample(input.datatype, rowShape,
                        Arrays.copyOfRange(input.values, r * per, (r + 1) * per)));
            }
        }
        if (samples.isEmpty()) {
            throw OptimizerException.usage(where + " holds no rows");
        }
        return new SampleSet(file.getFileName().toString(), samples);
    }

    private record Input(String name, String datatype, long[] shape, double[] values) {
    }

    private static JsonNode inputs(JsonNode request, String where) {
        JsonNode inputs = request == null ? null : request.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
            throw OptimizerException.usage(where + " is not a V2 request (no \"inputs\" array)");
        }
        return inputs;
    }

    private static Input input(JsonNode in, String where) {
        String name = in.path("name").asText();
        if (name.isEmpty() || !in.path("shape").isArray()) {
            throw OptimizerException.usage(where + ": an input without \"name\" or \"shape\": " + abbreviate(in));
        }
        long[] shape = new long[in.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = in.path("shape").get(i).asLong();
        }
        List<Double> flat = new ArrayList<>();
        flatten(in.path("data"), flat);
        long expected = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        if (flat.size() != expected) {
            throw OptimizerException.usage(where + ": input '" + name + "' has " + flat.size()
                    + " values for shape " + Arrays.toString(shape));
        }
        return new Input(name, in.path("datatype").asText(), shape,
                flat.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static List<JsonNode> toList(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    private static String abbreviate(JsonNode node) {
        String s = node.toString();
        return s.length() > 120 ? s.substring(0, 120) + "…" : s;
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
