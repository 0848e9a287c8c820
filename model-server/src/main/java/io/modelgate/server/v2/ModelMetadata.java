package io.modelgate.server.v2;

import io.modelgate.server.tensor.TensorSpec;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What {@code GET /v2/models/{name}} answers, and what every request is checked against.
 *
 * @param version empty when the server was given none; the protocol's "versions" is then empty
 * @param platform "onnxruntime_onnx" for ONNX models, as Triton and KServe name it
 */
public record ModelMetadata(String name, Optional<String> version, String platform,
                            List<TensorSpec> inputs, List<TensorSpec> outputs) {

  public ModelMetadata {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(platform, "platform");
    if (name.isBlank() || name.contains("/")) {
      throw new IllegalArgumentException("model name '" + name + "' must be non-empty and have no '/' (it is a URL path segment)");
    }
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("model '" + name + "' has no inputs the server can feed");
    }
  }

  public Optional<TensorSpec> input(String inputName) {
    return find(inputs, inputName);
  }

  public Optional<TensorSpec> output(String outputName) {
    return find(outputs, outputName);
  }

  /** Whether every input and output has a variable first dimension, so requests can be stacked on it. */
  public boolean batchable() {
    return inputs.stream().allMatch(TensorSpec::hasBatchDimension)
        && outputs.stream().allMatch(TensorSpec::hasBatchDimension);
  }

  String describeInputs() {
    return inputs.stream().map(TensorSpec::toString).collect(Collectors.joining(", "));
  }

  String describeOutputs() {
    return outputs.stream().map(TensorSpec::name).collect(Collectors.joining(", "));
  }

  private static Optional<TensorSpec> find(List<TensorSpec> specs, String name) {
    for (TensorSpec s : specs) {
      if (s.name().equals(name)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
