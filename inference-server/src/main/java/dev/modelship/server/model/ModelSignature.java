package dev.modelship.server.model;

import java.util.List;
import java.util.Optional;

/** The inputs and outputs a model declares, in the model's order. */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs) {

    public ModelSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    public Optional<TensorSpec> input(String name) {
        return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public Optional<TensorSpec> output(String name) {
        return outputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Rows of separate requests can be stacked only when every input and output has an open first dimension. */
    public boolean batchable() {
        return !inputs.isEmpty()
                && inputs.stream().allMatch(TensorSpec::hasDynamicBatchDimension)
                && outputs.stream().allMatch(TensorSpec::hasDynamicBatchDimension);
    }
}
