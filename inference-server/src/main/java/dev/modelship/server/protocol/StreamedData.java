package dev.modelship.server.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.modelship.server.model.Datatype;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * An input's JSON {@code data} read straight from the parser into primitive arrays, for the
 * numeric and boolean datatypes: a tree of one node per number was most of a JSON request's
 * cost (bench/RESULTS.md, "What limits it"). It finds what the tree walk of {@link RestCodec}
 * finds, in the same order: a nested object or null, more values than the shape holds, a count
 * that is not the shape's, then the first value of the wrong kind; {@link #toTensor} reports
 * them with the same messages, once the checks that come before the data have passed.
 */
final class StreamedData {

    private final Datatype datatype;
    private final int limit;
    private int size;
    private double[] doubles;
    private long[] longs;
    private byte[] bools;
    /** Integers beyond a long, by index (rare: UINT64 above 2^63 - 1, or out of range anyway). */
    private Map<Integer, BigInteger> bigs;
    /** "null" or "an object": what was found where a value or an array belongs. */
    private String notAValue;
    private boolean tooMany;
    /** The first value of the wrong kind, as JSON. */
    private String wrongValue;

    private StreamedData(Datatype datatype, int limit) {
        this.datatype = datatype;
        this.limit = limit;
        int capacity = Math.min(limit, 4096); // grown as values come: the shape alone sizes nothing
        if (datatype == Datatype.BOOL) {
            bools = new byte[capacity];
        } else if (datatype.isIntegral()) {
            longs = new long[capacity];
        } else {
            doubles = new double[capacity];
        }
    }

    /** Whether a datatype's data can be streamed: every fixed-size one (BYTES goes through the tree). */
    static boolean streams(Datatype datatype) {
        return datatype != Datatype.BYTES;
    }

    /** Reads the value at the parser's current token (an array, nested arrays, or one value). */
    static StreamedData read(JsonParser p, Datatype datatype, int limit) throws IOException {
        StreamedData d = new StreamedData(datatype, limit);
        int depth = 0;
        JsonToken t = p.currentToken();
        while (true) {
            if (t == JsonToken.START_ARRAY) {
                depth++;
            } else if (t == JsonToken.END_ARRAY) {
                depth--;
            } else if (t == JsonToken.START_OBJECT) {
                d.notAValue("an object");
                p.skipChildren();
            } else if (t == JsonToken.VALUE_NULL) {
                d.notAValue("null");
            } else {
                d.value(p, t);
            }
            if (depth == 0) {
                return d;
            }
            t = p.nextToken();
        }
    }

    private void notAValue(String found) {
        if (notAValue == null && !tooMany) {
            notAValue = found;
        }
    }

    private void value(JsonParser p, JsonToken t) throws IOException {
        if (notAValue != null || tooMany) {
            return; // the first structural problem is the one reported; the rest is only read
        }
        if (size >= limit) {
            tooMany = true;
            return;
        }
        grow();
        if (datatype == Datatype.BOOL) {
            if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
                bools[size] = (byte) (t == JsonToken.VALUE_TRUE ? 1 : 0);
            } else {
                wrong(p, t);
            }
        } else if (datatype.isIntegral()) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                wrong(p, t);
            } else if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                if (bigs == null) {
                    bigs = new HashMap<>();
                }
                bigs.put(size, p.getBigIntegerValue());
            } else {
                longs[size] = p.getLongValue();
            }
        } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            doubles[size] = p.getDoubleValue();
        } else {
            wrong(p, t);
        }
        size++;
    }

    private void wrong(JsonParser p, JsonToken t) throws IOException {
        if (wrongValue == null) {
            wrongValue = t == JsonToken.VALUE_STRING ? TextNode.valueOf(p.getText()).toString() : p.getText();
        }
    }

    private void grow() {
        if (datatype == Datatype.BOOL && size == bools.length) {
            bools = Arrays.copyOf(bools, Math.min(limit, Math.max(16, size * 2)));
        } else if (longs != null && size == longs.length) {
            longs = Arrays.copyOf(longs, Math.min(limit, Math.max(16, size * 2)));
        } else if (doubles != null && size == doubles.length) {
            doubles = Arrays.copyOf(doubles, Math.min(limit, Math.max(16, size * 2)));
        }
    }

    /** True when this was read for the datatype and shape the input declares. */
    boolean readAs(Datatype declared, long count) {
        return declared == datatype && count == limit;
    }

    /** The tensor, or the first problem with the data, worded as the tree walk words it. */
    Tensor toTensor(String name, long[] shape, int count) {
        if (notAValue != null) {
            throw InferenceException.badRequest("input '%s': 'data' must hold values or arrays of values, found %s",
                    name, notAValue);
        }
        if (tooMany) {
            throw InferenceException.badRequest("input '%s' has more values than its shape holds (%d)", name, limit);
        }
        if (size != count) {
            throw InferenceException.badRequest("input '%s' has %d values but shape %s needs %d",
                    name, size, Arrays.toString(shape), count);
        }
        if (wrongValue != null) {
            throw datatype == Datatype.BOOL
                    ? InferenceException.badRequest("input '%s': BOOL values must be true or false, got %s", name, wrongValue)
                    : datatype.isIntegral()
                    ? InferenceException.badRequest("input '%s': %s values must be integers, got %s", name, datatype, wrongValue)
                    : InferenceException.badRequest("input '%s': %s values must be numbers, got %s", name, datatype, wrongValue);
        }
        ByteBuffer out = ByteBuffer.allocate(count * datatype.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            if (datatype == Datatype.BOOL) {
                out.put(bools[i]);
            } else if (datatype.isIntegral()) {
                BigInteger big = bigs == null ? null : bigs.get(i);
                if (big != null) {
                    TensorValues.putIntegral(out, datatype, big, name);
                } else {
                    TensorValues.putIntegral(out, datatype, longs[i], name);
                }
            } else {
                TensorValues.putFloating(out, datatype, doubles[i]);
            }
        }
        out.flip();
        return Tensor.ofBytes(datatype, shape, out);
    }
}
