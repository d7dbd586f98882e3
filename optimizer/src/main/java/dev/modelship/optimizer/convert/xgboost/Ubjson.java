package dev.modelship.optimizer.convert.xgboost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelship.optimizer.OptimizerException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Universal Binary JSON (ubjson.org, draft 12), the binary form XGBoost saves to {@code .ubj},
 * read into the same Jackson tree as its JSON twin. No maintained Java library reads UBJSON;
 * this covers the whole draft-12 value set, including the typed, counted arrays XGBoost
 * writes for its node tables. Numbers are big-endian.
 */
final class Ubjson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    private static final int MAX_DEPTH = 64;
    private final ByteBuffer in;

    private Ubjson(byte[] bytes) {
        in = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    }

    static JsonNode parse(byte[] bytes) {
        Ubjson u = new Ubjson(bytes);
        try {
            JsonNode root = u.value(u.marker(), 0);
            if (u.in.hasRemaining()) {
                throw OptimizerException.badModel("UBJSON: " + u.in.remaining() + " bytes after the document");
            }
            return root;
        } catch (BufferUnderflowException e) {
            throw OptimizerException.badModel("UBJSON document is truncated");
        }
    }

    private byte marker() {
        byte m;
        do {
            m = in.get();
        } while (m == 'N'); // no-op
        return m;
    }

    private JsonNode value(byte type, int depth) {
        if (depth > MAX_DEPTH) {
            throw OptimizerException.badModel("UBJSON nesting deeper than " + MAX_DEPTH);
        }
        return switch (type) {
            case 'Z' -> NODES.nullNode();
            case 'T' -> NODES.booleanNode(true);
            case 'F' -> NODES.booleanNode(false);
            case 'i' -> NODES.numberNode((int) in.get());
            case 'U' -> NODES.numberNode(Byte.toUnsignedInt(in.get()));
            case 'I' -> NODES.numberNode((int) in.getShort());
            case 'l' -> NODES.numberNode(in.getInt());
            case 'L' -> NODES.numberNode(in.getLong());
            case 'd' -> NODES.numberNode(in.getFloat());
            case 'D' -> NODES.numberNode(in.getDouble());
            case 'C' -> NODES.textNode(String.valueOf((char) Byte.toUnsignedInt(in.get())));
            case 'S' -> NODES.textNode(string());
            case 'H' -> NODES.numberNode(new java.math.BigDecimal(string()));
            case '[' -> array(depth);
            case '{' -> object(depth);
            default -> throw OptimizerException.badModel("UBJSON: unknown type marker 0x"
                    + Integer.toHexString(Byte.toUnsignedInt(type)) + " at byte " + (in.position() - 1));
        };
    }

    private long length() {
        byte t = marker();
        long n = switch (t) {
            case 'i' -> in.get();
            case 'U' -> Byte.toUnsignedInt(in.get());
            case 'I' -> in.getShort();
            case 'l' -> in.getInt();
            case 'L' -> in.getLong();
            default -> throw OptimizerException.badModel("UBJSON: length has type marker '" + (char) t + "'");
        };
        if (n < 0 || n > in.remaining()) {
            throw OptimizerException.badModel("UBJSON document is truncated (a length of " + n + " runs past its end)");
        }
        return n;
    }

    private String string() {
        byte[] b = new byte[(int) length()];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The optional "$type #count" header of a container; type 0 when absent, count -1 when absent. */
    private long[] header() {
        int type = 0;
        long count = -1;
        int mark = in.position();
        byte m = in.get();
        if (m == '$') {
            type = in.get();
            m = in.get();
            if (m != '#') {
                throw OptimizerException.badModel("UBJSON: a typed container needs a count");
            }
        }
        if (m == '#') {
            count = length();
        } else {
            in.position(mark);
        }
        return new long[] {type, count};
    }

    private ArrayNode array(int depth) {
        long[] h = header();
        ArrayNode a = NODES.arrayNode();
        if (h[1] >= 0) {
            for (long k = 0; k < h[1]; k++) {
                a.add(value(h[0] != 0 ? (byte) h[0] : marker(), depth + 1));
            }
            return a;
        }
        for (byte m = marker(); m != ']'; m = marker()) {
            a.add(value(m, depth + 1));
        }
        return a;
    }

    private ObjectNode object(int depth) {
        long[] h = header();
        ObjectNode o = NODES.objectNode();
        if (h[1] >= 0) {
            for (long k = 0; k < h[1]; k++) {
                String key = string();
                o.set(key, value(h[0] != 0 ? (byte) h[0] : marker(), depth + 1));
            }
            return o;
        }
        while (true) {
            int mark = in.position();
            byte m = marker();
            if (m == '}') {
                return o;
            }
            in.position(mark);
            String key = string();
            o.set(key, value(marker(), depth + 1));
        }
    }
}
