package dev.modelship.server.protocol;

import java.util.List;
import java.util.Map;

/**
 * A decoded inference request: the inputs by name (in request order), the outputs the
 * client asked for (empty means all), and whether each should come back in binary form.
 */
public record InferRequest(String id, Map<String, Tensor> inputs, List<RequestedOutput> outputs,
                           boolean binaryOutputsByDefault) {

    public record RequestedOutput(String name, Boolean binary) {
    }
}
