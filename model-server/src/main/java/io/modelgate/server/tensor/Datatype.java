package io.modelgate.server.tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The Open Inference Protocol's tensor datatypes, each with the Java array that carries its elements.
 *
 * <p>Unsigned types travel in the signed array of the same width (their bits, as ONNX Runtime hands them
 * over); FP16 travels as its IEEE half-precision bits in a {@code short[]}; BYTES as strings, since JSON
 * has no other way to carry them.
 *
 * @see <a href="https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md#tensor-data-types">tensor data types</a>
 */
public enum Datatype {
  BOOL(boolean[].class),
  UINT8(byte[].class),
  UINT16(short[].class),
  UINT32(int[].class),
  UINT64(long[].class),
  INT8(byte[].class),
  INT16(short[].class),
  INT32(int[].class),
  INT64(long[].class),
  FP16(short[].class),
  FP32(float[].class),
  FP64(double[].class),
  BYTES(String[].class);

  private static final String NAMES =
      Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));

  private final Class<?> carrier;

  Datatype(Class<?> carrier) {
    this.carrier = carrier;
  }

  /** The protocol's name ("FP32"), case-sensitive as the specification writes it. */
  public static Datatype parse(String name) {
    try {
      return valueOf(name);
    } catch (IllegalArgumentException | NullPointerException e) {
      String hint = name != null && !name.equals(name.toUpperCase(Locale.ROOT)) ? " (datatypes are upper case)" : "";
      throw new IllegalArgumentException("unknown datatype '" + name + "'" + hint + "; one of " + NAMES);
    }
  }

  /** The array class that holds this datatype's elements. */
  public Class<?> carrier() {
    return carrier;
  }

  /** A zeroed array of {@code length} elements of the carrier type. */
  public Object allocate(int length) {
    return java.lang.reflect.Array.newInstance(carrier.getComponentType(), length);
  }
}
