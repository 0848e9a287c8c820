package io.modelgate.server.tensor;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * What a model says about one of its inputs or outputs: name, datatype and shape, -1 where a dimension
 * is variable (ONNX's symbolic dimensions such as "batch").
 */
public record TensorSpec(String name, Datatype datatype, long[] shape) {

  public static final long VARIABLE = -1;

  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    shape = shape.clone();
    for (long d : shape) {
      if (d < VARIABLE) {
        throw new IllegalArgumentException("tensor '" + name + "': dimension " + d + " in " + Shapes.format(shape)
            + " is neither -1 (variable) nor a size");
      }
    }
  }

  public static TensorSpec of(String name, Datatype datatype, long... shape) {
    return new TensorSpec(name, datatype, shape);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  /** Whether the first dimension is variable, so that tensors of several requests can be stacked on it. */
  public boolean hasBatchDimension() {
    return shape.length > 0 && shape[0] == VARIABLE;
  }

  /** "FP32 [-1, 4]", how messages describe what was expected. */
  public String describe() {
    return datatype + " " + Shapes.format(shape);
  }

  /**
   * What is wrong with a request's {@code datatype} and {@code shape} for this input, in words that name
   * what was expected; empty when they fit.
   */
  public Optional<String> mismatch(Datatype actualType, long[] actualShape) {
    if (actualType != datatype) {
      return Optional.of("expected datatype " + datatype + ", got " + actualType);
    }
    if (actualShape.length != shape.length) {
      return Optional.of("expected shape " + Shapes.format(shape) + " (rank " + shape.length + "), got "
          + Shapes.format(actualShape) + " (rank " + actualShape.length + ")");
    }
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] != VARIABLE && shape[i] != actualShape[i]) {
        return Optional.of("expected shape " + Shapes.format(shape) + ", got " + Shapes.format(actualShape)
            + " (dimension " + i + " is " + actualShape[i] + ", must be " + shape[i] + ")");
      }
    }
    return Optional.empty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec s && name.equals(s.name) && datatype == s.datatype && Arrays.equals(shape, s.shape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, datatype, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return name + " (" + describe() + ")";
  }
}
