package io.modelgate.server.v2;

import io.modelgate.server.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The answer to one inference request: the outputs, flat, in the model's order. */
public record InferResponse(String modelName, Optional<String> modelVersion, String id, List<Tensor> outputs) {

  public InferResponse {
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(modelVersion, "modelVersion");
    Objects.requireNonNull(id, "id");
    outputs = List.copyOf(outputs);
  }
}
