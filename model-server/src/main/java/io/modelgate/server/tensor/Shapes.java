package io.modelgate.server.tensor;

/** Shape arithmetic and the one way shapes are written in messages: "[-1, 4]". */
public final class Shapes {
  private Shapes() {
  }

  /** The product of the dimensions, 1 for a scalar; Long.MAX_VALUE when it overflows. */
  public static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d != 0 && n > Long.MAX_VALUE / d) {
        return Long.MAX_VALUE;
      }
      n *= d;
    }
    return n;
  }

  public static String format(long[] shape) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(shape[i]);
    }
    return b.append(']').toString();
  }
}
