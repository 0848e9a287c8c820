package io.modelgate.server.v2;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Half;
import io.modelgate.server.tensor.Shapes;
import java.io.IOException;
import java.math.BigInteger;

/**
 * Reads one input's "data" into its carrier array, flat or nested, checking each element against the
 * datatype and the nesting against the shape as it goes: a request never allocates more than its shape
 * says, and never reaches the session with a value the datatype cannot hold.
 *
 * <p>Flat data is a single array of {@code product(shape)} values. Nested data mirrors the shape exactly:
 * an array at depth d has shape[d] elements and values sit at depth rank-1 (the protocol allows both).
 */
final class DataReader {
  private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  private final JsonParser p;
  private final String label;
  private final Datatype datatype;
  private final long[] shape;
  private final int count;
  private final Object data;
  private int seen;
  /** Depth at which the first value was found: 0 for flat data, rank-1 for nested; -1 before any value. */
  private int leafDepth = -1;

  private DataReader(JsonParser p, String label, Datatype datatype, long[] shape, int count) {
    this.p = p;
    this.label = label;
    this.datatype = datatype;
    this.shape = shape;
    this.count = count;
    this.data = datatype.allocate(count);
  }

  /**
   * Reads the array the parser stands on (its current token must be the one after "data":).
   *
   * @param count product(shape), already checked to be small enough to allocate
   */
  static Object read(JsonParser p, String label, Datatype datatype, long[] shape, int count) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new BadRequestException(label + ": \"data\" must be an array of " + datatype + " values, got " + describe(p));
    }
    DataReader r = new DataReader(p, label, datatype, shape, count);
    r.array(0);
    if (r.seen != count) {
      throw new BadRequestException(label + ": shape " + Shapes.format(shape) + " needs " + count
          + " elements, data has " + r.seen);
    }
    if (r.leafDepth > 0 && r.leafDepth != shape.length - 1) {
      throw new BadRequestException(label + ": data is nested " + (r.leafDepth + 1) + " deep but shape "
          + Shapes.format(shape) + " has rank " + shape.length + "; send it flat or nested like the shape");
    }
    return r.data;
  }

  private void array(int depth) throws IOException {
    int length = 0;
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t == null) {
        throw new BadRequestException(label + ": data ends before its array is closed");
      }
      if (t == JsonToken.START_ARRAY) {
        if (leafDepth >= 0 && depth + 1 > leafDepth) {
          throw mixed();
        }
        array(depth + 1);
      } else {
        if (leafDepth < 0) {
          leafDepth = depth;
        } else if (leafDepth != depth) {
          throw mixed();
        }
        element(t);
      }
      length++;
    }
    // Nested data must mirror the shape; flat data is checked only by its total count.
    boolean nested = depth > 0 || leafDepth > 0;
    if (nested) {
      if (depth >= shape.length) {
        throw new BadRequestException(label + ": data is nested deeper than shape " + Shapes.format(shape)
            + " (rank " + shape.length + ")");
      }
      if (length != shape[depth]) {
        throw new BadRequestException(label + ": nested data does not match shape " + Shapes.format(shape)
            + " (an array at depth " + (depth + 1) + " has " + length + " elements, expected " + shape[depth] + ")");
      }
    }
  }

  private BadRequestException mixed() {
    return new BadRequestException(label + ": data mixes values and arrays at the same depth; send it flat "
        + "(one array of values, row-major) or nested like shape " + Shapes.format(shape));
  }

  private void element(JsonToken t) throws IOException {
    int i = seen++;
    if (i >= count) {
      // Keep counting (the message says how many there were) but store nothing past the shape.
      return;
    }
    switch (datatype) {
      case BOOL -> {
        if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
          ((boolean[]) data)[i] = t == JsonToken.VALUE_TRUE;
        } else {
          throw wrong(i, "true or false");
        }
      }
      case FP32 -> {
        float v = number(i, t).getFloatValue();
        if (Float.isInfinite(v)) {
          throw outOfRange(i);
        }
        ((float[]) data)[i] = v;
      }
      case FP64 -> {
        double v = number(i, t).getDoubleValue();
        if (Double.isInfinite(v)) {
          throw outOfRange(i);
        }
        ((double[]) data)[i] = v;
      }
      case FP16 -> {
        short h = Half.fromFloat(number(i, t).getFloatValue());
        if ((h & 0x7fff) == 0x7c00) { // JSON has no Infinity: only a value past FP16's range rounds to it
          throw outOfRange(i);
        }
        ((short[]) data)[i] = h;
      }
      case INT8 -> ((byte[]) data)[i] = (byte) integer(i, t, Byte.MIN_VALUE, Byte.MAX_VALUE);
      case UINT8 -> ((byte[]) data)[i] = (byte) integer(i, t, 0, 0xff);
      case INT16 -> ((short[]) data)[i] = (short) integer(i, t, Short.MIN_VALUE, Short.MAX_VALUE);
      case UINT16 -> ((short[]) data)[i] = (short) integer(i, t, 0, 0xffff);
      case INT32 -> ((int[]) data)[i] = (int) integer(i, t, Integer.MIN_VALUE, Integer.MAX_VALUE);
      case UINT32 -> ((int[]) data)[i] = (int) integer(i, t, 0, 0xffffffffL);
      case INT64 -> ((long[]) data)[i] = integer(i, t, Long.MIN_VALUE, Long.MAX_VALUE);
      case UINT64 -> ((long[]) data)[i] = unsigned64(i, t);
      case BYTES -> {
        if (t != JsonToken.VALUE_STRING) {
          throw wrong(i, "a string");
        }
        ((String[]) data)[i] = p.getText();
      }
    }
  }

  private JsonParser number(int i, JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
      throw wrong(i, "a number");
    }
    return p;
  }

  private long integer(int i, JsonToken t, long min, long max) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw wrong(i, "an integer");
    }
    long v;
    try {
      v = p.getLongValue();
    } catch (InputCoercionException e) {
      throw outOfRange(i);
    }
    if (v < min || v > max) {
      throw outOfRange(i);
    }
    return v;
  }

  private long unsigned64(int i, JsonToken t) throws IOException {
    if (t != JsonToken.VALUE_NUMBER_INT) {
      throw wrong(i, "an integer");
    }
    BigInteger v = p.getBigIntegerValue();
    if (v.signum() < 0 || v.compareTo(UINT64_MAX) > 0) {
      throw outOfRange(i);
    }
    return v.longValue(); // the low 64 bits: the unsigned value's bit pattern
  }

  private BadRequestException wrong(int i, String expected) throws IOException {
    return new BadRequestException(label + ": data[" + i + "] is " + describe(p) + ", expected " + expected
        + " (" + datatype + ")");
  }

  private BadRequestException outOfRange(int i) throws IOException {
    return new BadRequestException(label + ": data[" + i + "] = " + abbreviate(p.getText())
        + " is out of range for " + datatype);
  }

  static String describe(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) {
      return "nothing";
    }
    return switch (t) {
      case START_OBJECT -> "an object";
      case START_ARRAY -> "an array";
      case VALUE_STRING -> "\"" + abbreviate(p.getText()) + "\"";
      case VALUE_NULL -> "null";
      default -> abbreviate(p.getText());
    };
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
