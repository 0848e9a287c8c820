package io.modelgate.server.onnx;

import ai.onnxruntime.TensorInfo.OnnxTensorType;
import io.modelgate.server.tensor.Datatype;
import java.util.Optional;

/** ONNX tensor element types and the protocol's datatypes, both ways. */
final class OnnxTypes {
  private OnnxTypes() {
  }

  /** The protocol's datatype for an ONNX element type; empty for those it has none for (BF16, FP8, complex). */
  static Optional<Datatype> datatypeOf(OnnxTensorType onnx) {
    return Optional.ofNullable(switch (onnx) {
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL -> Datatype.BOOL;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> Datatype.UINT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 -> Datatype.UINT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 -> Datatype.UINT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 -> Datatype.UINT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> Datatype.INT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 -> Datatype.INT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> Datatype.INT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> Datatype.INT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 -> Datatype.FP16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> Datatype.FP32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE -> Datatype.FP64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING -> Datatype.BYTES;
      default -> null;
    });
  }

  /**
   * Whether ONNX Runtime's Java API can create an input tensor of this datatype. It has no unsigned 16-,
   * 32- or 64-bit tensors (OnnxJavaType stops at UINT8): such a model's outputs can be read, its inputs
   * cannot be fed.
   */
  static boolean feedable(Datatype datatype) {
    return datatype != Datatype.UINT16 && datatype != Datatype.UINT32 && datatype != Datatype.UINT64;
  }
}
