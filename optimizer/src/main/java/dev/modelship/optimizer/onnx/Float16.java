package dev.modelship.optimizer.onnx;

/** IEEE 754 binary32 → binary16 with round-to-nearest-even (Java 17 has no Float.floatToFloat16). */
public final class Float16 {
    public static final float MAX = 65504f;

    private Float16() {
    }

    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0)); // Inf or NaN
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00); // overflow to infinity
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // underflow to signed zero
            }
            // Subnormal: shift the mantissa (with its implicit 1) into place, round to even.
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = m >> shift;
            int rest = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
            half++; // may carry into the exponent, which is still correct (up to infinity)
        }
        return (short) (sign | half);
    }

    public static float toFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
