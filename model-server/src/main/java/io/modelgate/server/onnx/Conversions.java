package io.modelgate.server.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Tensors to ONNX Runtime values and back; the carrier arrays map one to one onto ORT's buffers (ORT copies
 * a heap buffer into native memory once, which is the one copy a request's data needs).
 */
final class Conversions {
  private Conversions() {
  }

  static OnnxTensor toOnnx(OrtEnvironment env, Tensor t) throws OrtException {
    long[] shape = t.shape();
    Object d = t.data();
    return switch (t.datatype()) {
      case FP32 -> OnnxTensor.createTensor(env, FloatBuffer.wrap((float[]) d), shape);
      case FP64 -> OnnxTensor.createTensor(env, DoubleBuffer.wrap((double[]) d), shape);
      case INT64 -> OnnxTensor.createTensor(env, LongBuffer.wrap((long[]) d), shape);
      case INT32 -> OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) d), shape);
      case INT16 -> OnnxTensor.createTensor(env, ShortBuffer.wrap((short[]) d), shape);
      case INT8 -> OnnxTensor.createTensor(env, ByteBuffer.wrap((byte[]) d), shape, OnnxJavaType.INT8);
      case UINT8 -> OnnxTensor.createTensor(env, ByteBuffer.wrap((byte[]) d), shape, OnnxJavaType.UINT8);
      case FP16 -> OnnxTensor.createTensor(env, ShortBuffer.wrap((short[]) d), shape, OnnxJavaType.FLOAT16);
      case BOOL -> OnnxTensor.createTensor(env, bools((boolean[]) d), shape, OnnxJavaType.BOOL);
      case BYTES -> OnnxTensor.createTensor(env, (String[]) d, shape);
      case UINT16, UINT32, UINT64 -> throw new IllegalArgumentException(
          "ONNX Runtime's Java API cannot create " + t.datatype() + " tensors (input '" + t.name() + "')");
    };
  }

  static Tensor fromOnnx(String name, Datatype datatype, OnnxTensor value) throws OrtException {
    long[] shape = value.getInfo().getShape();
    Object data = switch (datatype) {
      case FP32 -> copy(value.getFloatBuffer());
      case FP64 -> copy(value.getDoubleBuffer());
      case INT64, UINT64 -> copy(value.getLongBuffer());
      case INT32, UINT32 -> copy(value.getIntBuffer());
      case INT16, UINT16, FP16 -> copy(value.getShortBuffer());
      case INT8, UINT8 -> copy(value.getByteBuffer());
      case BOOL -> {
        byte[] bytes = copy(value.getByteBuffer());
        boolean[] b = new boolean[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
          b[i] = bytes[i] != 0;
        }
        yield b;
      }
      case BYTES -> strings(value.getValue(), (int) io.modelgate.server.tensor.Shapes.elementCount(shape));
    };
    return new Tensor(name, datatype, shape, data);
  }

  private static ByteBuffer bools(boolean[] d) {
    byte[] b = new byte[d.length];
    for (int i = 0; i < d.length; i++) {
      b[i] = (byte) (d[i] ? 1 : 0);
    }
    return ByteBuffer.wrap(b);
  }

  private static float[] copy(FloatBuffer b) {
    float[] a = new float[b.remaining()];
    b.get(a);
    return a;
  }

  private static double[] copy(DoubleBuffer b) {
    double[] a = new double[b.remaining()];
    b.get(a);
    return a;
  }

  private static long[] copy(LongBuffer b) {
    long[] a = new long[b.remaining()];
    b.get(a);
    return a;
  }

  private static int[] copy(IntBuffer b) {
    int[] a = new int[b.remaining()];
    b.get(a);
    return a;
  }

  private static short[] copy(ShortBuffer b) {
    short[] a = new short[b.remaining()];
    b.get(a);
    return a;
  }

  private static byte[] copy(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return a;
  }

  /** ORT hands string tensors back as nested String arrays (or one String for a scalar): flatten them. */
  private static String[] strings(Object value, int count) {
    String[] out = new String[count];
    int[] next = {0};
    flatten(value, out, next);
    return out;
  }

  private static void flatten(Object v, String[] out, int[] next) {
    if (v instanceof String s) {
      out[next[0]++] = s;
    } else if (v instanceof Object[] a) {
      for (Object o : a) {
        flatten(o, out, next);
      }
    }
  }
}
