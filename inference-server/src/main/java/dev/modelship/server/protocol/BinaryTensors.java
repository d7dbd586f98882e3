package dev.modelship.server.protocol;

import dev.modelship.server.model.Datatype;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The binary tensor encoding shared by Triton's HTTP extension and the gRPC
 * {@code raw_input_contents}/{@code raw_output_contents}: fixed-size elements as
 * little-endian bytes in row-major order; BYTES elements each preceded by a
 * 4-byte little-endian length.
 */
public final class BinaryTensors {

    private BinaryTensors() {
    }

    /** Reads a tensor that must fill {@code data} exactly. */
    public static Tensor read(String name, Datatype datatype, long[] shape, ByteBuffer data) {
        ByteBuffer in = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        long count = RestCodec.checkSize(name, shape);
        if (datatype.isFixedSize()) {
            long expected = count * datatype.elementSize();
            if (in.remaining() != expected) {
                throw InferenceException.badRequest("input '%s' has %d bytes of data but shape %s of %s needs %d",
                        name, in.remaining(), Arrays.toString(shape), datatype, expected);
            }
            ByteBuffer copy = ByteBuffer.allocate(in.remaining()).order(ByteOrder.LITTLE_ENDIAN);
            copy.put(in).flip();
            if (datatype == Datatype.BOOL) {
                for (int i = 0; i < copy.limit(); i++) {
                    if ((copy.get(i) & 0xFE) != 0) {
                        throw InferenceException.badRequest("input '%s': BOOL bytes must be 0 or 1", name);
                    }
                }
            }
            return Tensor.ofBytes(datatype, shape, copy);
        }
        if (count > in.remaining() / 4) {
            // Each element needs at least its 4-byte length; refuse before allocating for the shape.
            throw InferenceException.badRequest("input '%s': %d bytes cannot hold %d BYTES elements",
                    name, in.remaining(), count);
        }
        byte[][] elements = new byte[(int) count][];
        for (int i = 0; i < count; i++) {
            if (in.remaining() < 4) {
                throw InferenceException.badRequest(
                        "input '%s': binary BYTES data ends after %d of %d elements", name, i, count);
            }
            int length = in.getInt();
            if (length < 0 || length > in.remaining()) {
                throw InferenceException.badRequest(
                        "input '%s': element %d claims %d bytes but %d remain", name, i, length & 0xFFFF_FFFFL,
                        in.remaining());
            }
            elements[i] = new byte[length];
            in.get(elements[i]);
        }
        if (in.hasRemaining()) {
            throw InferenceException.badRequest("input '%s': %d bytes follow its %d BYTES elements",
                    name, in.remaining(), count);
        }
        requireUtf8(name, elements);
        return Tensor.ofElements(shape, elements);
    }

    /**
     * ONNX Runtime's Java API carries strings, not byte strings, so bytes that are not
     * UTF-8 would be altered on the way in; refuse them rather than answer for other input.
     */
    static void requireUtf8(String name, byte[][] elements) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < elements.length; i++) {
            try {
                decoder.reset().decode(ByteBuffer.wrap(elements[i]));
            } catch (CharacterCodingException e) {
                throw InferenceException.badRequest("input '%s': BYTES element %d is not valid UTF-8; ONNX Runtime "
                        + "takes strings, so only UTF-8 text can be sent", name, i);
            }
        }
    }

    public static void write(Tensor t, ByteArrayOutputStream out) {
        if (t.datatype().isFixedSize()) {
            ByteBuffer d = t.data();
            if (d.hasArray()) {
                out.write(d.array(), d.arrayOffset() + d.position(), d.remaining());
            } else {
                byte[] b = new byte[d.remaining()];
                d.get(b);
                out.write(b, 0, b.length);
            }
            return;
        }
        byte[] len = new byte[4];
        for (byte[] e : t.elements()) {
            ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).putInt(e.length);
            out.write(len, 0, 4);
            out.write(e, 0, e.length);
        }
    }

    public static byte[] toBytes(Tensor t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE, t.binarySize()));
        write(t, out);
        return out.toByteArray();
    }
}
