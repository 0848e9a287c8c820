package io.modelgate.server.v2;

import io.modelgate.server.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An inference request that has been checked against the model: every input the model needs, each with
 * the model's datatype and a shape that fits, and only outputs the model has.
 *
 * @param id the client's id, echoed in the response; empty when it sent none
 * @param inputs by name, in the order the client sent them
 * @param outputs the outputs asked for; empty means all of them
 */
public record InferRequest(Optional<String> id, Map<String, Tensor> inputs, Set<String> outputs) {

  public InferRequest {
    Objects.requireNonNull(id, "id");
    inputs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    outputs = Set.copyOf(outputs);
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("a request has at least one input");
    }
  }
}
