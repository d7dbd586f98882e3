package dev.modelship.server.protocol;

import java.util.Map;

/** The outputs of one request, by name, in the order they are to be returned. */
public record InferResponse(String modelName, String modelVersion, String id, Map<String, Tensor> outputs) {
}
