import dev.modelship.server.model.Datatype;
import dev.modelship.server.model.ModelSignature;
import dev.modelship.server.model.TensorSpec;
import dev.modelship.server.protocol.RestCodec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Microseconds the packaged server's own RestCodec takes to decode one JSON body into tensors
 * (everything the REST path does before batching), one thread. Run it on two builds one after
 * the other to A/B a change to the codec, e.g. heavy_mlp's 1-row body (bench/server/make_bodies.py):
 *
 * <pre>
 *   for app in /tmp/app-before /tmp/app-after; do
 *     java -cp "$app/app/*:$app/lib/main/*" bench/server/CodecDecode.java bench/out/bodies/heavy_1.json
 *   done
 * </pre>
 */
public class CodecDecode {

    public static void main(String[] args) throws Exception {
        byte[] body = Files.readAllBytes(Path.of(args[0]));
        int features = Integer.parseInt(args.length > 1 ? args[1] : "1024"); // heavy_mlp: input x [N, 1024]
        ModelSignature signature = new ModelSignature(
                List.of(new TensorSpec(args.length > 2 ? args[2] : "x", Datatype.FP32, new long[] {-1, features})),
                List.of(new TensorSpec("output", Datatype.FP32, new long[] {-1, -1})));
        RestCodec codec = new RestCodec();
        int n = 20_000;
        for (int round = 0; round < 4; round++) {
            long rows = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                rows += codec.decode(body, -1, signature).inputs().values().iterator().next().rows();
            }
            double us = (System.nanoTime() - t0) / 1e3 / n;
            System.out.printf("round %d: %.1f us per body (%d rows)%n", round, us, rows / n);
        }
    }
}
