package io.modelgate.server.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.TensorInfo.OnnxTensorType;
import io.modelgate.server.tensor.Datatype;
import org.junit.jupiter.api.Test;

class OnnxTypesTest {

  @Test
  void maps_each_onnx_element_type_to_the_protocol_datatype_of_the_same_name_and_width() {
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT)).contains(Datatype.FP32);
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE)).contains(Datatype.FP64);
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16)).contains(Datatype.FP16);
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING)).contains(Datatype.BYTES);
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL)).contains(Datatype.BOOL);
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64)).contains(Datatype.UINT64);
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8)).contains(Datatype.INT8);
  }

  @Test
  void has_no_datatype_when_the_protocol_has_none() {
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16)).isEmpty();
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX64)).isEmpty();
    assertThat(OnnxTypes.datatypeOf(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT8E4M3FN)).isEmpty();
  }

  @Test
  void feeds_every_datatype_but_the_wide_unsigned_ones() {
    for (Datatype d : Datatype.values()) {
      boolean wideUnsigned = d == Datatype.UINT16 || d == Datatype.UINT32 || d == Datatype.UINT64;
      assertThat(OnnxTypes.feedable(d)).as(d.name()).isEqualTo(!wideUnsigned);
    }
  }
}
