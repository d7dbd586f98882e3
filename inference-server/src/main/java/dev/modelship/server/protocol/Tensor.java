package dev.modelship.server.protocol;

import dev.modelship.server.model.Datatype;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * One tensor's values in the form the binary extension and ONNX Runtime both use:
 * fixed-size elements as little-endian bytes in row-major order, BYTES elements as
 * an array of byte strings. Immutable once built.
 */
public final class Tensor {

    private final Datatype datatype;
    private final long[] shape;
    private final ByteBuffer data;      // fixed-size datatypes; position 0, little-endian
    private final byte[][] elements;    // BYTES

    private Tensor(Datatype datatype, long[] shape, ByteBuffer data, byte[][] elements) {
        this.datatype = datatype;
        this.shape = shape;
        this.data = data;
        this.elements = elements;
    }

    public static Tensor ofBytes(Datatype datatype, long[] shape, ByteBuffer littleEndian) {
        if (!datatype.isFixedSize()) {
            throw new IllegalArgumentException("BYTES tensors hold elements, not a buffer");
        }
        long expected = elementCount(shape) * datatype.elementSize();
        if (littleEndian.remaining() != expected) {
            throw new IllegalArgumentException("buffer holds " + littleEndian.remaining()
                    + " bytes, shape " + Arrays.toString(shape) + " of " + datatype + " needs " + expected);
        }
        return new Tensor(datatype, shape.clone(), littleEndian.slice().order(ByteOrder.LITTLE_ENDIAN), null);
    }

    public static Tensor ofElements(long[] shape, byte[][] elements) {
        if (elements.length != elementCount(shape)) {
            throw new IllegalArgumentException(elements.length + " elements do not fill shape " + Arrays.toString(shape));
        }
        return new Tensor(Datatype.BYTES, shape.clone(), null, elements);
    }

    public Datatype datatype() {
        return datatype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return elementCount(shape);
    }

    /** A read-only little-endian view of the values; fixed-size datatypes only. */
    public ByteBuffer data() {
        return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The elements of a BYTES tensor. */
    public byte[][] elements() {
        return elements;
    }

    public long rows() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /** Rows [from, from + count) along the first dimension. */
    public Tensor rows(long from, long count) {
        long[] s = shape.clone();
        s[0] = count;
        long perRow = shape[0] == 0 ? 0 : elementCount(shape) / shape[0];
        if (datatype.isFixedSize()) {
            int rowBytes = Math.toIntExact(perRow * datatype.elementSize());
            ByteBuffer slice = data.duplicate();
            slice.position(Math.toIntExact(from * rowBytes)).limit(Math.toIntExact((from + count) * rowBytes));
            return new Tensor(datatype, s, slice.slice().order(ByteOrder.LITTLE_ENDIAN), null);
        }
        return new Tensor(datatype, s, null,
                Arrays.copyOfRange(elements, Math.toIntExact(from * perRow), Math.toIntExact((from + count) * perRow)));
    }

    /** Stacks tensors of equal datatype and trailing dimensions along the first dimension. */
    public static Tensor concatRows(List<Tensor> parts) {
        Tensor first = parts.get(0);
        if (parts.size() == 1) {
            return first;
        }
        long[] s = first.shape.clone();
        s[0] = parts.stream().mapToLong(Tensor::rows).sum();
        if (first.datatype.isFixedSize()) {
            ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(elementCount(s) * first.datatype.elementSize()))
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : parts) {
                all.put(t.data.duplicate());
            }
            all.flip();
            return new Tensor(first.datatype, s, all, null);
        }
        byte[][] all = new byte[Math.toIntExact(elementCount(s))][];
        int at = 0;
        for (Tensor t : parts) {
            System.arraycopy(t.elements, 0, all, at, t.elements.length);
            at += t.elements.length;
        }
        return new Tensor(first.datatype, s, null, all);
    }

    /** Trailing dimensions, which must agree for rows of several tensors to be stacked. */
    public boolean sameRowShape(Tensor other) {
        return datatype == other.datatype && shape.length == other.shape.length && shape.length > 0
                && Arrays.equals(shape, 1, shape.length, other.shape, 1, other.shape.length);
    }

    /** Size of this tensor in the binary extension's encoding. */
    public long binarySize() {
        if (datatype.isFixedSize()) {
            return data.remaining();
        }
        long n = 0;
        for (byte[] e : elements) {
            n += 4 + e.length;
        }
        return n;
    }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
