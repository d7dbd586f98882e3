package dev.modelship.optimizer.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Float and integer tensors to and from the protobuf layout (little-endian raw_data). */
public final class Tensors {
    private Tensors() {
    }

    public static float[] floats(TensorProto t) {
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new IllegalArgumentException("tensor '" + t.getName() + "' is not float32");
        }
        if (!t.getRawData().isEmpty()) {
            ByteBuffer buf = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[buf.remaining() / 4];
            buf.asFloatBuffer().get(out);
            return out;
        }
        float[] out = new float[t.getFloatDataCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getFloatData(i);
        }
        return out;
    }

    public static long elementCount(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        return n;
    }

    public static TensorProto floatTensor(String name, long[] dims, float[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(values);
        return base(name, dims, TensorProto.DataType.FLOAT).setRawData(ByteString.copyFrom(buf.array())).build();
    }

    public static TensorProto int8Tensor(String name, long[] dims, byte[] values) {
        return base(name, dims, TensorProto.DataType.INT8).setRawData(ByteString.copyFrom(values)).build();
    }

    /** Unsigned bytes: each byte is read as 0–255. */
    public static TensorProto uint8Tensor(String name, long[] dims, byte[] values) {
        return base(name, dims, TensorProto.DataType.UINT8).setRawData(ByteString.copyFrom(values)).build();
    }

    public static TensorProto int64Tensor(String name, long[] dims, long[] values) {
        ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(values);
        return base(name, dims, TensorProto.DataType.INT64).setRawData(ByteString.copyFrom(buf.array())).build();
    }

    public static long[] dims(TensorProto t) {
        List<Long> d = t.getDimsList();
        long[] out = new long[d.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = d.get(i);
        }
        return out;
    }

    private static TensorProto.Builder base(String name, long[] dims, TensorProto.DataType type) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
        for (long d : dims) {
            b.addDims(d);
        }
        return b;
    }
}
