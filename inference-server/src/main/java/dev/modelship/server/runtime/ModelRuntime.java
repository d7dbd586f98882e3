package dev.modelship.server.runtime;

import ai.onnxruntime.MapInfo;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxMap;
import ai.onnxruntime.OnnxSequence;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.SequenceInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;
import dev.modelship.server.model.Datatype;
import dev.modelship.server.model.ModelLoadException;
import dev.modelship.server.model.ModelSignature;
import dev.modelship.server.model.TensorSpec;
import dev.modelship.server.protocol.Tensor;

import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One ONNX Runtime session and the model's signature. {@link #run} is safe to call
 * from several threads; ONNX Runtime serialises nothing but shares the weights.
 *
 * <p>Outputs that are not tensors, the sequence-of-maps probabilities that converted
 * classifiers emit (ZipMap), are returned as an FP32 tensor [rows, classes] whose
 * columns follow the maps' keys in ascending order — the classifier's class order.
 */
public final class ModelRuntime implements AutoCloseable {

    /**
     * Direct memory each thread feeds ONNX Runtime from, reused run after run. Requests are decoded
     * to heap buffers and copied here, rather than each getting a direct buffer of its own: every
     * direct buffer carries a Cleaner that stays reachable until the next young collection, which
     * must copy it and process its reference, so at thousands of requests a second those made the
     * pauses several times longer (bench/RESULTS.md, "The c = 1 tail under a closed loop").
     */
    private static final ThreadLocal<ByteBuffer> FEED = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(0));
    /** Runs whose inputs need more get memory of their own, so that no thread holds on to a large buffer. */
    private static final int FEED_REUSE_LIMIT = 4 << 20;
    /** Each input starts on a cache line. */
    private static final int FEED_ALIGNMENT = 64;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelSignature signature;

    public ModelRuntime(Path modelFile, RuntimeOptions options) {
        this.env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(options.intraOpThreads());
            so.setInterOpNumThreads(options.interOpThreads());
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(modelFile.toString(), so);
            this.signature = new ModelSignature(specs(session.getInputInfo()), specs(session.getOutputInfo()));
        } catch (OrtException e) {
            throw new ModelLoadException("ONNX Runtime cannot load " + modelFile + ": " + e.getMessage(), e);
        }
        for (TensorSpec t : concat(signature.inputs(), signature.outputs())) {
            if (t.datatype().javaType().isEmpty()) {
                closeQuietly();
                throw new ModelLoadException("'" + t.name() + "' is " + t.datatype()
                        + ", and ONNX Runtime's Java API has no tensors of that type; this model cannot be served"
                        + " (UINT16, UINT32 and UINT64 are not supported)");
            }
        }
    }

    private static List<TensorSpec> concat(List<TensorSpec> a, List<TensorSpec> b) {
        List<TensorSpec> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private void closeQuietly() {
        try {
            session.close();
        } catch (OrtException ignored) {
            // The model is being refused already; the close failure adds nothing.
        }
    }

    public ModelSignature signature() {
        return signature;
    }

    /**
     * One run's outputs and where its time went: making ONNX Runtime's tensors of the inputs,
     * ONNX Runtime's run, and reading its outputs back.
     */
    public record Run(Map<String, Tensor> outputs, long inputNanos, long inferNanos, long outputNanos) {
    }

    /** Runs the model once; {@code outputs} empty means every output. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs) throws OrtException {
        return runTimed(inputs, outputs).outputs();
    }

    /** {@link #run}, timed. */
    public Run runTimed(Map<String, Tensor> inputs, Set<String> outputs) throws OrtException {
        long start = System.nanoTime();
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            ByteBuffer memory = feedMemory(inputs.values());
            int at = 0;
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                Tensor t = e.getValue();
                if (t.datatype() == Datatype.BYTES) {
                    feed.put(e.getKey(), stringTensor(t));
                } else {
                    int size = Math.toIntExact(t.binarySize());
                    feed.put(e.getKey(), toOnnx(t, memory.slice(at, size)));
                    at += aligned(size);
                }
            }
            Set<String> wanted = outputs.isEmpty() ? session.getOutputNames() : outputs;
            long fed = System.nanoTime();
            try (OrtSession.Result result = session.run(feed, wanted)) {
                long ran = System.nanoTime();
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    out.put(e.getKey(), fromOnnx(e.getKey(), e.getValue()));
                }
                return new Run(out, fed - start, ran - fed, System.nanoTime() - ran);
            }
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    /** Inputs of the declared shapes (open dimensions as 1) filled with zeros, for warm-up. */
    public Map<String, Tensor> zeroInputs() {
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        for (TensorSpec spec : signature.inputs()) {
            long[] shape = spec.shape();
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shape[i] < 0 ? 1 : shape[i];
            }
            int n = (int) Tensor.elementCount(shape);
            if (spec.datatype() == Datatype.BYTES) {
                byte[][] e = new byte[n][];
                java.util.Arrays.fill(e, new byte[0]);
                inputs.put(spec.name(), Tensor.ofElements(shape, e));
            } else {
                ByteBuffer zeros = ByteBuffer.allocate(n * spec.datatype().elementSize()).order(ByteOrder.LITTLE_ENDIAN);
                inputs.put(spec.name(), Tensor.ofBytes(spec.datatype(), shape, zeros));
            }
        }
        return inputs;
    }

    /**
     * Memory for every fixed-size input of one run: this thread's reused buffer, grown as needed,
     * when they fit in {@link #FEED_REUSE_LIMIT}. A thread runs one model call at a time, and
     * nothing holds on to the memory after the call.
     */
    private static ByteBuffer feedMemory(Iterable<Tensor> inputs) {
        long total = 0;
        for (Tensor t : inputs) {
            if (t.datatype() != Datatype.BYTES) {
                total += aligned(Math.toIntExact(t.binarySize()));
            }
        }
        if (total > FEED_REUSE_LIMIT) {
            return ByteBuffer.allocateDirect(Math.toIntExact(total));
        }
        ByteBuffer reused = FEED.get();
        if (reused.capacity() < total) {
            int grown = (int) Math.max(total, Math.min(2L * reused.capacity(), FEED_REUSE_LIMIT));
            reused = ByteBuffer.allocateDirect(grown);
            FEED.set(reused);
        }
        return reused;
    }

    private static int aligned(int size) {
        return (size + FEED_ALIGNMENT - 1) / FEED_ALIGNMENT * FEED_ALIGNMENT;
    }

    private OnnxTensor stringTensor(Tensor t) throws OrtException {
        byte[][] e = t.elements();
        String[] strings = new String[e.length];
        for (int i = 0; i < e.length; i++) {
            strings[i] = new String(e[i], StandardCharsets.UTF_8);
        }
        return OnnxTensor.createTensor(env, strings, t.shape());
    }

    /** A tensor over {@code memory}, exactly the tensor's size, after copying the tensor's values into it. */
    private OnnxTensor toOnnx(Tensor t, ByteBuffer memory) throws OrtException {
        OnnxJavaType type = t.datatype().javaType().orElseThrow(
                () -> new IllegalArgumentException(t.datatype() + " cannot be fed to ONNX Runtime"));
        memory.put(t.data()).flip();
        return OnnxTensor.createTensor(env, memory.order(ByteOrder.nativeOrder()), t.shape(), type);
    }

    private static Tensor fromOnnx(String name, OnnxValue value) throws OrtException {
        if (value instanceof OnnxTensor tensor) {
            TensorInfo info = tensor.getInfo();
            Datatype datatype = Datatype.fromOnnx(info.onnxType).orElseThrow(() -> new OrtException(
                    "output '" + name + "' has element type " + info.onnxType + ", which the protocol cannot carry"));
            if (datatype == Datatype.BYTES) {
                List<String> flat = new ArrayList<>();
                flattenStrings(tensor.getValue(), flat);
                byte[][] e = new byte[flat.size()][];
                for (int i = 0; i < e.length; i++) {
                    e[i] = flat.get(i).getBytes(StandardCharsets.UTF_8);
                }
                return Tensor.ofElements(info.getShape(), e);
            }
            if (datatype.javaType().isEmpty()) {
                throw new OrtException("output '" + name + "' is " + datatype
                        + ", which ONNX Runtime's Java API cannot read");
            }
            ByteBuffer bytes = tensor.getByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            return Tensor.ofBytes(datatype, info.getShape(), bytes);
        }
        if (value instanceof OnnxSequence sequence) {
            return sequenceOfMapsToTensor(name, sequence);
        }
        throw new OrtException("output '" + name + "' is a " + value.getType() + ", which the server cannot return");
    }

    private static Tensor sequenceOfMapsToTensor(String name, OnnxSequence sequence) throws OrtException {
        List<? extends OnnxValue> rows = sequence.getValue();
        List<float[]> values = new ArrayList<>(rows.size());
        int columns = -1;
        for (OnnxValue row : rows) {
            if (!(row instanceof OnnxMap map)) {
                throw new OrtException("output '" + name + "' is a sequence of " + row.getType()
                        + "; only sequences of maps are converted");
            }
            Map<Object, Object> sorted = new TreeMap<>(map.getValue());
            if (columns >= 0 && sorted.size() != columns) {
                throw new OrtException("output '" + name + "' has maps of different sizes");
            }
            columns = sorted.size();
            float[] r = new float[columns];
            int i = 0;
            for (Object v : sorted.values()) {
                r[i++] = ((Number) v).floatValue();
            }
            values.add(r);
        }
        columns = Math.max(columns, 0);
        ByteBuffer out = ByteBuffer.allocate(values.size() * columns * 4).order(ByteOrder.LITTLE_ENDIAN);
        values.forEach(r -> {
            for (float f : r) {
                out.putFloat(f);
            }
        });
        out.flip();
        return Tensor.ofBytes(Datatype.FP32, new long[] {values.size(), columns}, out);
    }

    private static void flattenStrings(Object value, List<String> out) {
        if (value instanceof String s) {
            out.add(s);
        } else if (value != null && value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                flattenStrings(Array.get(value, i), out);
            }
        }
    }

    private static List<TensorSpec> specs(Map<String, NodeInfo> infos) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo node : infos.values()) {
            specs.add(spec(node.getName(), node.getInfo()));
        }
        return specs;
    }

    private static TensorSpec spec(String name, ValueInfo info) {
        if (info instanceof TensorInfo t) {
            Datatype datatype = Datatype.fromOnnx(t.onnxType).orElseThrow(() -> new ModelLoadException(
                    "'" + name + "' has element type " + t.onnxType + ", which the protocol cannot carry"));
            return new TensorSpec(name, datatype, t.getShape());
        }
        if (info instanceof SequenceInfo s && s.isSequenceOfMaps()) {
            // Returned as FP32 [rows, classes]; see the class comment.
            return new TensorSpec(name, Datatype.FP32, new long[] {-1, -1});
        }
        if (info instanceof MapInfo) {
            throw new ModelLoadException("'" + name + "' is a map, which the server cannot serve");
        }
        throw new ModelLoadException("'" + name + "' is a " + info + ", which the server cannot serve");
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
