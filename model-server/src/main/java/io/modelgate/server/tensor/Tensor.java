package io.modelgate.server.tensor;

import java.lang.reflect.Array;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor: datatype, shape and its elements flat in row-major order in the datatype's carrier array.
 *
 * <p>Neither array is copied (requests carry megabytes); whoever builds a tensor hands its arrays over and
 * does not change them afterwards. {@code equals} compares contents, not array identity.
 */
public record Tensor(String name, Datatype datatype, long[] shape, Object data) {

  public Tensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor '" + name + "': shape " + Shapes.format(shape)
            + " has a negative dimension; a tensor's shape is concrete");
      }
    }
    if (data.getClass() != datatype.carrier()) {
      throw new IllegalArgumentException("tensor '" + name + "': " + datatype + " is carried in "
          + datatype.carrier().getSimpleName() + ", not " + data.getClass().getSimpleName());
    }
    long expected = Shapes.elementCount(shape);
    int actual = Array.getLength(data);
    if (expected != actual) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Shapes.format(shape) + " holds "
          + expected + " elements, data has " + actual);
    }
  }

  public static Tensor of(String name, Datatype datatype, long[] shape, Object data) {
    return new Tensor(name, datatype, shape, data);
  }

  public static Tensor ofFloats(String name, long[] shape, float... data) {
    return new Tensor(name, Datatype.FP32, shape, data);
  }

  public static Tensor ofLongs(String name, long[] shape, long... data) {
    return new Tensor(name, Datatype.INT64, shape, data);
  }

  public int elementCount() {
    return Array.getLength(data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t && name.equals(t.name) && datatype == t.datatype
        && Arrays.equals(shape, t.shape) && Objects.deepEquals(data, t.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, datatype, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return "Tensor[" + name + " " + datatype + " " + Shapes.format(shape) + "]";
  }
}
