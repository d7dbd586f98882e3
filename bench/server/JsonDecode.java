import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How fast can the server's Jackson turn a V2 JSON body's FP32 "data" into a float[]?
 * Compares the server's approach (readTree, then walk the DoubleNodes) with Jackson's
 * FastDoubleParser switched on, and with a streaming parse straight into a float[].
 * A diagnostic for the REST decoding bottleneck that RESULTS.md describes; it uses the
 * Jackson jars of the packaged server:
 *
 * <pre>
 *   J=/tmp/bench-server-app/lib/main
 *   java -cp "$J/com.fasterxml.jackson.core.jackson-core-2.21.2.jar:$J/com.fasterxml.jackson.core.jackson-databind-2.21.2.jar:$J/com.fasterxml.jackson.core.jackson-annotations-2.21.jar" \
 *        bench/server/JsonDecode.java bench/out/bodies/heavy_1.json
 * </pre>
 */
public class JsonDecode {

    public static void main(String[] args) throws Exception {
        byte[] body = Files.readAllBytes(Path.of(args[0]));
        ObjectMapper plain = new ObjectMapper(new JsonFactory());
        ObjectMapper fast = new ObjectMapper(JsonFactory.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build());
        JsonFactory fastFactory = JsonFactory.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();
        JsonFactory plainFactory = new JsonFactory();
        for (int round = 0; round < 3; round++) {
            report("readTree + DoubleNode walk (as the server)", time(() -> tree(plain, body)));
            report("readTree, USE_FAST_DOUBLE_PARSER", time(() -> tree(fast, body)));
            report("streaming into float[], getFloatValue", time(() -> stream(plainFactory, body)));
            report("streaming into float[], USE_FAST_DOUBLE_PARSER", time(() -> stream(fastFactory, body)));
            System.out.println();
        }
    }

    interface Decoder {
        float[] decode() throws Exception;
    }

    static double time(Decoder d) throws Exception {
        float sink = 0;
        for (int i = 0; i < 20_000; i++) {
            sink += d.decode()[0];
        }
        int n = 20_000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            sink += d.decode()[0];
        }
        double us = (System.nanoTime() - t0) / 1e3 / n;
        if (sink == 42.4242f) {
            System.out.print("");
        }
        return us;
    }

    static void report(String what, double us) {
        System.out.printf("%-50s %8.1f µs per body%n", what, us);
    }

    static float[] tree(ObjectMapper mapper, byte[] body) throws Exception {
        JsonNode root = mapper.readTree(body);
        JsonNode data = root.get("inputs").get(0).get("data");
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) data.get(i).doubleValue();
        }
        return out;
    }

    static float[] stream(JsonFactory factory, byte[] body) throws Exception {
        float[] out = new float[1024];
        int n = 0;
        try (JsonParser p = factory.createParser(body)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME && "data".equals(p.currentName())) {
                    p.nextToken(); // START_ARRAY
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        if (n == out.length) {
                            out = java.util.Arrays.copyOf(out, n * 2);
                        }
                        out[n++] = p.getFloatValue();
                    }
                }
            }
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }
}
