package dev.modelship.server.model;

import java.util.Arrays;

/**
 * A model input or output as the protocol's metadata describes it: a name, a
 * datatype and a shape where -1 marks a dimension the model leaves open.
 */
public record TensorSpec(String name, Datatype datatype, long[] shape) {

    public TensorSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** True when the first dimension is open, so rows of several requests can share a run. */
    public boolean hasDynamicBatchDimension() {
        return shape.length > 0 && shape[0] < 0;
    }

    /** Whether a concrete shape fits this spec: same rank, fixed dimensions equal. */
    public boolean accepts(long[] concrete) {
        if (concrete.length != shape.length) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] >= 0 && shape[i] != concrete[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && t.datatype == datatype
                && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + ":" + datatype + Arrays.toString(shape);
    }
}
