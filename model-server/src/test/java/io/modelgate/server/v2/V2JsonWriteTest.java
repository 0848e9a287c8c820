package io.modelgate.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Half;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.tensor.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class V2JsonWriteTest {
  private final V2Json json = new V2Json();

  private String response(Tensor... outputs) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    json.writeInferResponse(new InferResponse("m", Optional.empty(), "id-1", List.of(outputs)), out);
    return out.toString(StandardCharsets.UTF_8);
  }

  private String data(Datatype datatype, Object data) throws IOException {
    String r = response(Tensor.of("y", datatype, new long[] {java.lang.reflect.Array.getLength(data)}, data));
    return r.substring(r.indexOf("\"data\":") + 7, r.indexOf("]}]}") + 1);
  }

  @Test
  void writes_name_id_and_flat_outputs_when_answering_an_inference() throws IOException {
    String r = response(Tensor.ofLongs("label", new long[] {2}, 0, 2),
        Tensor.ofFloats("probabilities", new long[] {2, 2}, 0.5f, 0.5f, 0.25f, 0.75f));
    assertThat(r).isEqualTo("{\"model_name\":\"m\",\"id\":\"id-1\",\"outputs\":["
        + "{\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[2],\"data\":[0,2]},"
        + "{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":[2,2],\"data\":[0.5,0.5,0.25,0.75]}]}");
  }

  @Test
  void writes_the_model_version_when_there_is_one() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    json.writeInferResponse(new InferResponse("iris", Optional.of("1"), "a", List.of()), out);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo("{\"model_name\":\"iris\",\"model_version\":\"1\",\"id\":\"a\",\"outputs\":[]}");
  }

  @Test
  void writes_unsigned_values_as_unsigned_numbers_when_their_bits_are_negative_in_java() throws IOException {
    assertThat(data(Datatype.UINT8, new byte[] {(byte) 255, 1})).isEqualTo("[255,1]");
    assertThat(data(Datatype.UINT16, new short[] {(short) 65535})).isEqualTo("[65535]");
    assertThat(data(Datatype.UINT32, new int[] {-1})).isEqualTo("[4294967295]");
    assertThat(data(Datatype.UINT64, new long[] {-1, 7})).isEqualTo("[18446744073709551615,7]");
  }

  @Test
  void writes_every_other_datatype_as_its_json_value() throws IOException {
    assertThat(data(Datatype.BOOL, new boolean[] {true, false})).isEqualTo("[true,false]");
    assertThat(data(Datatype.INT8, new byte[] {-128})).isEqualTo("[-128]");
    assertThat(data(Datatype.INT16, new short[] {-32768})).isEqualTo("[-32768]");
    assertThat(data(Datatype.INT32, new int[] {Integer.MIN_VALUE})).isEqualTo("[-2147483648]");
    assertThat(data(Datatype.INT64, new long[] {Long.MIN_VALUE})).isEqualTo("[-9223372036854775808]");
    assertThat(data(Datatype.FP16, new short[] {Half.fromFloat(1.5f)})).isEqualTo("[1.5]");
    assertThat(data(Datatype.FP32, new float[] {0.1f})).isEqualTo("[0.1]");
    assertThat(data(Datatype.FP64, new double[] {0.1})).isEqualTo("[0.1]");
    assertThat(data(Datatype.BYTES, new String[] {"a\"b"})).isEqualTo("[\"a\\\"b\"]");
  }

  @Test
  void writes_minus_one_for_variable_dimensions_when_describing_the_model() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    json.writeMetadata(new ModelMetadata("iris", Optional.of("1"), "onnxruntime_onnx",
        List.of(TensorSpec.of("float_input", Datatype.FP32, -1, 4)),
        List.of(TensorSpec.of("label", Datatype.INT64, -1))), out);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("{\"name\":\"iris\",\"versions\":[\"1\"],"
        + "\"platform\":\"onnxruntime_onnx\",\"inputs\":[{\"name\":\"float_input\",\"datatype\":\"FP32\",\"shape\":[-1,4]}],"
        + "\"outputs\":[{\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[-1]}]}");
  }

  @Test
  void writes_an_error_object_when_refusing() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    json.writeError("input 'x': \"bad\"", out);
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("{\"error\":\"input 'x': \\\"bad\\\"\"}");
  }

  @Test
  void round_trips_a_response_when_read_back_as_a_request() throws IOException {
    // What the server writes for FP32 must parse back to the same floats (shortest repr, no precision lost).
    float[] values = {0.9815833f, 0.018416734f, 1.4506359E-8f, 5.5977907E-5f};
    String r = response(Tensor.ofFloats("x", new long[] {1, 4}, values));
    String asRequest = "{\"inputs\":[" + r.substring(r.indexOf("[{") + 1, r.lastIndexOf("]}")) + "]}";
    ModelMetadata m = new ModelMetadata("m", Optional.empty(), "p", List.of(TensorSpec.of("x", Datatype.FP32, -1, 4)),
        List.of(TensorSpec.of("y", Datatype.FP32, -1)));
    byte[] bytes = asRequest.getBytes(StandardCharsets.UTF_8);
    assertThat(json.readInferRequest(bytes, bytes.length, m).inputs()).isEqualTo(Map.of("x",
        Tensor.ofFloats("x", new long[] {1, 4}, values)));
  }
}
