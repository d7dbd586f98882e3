package dev.modelship.server.runtime;

import dev.modelship.server.model.Datatype;
import dev.modelship.server.protocol.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The runtime copies each run's inputs into memory its thread reuses run after run (grown when a
 * run needs more, a buffer of the run's own past 4 MiB). On a real ONNX Runtime session of
 * {@code multi_io.onnx} (sum = a + b, b_times_2 = 2 b, a_row_sum = the rows of a summed, for a
 * FP32 and b INT64 of shape [N, 4]), computed here independently: whatever the sizes of the runs
 * before it, every run answers for its own inputs, none sees a value a previous run left behind.
 */
class ModelRuntimeTest {

    private static final Path MULTI_IO = Path.of("..", "examples", "models", "multi_io.onnx");

    @Test
    void runsOfGrowingAndShrinkingSizesOnOneThreadEachAnswerForTheirOwnInputs() throws Exception {
        try (ModelRuntime runtime = new ModelRuntime(MULTI_IO, new RuntimeOptions(1, 1))) {
            Random random = new Random(7);
            // 1 row, then more than the memory a thread starts with, fewer again, then past the
            // 4 MiB reuse limit (120 000 rows × 4 × (4 + 8) bytes), then 1 row again.
            for (int rows : new int[] {1, 300, 2, 5_000, 3, 120_000, 1}) {
                checkRun(runtime, rows, random);
            }
        }
    }

    @Test
    void threadsRunningAtOnceEachUseTheirOwnMemory() throws Exception {
        try (ModelRuntime runtime = new ModelRuntime(MULTI_IO, new RuntimeOptions(1, 1))) {
            Throwable[] failure = new Throwable[1];
            Thread[] threads = new Thread[4];
            for (int t = 0; t < threads.length; t++) {
                Random random = new Random(t);
                threads[t] = new Thread(() -> {
                    try {
                        for (int i = 0; i < 200; i++) {
                            checkRun(runtime, 1 + random.nextInt(64), random);
                        }
                    } catch (Throwable e) {
                        synchronized (failure) {
                            failure[0] = e;
                        }
                    }
                });
                threads[t].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            if (failure[0] != null) {
                throw new AssertionError("a run on one of the threads answered wrongly", failure[0]);
            }
        }
    }

    private static void checkRun(ModelRuntime runtime, int rows, Random random) throws Exception {
        int n = rows * 4;
        float[] a = new float[n];
        long[] b = new long[n];
        ByteBuffer aBytes = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bBytes = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian() * 3;
            b[i] = random.nextInt(11) - 5;
            aBytes.putFloat(a[i]);
            bBytes.putLong(b[i]);
        }
        long[] shape = {rows, 4};
        Map<String, Tensor> out = runtime.run(Map.of(
                "a", Tensor.ofBytes(Datatype.FP32, shape, aBytes.flip()),
                "b", Tensor.ofBytes(Datatype.INT64, shape, bBytes.flip())),
                Set.of("sum", "b_times_2", "a_row_sum"));
        ByteBuffer sum = out.get("sum").data();
        ByteBuffer twice = out.get("b_times_2").data();
        ByteBuffer rowSums = out.get("a_row_sum").data();
        assertEquals(n * 4, sum.remaining(), "sum holds [" + rows + ", 4] floats");
        for (int i = 0; i < n; i++) {
            assertEquals(a[i] + (float) b[i], sum.getFloat(i * 4), "sum[" + i + "] of a run of " + rows + " rows");
            assertEquals(2 * b[i], twice.getLong(i * 8), "b_times_2[" + i + "] of a run of " + rows + " rows");
        }
        for (int r = 0; r < rows; r++) {
            float expected = a[4 * r] + a[4 * r + 1] + a[4 * r + 2] + a[4 * r + 3];
            assertEquals(expected, rowSums.getFloat(r * 4), 1e-4f, "a_row_sum[" + r + "] of a run of " + rows + " rows");
        }
    }
}
