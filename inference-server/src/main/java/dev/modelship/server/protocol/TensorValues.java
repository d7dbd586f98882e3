package dev.modelship.server.protocol;

import ai.onnxruntime.platform.Fp16Conversions;
import dev.modelship.server.model.Datatype;

import java.math.BigInteger;
import java.nio.ByteBuffer;

/**
 * Reads and writes single elements of each fixed-size datatype in the little-endian
 * binary form, with the range checks a JSON or gRPC value must pass first.
 */
final class TensorValues {

    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private TensorValues() {
    }

    /** Puts an integral value, failing when it does not fit the datatype. */
    static void putIntegral(ByteBuffer out, Datatype type, BigInteger v, String input) {
        if (v.bitLength() < 64) {
            putIntegral(out, type, v.longValue(), input);
        } else if (type == Datatype.UINT64 && v.signum() > 0 && v.compareTo(UINT64_MAX) <= 0) {
            out.putLong(v.longValue()); // 2^63 .. 2^64 - 1: the same 8 bytes as the unsigned value
        } else {
            throw outOfRange(v, type, input);
        }
    }

    /** {@link #putIntegral(ByteBuffer, Datatype, BigInteger, String)} for a value that is a long. */
    static void putIntegral(ByteBuffer out, Datatype type, long v, String input) {
        switch (type) {
            case INT8 -> out.put((byte) checked(v, Byte.MIN_VALUE, Byte.MAX_VALUE, type, input));
            case INT16 -> out.putShort((short) checked(v, Short.MIN_VALUE, Short.MAX_VALUE, type, input));
            case INT32 -> out.putInt((int) checked(v, Integer.MIN_VALUE, Integer.MAX_VALUE, type, input));
            case INT64 -> out.putLong(v);
            case UINT8 -> out.put((byte) checked(v, 0, 0xFF, type, input));
            case UINT16 -> out.putShort((short) checked(v, 0, 0xFFFF, type, input));
            case UINT32 -> out.putInt((int) checked(v, 0, 0xFFFF_FFFFL, type, input));
            case UINT64 -> out.putLong(checked(v, 0, Long.MAX_VALUE, type, input));
            default -> throw new IllegalStateException(type + " is not integral");
        }
    }

    static void putFloating(ByteBuffer out, Datatype type, double v) {
        switch (type) {
            case FP16 -> out.putShort(Fp16Conversions.floatToFp16((float) v));
            case BF16 -> out.putShort((short) (Float.floatToIntBits((float) v) >>> 16));
            case FP32 -> out.putFloat((float) v);
            case FP64 -> out.putDouble(v);
            default -> throw new IllegalStateException(type + " is not floating point");
        }
    }

    static boolean isFloating(Datatype t) {
        return switch (t) {
            case FP16, BF16, FP32, FP64 -> true;
            default -> false;
        };
    }

    /** The element at index i as a JSON-friendly Java number or boolean. */
    static Object get(ByteBuffer in, Datatype type, int i) {
        return switch (type) {
            case BOOL -> in.get(i) != 0;
            case INT8 -> in.get(i);
            case INT16 -> in.getShort(i * 2);
            case INT32 -> in.getInt(i * 4);
            case INT64 -> in.getLong(i * 8);
            case UINT8 -> in.get(i) & 0xFF;
            case UINT16 -> in.getShort(i * 2) & 0xFFFF;
            case UINT32 -> in.getInt(i * 4) & 0xFFFF_FFFFL;
            case UINT64 -> new BigInteger(Long.toUnsignedString(in.getLong(i * 8)));
            case FP16 -> Fp16Conversions.fp16ToFloat(in.getShort(i * 2));
            case BF16 -> Float.intBitsToFloat((in.getShort(i * 2) & 0xFFFF) << 16);
            case FP32 -> in.getFloat(i * 4);
            case FP64 -> in.getDouble(i * 8);
            case BYTES -> throw new IllegalStateException("BYTES has no fixed-size elements");
        };
    }


    private static long checked(long v, long min, long max, Datatype type, String input) {
        if (v < min || v > max) {
            throw outOfRange(BigInteger.valueOf(v), type, input);
        }
        return v;
    }

    private static InferenceException outOfRange(BigInteger v, Datatype type, String input) {
        return InferenceException.badRequest("input '%s': value %s is out of range for %s", input, v, type);
    }
}
