import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * "The limit": in-process ONNX Runtime throughput on one model, with the session options
 * the inference server uses (intra-op threads N, inter-op threads 1, ALL_OPT), batch by
 * batch. No HTTP, no JSON, no batcher: a loop calling session.run on a ready tensor,
 * from T caller threads sharing one session (T = 1 is what the server's single batch
 * worker does). Inputs are made once; each call wraps them in a fresh OnnxTensor and
 * reads the outputs back into Java arrays, as the server does.
 *
 * <p>Single-file launch, no Maven:
 * <pre>
 *   java -cp ~/.m2/repository/com/microsoft/onnxruntime/onnxruntime/1.28.0/onnxruntime-1.28.0.jar \
 *        bench/inprocess/InProcess.java --model examples/models/generated/heavy_mlp.onnx \
 *        --intra 1 --batches 1,2,4,8,16,32,64 --seconds 3 --threads 1
 * </pre>
 * Output: one CSV line per batch size on stdout:
 * {@code model,intra,threads,batch,calls,seconds,rows_per_s,p50_ms,p99_ms}.
 */
public class InProcess {

    public static void main(String[] args) throws Exception {
        String model = null;
        int intra = 1;
        int threads = 1;
        double seconds = 3;
        double warmup = 1;
        int[] batches = {1, 2, 4, 8, 16, 32, 64};
        boolean header = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = args[++i];
                case "--intra" -> intra = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--batches" -> batches = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--no-header" -> header = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (model == null) {
            throw new IllegalArgumentException("--model is required");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(intra);
        so.setInterOpNumThreads(1);
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try (OrtSession session = env.createSession(model, so)) {
            Map.Entry<String, NodeInfo> in = session.getInputInfo().entrySet().iterator().next();
            if (session.getInputInfo().size() != 1) {
                throw new IllegalArgumentException("this benchmark takes models with one FP32 input [N, features]");
            }
            long[] shape = ((TensorInfo) in.getValue().getInfo()).getShape();
            int features = 1;
            for (int d = 1; d < shape.length; d++) {
                features *= (int) shape[d];
            }
            String name = new java.io.File(model).getName().replaceFirst("\\.[^.]*$", "");
            if (header) {
                System.out.println("model,intra,threads,batch,calls,seconds,rows_per_s,p50_ms,p99_ms");
            }
            for (int batch : batches) {
                Result r = measure(env, session, in.getKey(), features, batch, threads, warmup);
                r = measure(env, session, in.getKey(), features, batch, threads, seconds);
                System.out.printf("%s,%d,%d,%d,%d,%.2f,%.0f,%.3f,%.3f%n", name, intra, threads, batch, r.calls,
                        r.seconds, r.calls * (double) batch / r.seconds, r.p50, r.p99);
            }
        }
    }

    record Result(long calls, double seconds, double p50, double p99) {
    }

    static Result measure(OrtEnvironment env, OrtSession session, String input, int features, int batch,
                          int threads, double seconds) throws Exception {
        float[] data = new float[batch * features];
        Random rnd = new Random(batch);
        for (int i = 0; i < data.length; i++) {
            data[i] = rnd.nextFloat() * 16f;
        }
        long[] shape = {batch, features};
        AtomicBoolean stop = new AtomicBoolean();
        List<long[]> latencies = new ArrayList<>();
        long[] counts = new long[threads];
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            long[] lat = new long[1_000_000];
            latencies.add(lat);
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    long n = 0;
                    while (!stop.get()) {
                        long t0 = System.nanoTime();
                        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
                             OrtSession.Result out = session.run(Map.of(input, x))) {
                            for (var e : out) {
                                e.getValue().getValue(); // copy back to Java, as the server does
                            }
                        }
                        if (n < lat.length) {
                            lat[(int) n] = System.nanoTime() - t0;
                        }
                        n++;
                    }
                    counts[id] = n;
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            th.start();
            ts.add(th);
        }
        start.await();
        long t0 = System.nanoTime();
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        for (Thread th : ts) {
            th.join();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long total = 0;
        int kept = 0;
        for (int t = 0; t < threads; t++) {
            total += counts[t];
            kept += (int) Math.min(counts[t], latencies.get(t).length);
        }
        long[] all = new long[kept];
        int k = 0;
        for (int t = 0; t < threads; t++) {
            int n = (int) Math.min(counts[t], latencies.get(t).length);
            System.arraycopy(latencies.get(t), 0, all, k, n);
            k += n;
        }
        Arrays.sort(all);
        double p50 = all.length == 0 ? 0 : all[(int) (all.length * 0.50)] / 1e6;
        double p99 = all.length == 0 ? 0 : all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6;
        return new Result(total, elapsed, p50, p99);
    }
}
