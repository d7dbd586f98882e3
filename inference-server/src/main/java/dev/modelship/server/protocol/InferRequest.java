package dev.modelship.server.protocol;

import java.util.List;
import java.util.Map;

/**
 * A decoded inference request: the inputs by name (in request order), the outputs the
 * client asked for (empty means all), whether each should come back in binary form, and
 * where an output goes to shared memory instead.
 */
public record InferRequest(String id, Map<String, Tensor> inputs, List<RequestedOutput> outputs,
                           boolean binaryOutputsByDefault) {

    /** {@code sharedMemory}: null, or the region the output is written to instead of the response. */
    public record RequestedOutput(String name, Boolean binary, SharedMemory.Reference sharedMemory) {

        public RequestedOutput(String name, Boolean binary) {
            this(name, binary, null);
        }
    }
}
