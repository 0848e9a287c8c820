package io.modelgate.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Half;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.tensor.TensorSpec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading requests: every datatype, flat and nested data, and every way a request is refused. */
class V2JsonReadTest {
  private final V2Json json = new V2Json();

  private static final ModelMetadata IRIS = new ModelMetadata("iris", Optional.of("1"), "onnxruntime_onnx",
      List.of(TensorSpec.of("float_input", Datatype.FP32, -1, 4)),
      List.of(TensorSpec.of("label", Datatype.INT64, -1), TensorSpec.of("probabilities", Datatype.FP32, -1, 3)));

  private static ModelMetadata oneInput(Datatype datatype, long... shape) {
    return new ModelMetadata("m", Optional.empty(), "onnxruntime_onnx",
        List.of(TensorSpec.of("x", datatype, shape)), List.of(TensorSpec.of("y", Datatype.FP32, -1)));
  }

  private InferRequest read(String body, ModelMetadata model) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return json.readInferRequest(bytes, bytes.length, model);
  }

  private Tensor readX(Datatype datatype, String shape, String data) {
    return read("{\"inputs\":[{\"name\":\"x\",\"shape\":" + shape + ",\"datatype\":\"" + datatype + "\",\"data\":" + data + "}]}",
        oneInput(datatype, -1, 2)).inputs().get("x");
  }

  private AbstractThrowableAssert<?, ? extends Throwable> refusing(String body, ModelMetadata model) {
    return assertThatThrownBy(() -> read(body, model)).isInstanceOf(BadRequestException.class);
  }

  private AbstractThrowableAssert<?, ? extends Throwable> refusingIris(String input) {
    return refusing("{\"inputs\":[" + input + "]}", IRIS);
  }

  // ---- every datatype, into its carrier

  @Test
  void reads_bool_when_data_is_true_and_false() {
    assertThat(readX(Datatype.BOOL, "[1,2]", "[true,false]").data()).isEqualTo(new boolean[] {true, false});
  }

  @Test
  void reads_unsigned_integers_into_their_bit_patterns_when_up_to_the_types_maximum() {
    assertThat(readX(Datatype.UINT8, "[1,2]", "[0,255]").data()).isEqualTo(new byte[] {0, (byte) 255});
    assertThat(readX(Datatype.UINT16, "[1,2]", "[1,65535]").data()).isEqualTo(new short[] {1, (short) 65535});
    assertThat(readX(Datatype.UINT32, "[1,2]", "[2,4294967295]").data()).isEqualTo(new int[] {2, -1});
    assertThat(readX(Datatype.UINT64, "[1,2]", "[3,18446744073709551615]").data()).isEqualTo(new long[] {3, -1});
  }

  @Test
  void reads_signed_integers_when_within_range() {
    assertThat(readX(Datatype.INT8, "[1,2]", "[-128,127]").data()).isEqualTo(new byte[] {-128, 127});
    assertThat(readX(Datatype.INT16, "[1,2]", "[-32768,32767]").data()).isEqualTo(new short[] {-32768, 32767});
    assertThat(readX(Datatype.INT32, "[1,2]", "[-2147483648,2147483647]").data())
        .isEqualTo(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE});
    assertThat(readX(Datatype.INT64, "[1,2]", "[-9223372036854775808,9223372036854775807]").data())
        .isEqualTo(new long[] {Long.MIN_VALUE, Long.MAX_VALUE});
  }

  @Test
  void reads_floating_point_when_numbers_have_fractions_or_none() {
    assertThat(readX(Datatype.FP32, "[1,2]", "[5.1,3]").data()).isEqualTo(new float[] {5.1f, 3f});
    assertThat(readX(Datatype.FP64, "[1,2]", "[0.1,-2e300]").data()).isEqualTo(new double[] {0.1, -2e300});
    assertThat(readX(Datatype.FP16, "[1,2]", "[1.5,-65504]").data())
        .isEqualTo(new short[] {Half.fromFloat(1.5f), Half.fromFloat(-65504f)});
  }

  @Test
  void reads_bytes_when_data_is_strings() {
    assertThat(readX(Datatype.BYTES, "[1,2]", "[\"a\",\"bé\"]").data()).isEqualTo(new String[] {"a", "bé"});
  }

  // ---- flat and nested

  @Test
  void reads_the_same_tensor_when_data_is_nested_or_flat() {
    String flat = "{\"inputs\":[{\"name\":\"float_input\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6,7,8]}]}";
    String nested = "{\"inputs\":[{\"name\":\"float_input\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[[1,2,3,4],[5,6,7,8]]}]}";
    Tensor expected = Tensor.ofFloats("float_input", new long[] {2, 4}, 1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(read(flat, IRIS).inputs().get("float_input")).isEqualTo(expected);
    assertThat(read(nested, IRIS).inputs().get("float_input")).isEqualTo(expected);
  }

  @Test
  void reads_nested_data_when_it_mirrors_a_rank_three_shape() {
    ModelMetadata m = oneInput(Datatype.INT32, -1, 2, 2);
    Tensor t = read("{\"inputs\":[{\"name\":\"x\",\"shape\":[2,2,2],\"datatype\":\"INT32\",\"data\":[[[1,2],[3,4]],[[5,6],[7,8]]]}]}", m)
        .inputs().get("x");
    assertThat(t.data()).isEqualTo(new int[] {1, 2, 3, 4, 5, 6, 7, 8});
  }

  @Test
  void reads_data_when_it_comes_before_name_datatype_and_shape() {
    Tensor t = read("{\"inputs\":[{\"data\":[[1,2,3,4]],\"shape\":[1,4],\"datatype\":\"FP32\",\"name\":\"float_input\"}]}", IRIS)
        .inputs().get("float_input");
    assertThat(t).isEqualTo(Tensor.ofFloats("float_input", new long[] {1, 4}, 1, 2, 3, 4));
  }

  @Test
  void refuses_nested_data_when_a_row_is_shorter_than_the_shape() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[[1,2,3],[4,5,6,7,8]]}")
        .hasMessage("input 'float_input': nested data does not match shape [2, 4] (an array at depth 2 has 3 elements, expected 4)");
  }

  @Test
  void refuses_data_when_it_mixes_values_and_arrays() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4,[5,6,7,8]]}")
        .hasMessageStartingWith("input 'float_input': data mixes values and arrays at the same depth");
  }

  @Test
  void refuses_nested_data_when_it_is_deeper_than_the_shape() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[[[1,2,3,4]]]}")
        .hasMessageContaining("nested");
  }

  // ---- checked against the model

  @Test
  void names_the_input_and_both_datatypes_when_the_datatype_is_wrong() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[1,2,3,4]}")
        .hasMessage("input 'float_input': expected datatype FP32, got INT64");
  }

  @Test
  void refuses_the_datatype_before_reading_data_when_data_would_not_parse_as_it() {
    // Floats sent as INT64 would fail as "expected an integer": the datatype is the real mistake.
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[5.1,3.5,1.4,0.2]}")
        .hasMessage("input 'float_input': expected datatype FP32, got INT64");
  }

  @Test
  void names_the_expected_shape_when_the_rank_is_wrong() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}")
        .hasMessage("input 'float_input': expected shape [-1, 4] (rank 2), got [4] (rank 1)");
  }

  @Test
  void names_the_dimension_when_a_fixed_dimension_is_wrong() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[2,3],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6]}")
        .hasMessage("input 'float_input': expected shape [-1, 4], got [2, 3] (dimension 1 is 3, must be 4)");
  }

  @Test
  void says_how_many_elements_when_data_does_not_fill_the_shape() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6,7]}")
        .hasMessage("input 'float_input': shape [2, 4] needs 8 elements, data has 7");
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6,7]}")
        .hasMessage("input 'float_input': shape [1, 4] needs 4 elements, data has 7");
  }

  @Test
  void refuses_a_shape_when_the_body_could_not_hold_its_elements() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[1000000000,4],\"datatype\":\"FP32\",\"data\":[1]}")
        .hasMessageStartingWith("input 'float_input': shape [1000000000, 4] needs 4000000000 elements, more than a body of");
  }

  @Test
  void lists_the_models_inputs_when_an_input_is_unknown() {
    refusingIris("{\"name\":\"sepal\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}")
        .hasMessage("unknown input 'sepal'; the model's inputs are float_input (FP32 [-1, 4])");
  }

  @Test
  void names_the_missing_input_and_what_it_takes_when_one_is_missing() {
    ModelMetadata two = new ModelMetadata("m", Optional.empty(), "onnxruntime_onnx",
        List.of(TensorSpec.of("a", Datatype.FP32, -1), TensorSpec.of("b", Datatype.INT64, -1)),
        List.of(TensorSpec.of("y", Datatype.FP32, -1)));
    refusing("{\"inputs\":[{\"name\":\"a\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}", two)
        .hasMessage("missing input 'b' (INT64 [-1])");
  }

  @Test
  void refuses_a_request_when_it_has_no_inputs() {
    refusing("{\"inputs\":[]}", IRIS).hasMessage("the request has no inputs; the model expects float_input (FP32 [-1, 4])");
    refusing("{\"id\":\"1\"}", IRIS).hasMessageStartingWith("the request has no inputs");
  }

  @Test
  void refuses_an_input_when_it_appears_twice() {
    String x = "{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}";
    refusingIris(x + "," + x).hasMessage("input 'float_input' appears twice");
  }

  @Test
  void names_what_is_missing_when_an_input_lacks_a_field() {
    refusingIris("{\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}")
        .hasMessageStartingWith("inputs[0] has no \"name\"");
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"data\":[1,2,3,4]}")
        .hasMessage("input 'float_input' has no \"datatype\"; expected FP32");
    refusingIris("{\"name\":\"float_input\",\"datatype\":\"FP32\",\"data\":[1,2,3,4]}")
        .hasMessage("input 'float_input' has no \"shape\"; expected [-1, 4]");
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\"}")
        .hasMessage("input 'float_input' has no \"data\"");
  }

  @Test
  void refuses_a_shape_when_it_has_negative_or_fractional_dimensions() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[-1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}")
        .hasMessage("input 'float_input': \"shape\" must be an array of non-negative integers, found -1");
    refusingIris("{\"name\":\"float_input\",\"shape\":[1.5,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}")
        .hasMessageContaining("\"shape\" must be an array of non-negative integers");
  }

  @Test
  void lists_datatypes_when_the_datatype_is_not_one() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FLOAT\",\"data\":[1,2,3,4]}")
        .hasMessageStartingWith("input 'float_input': unknown datatype 'FLOAT'; one of BOOL,")
        .hasMessageEndingWith("; expected FP32");
  }

  @Test
  void lists_the_models_outputs_when_an_asked_output_is_unknown() {
    refusing("{\"inputs\":[{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}],"
        + "\"outputs\":[{\"name\":\"scores\"}]}", IRIS)
        .hasMessage("unknown output 'scores'; the model's outputs are label, probabilities");
  }

  // ---- values that do not fit the datatype

  @Test
  void names_the_element_when_data_is_not_numeric() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,\"three\",4]}")
        .hasMessage("input 'float_input': data[2] is \"three\", expected a number (FP32)");
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,null,3,4]}")
        .hasMessage("input 'float_input': data[1] is null, expected a number (FP32)");
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,true,3,4]}")
        .hasMessage("input 'float_input': data[1] is true, expected a number (FP32)");
  }

  @ParameterizedTest
  @CsvSource({
      "INT8, 128", "INT8, -129", "UINT8, 256", "UINT8, -1", "INT16, 32768", "UINT16, 65536",
      "INT32, 2147483648", "UINT32, 4294967296", "UINT32, -1", "INT64, 9223372036854775808",
      "UINT64, 18446744073709551616", "UINT64, -1", "FP16, 65520", "FP32, 1e39", "FP64, 1e309"})
  void refuses_a_value_when_it_is_out_of_range_for_the_datatype(Datatype datatype, String value) {
    assertThatThrownBy(() -> readX(datatype, "[1,2]", "[0," + value + "]"))
        .isInstanceOf(BadRequestException.class)
        .hasMessage("input 'x': data[1] = " + value + " is out of range for " + datatype);
  }

  @Test
  void refuses_fractions_when_the_datatype_is_an_integer() {
    assertThatThrownBy(() -> readX(Datatype.INT64, "[1,2]", "[1,2.5]"))
        .hasMessage("input 'x': data[1] is 2.5, expected an integer (INT64)");
  }

  @Test
  void refuses_numbers_when_the_datatype_is_bool_or_bytes() {
    assertThatThrownBy(() -> readX(Datatype.BOOL, "[1,2]", "[true,1]"))
        .hasMessage("input 'x': data[1] is 1, expected true or false (BOOL)");
    assertThatThrownBy(() -> readX(Datatype.BYTES, "[1,2]", "[\"a\",1]"))
        .hasMessage("input 'x': data[1] is 1, expected a string (BYTES)");
  }

  // ---- not JSON, or not the protocol's shape of JSON

  @Test
  void says_where_when_the_json_is_malformed() {
    refusing("{\"inputs\":[{\"name\":\"float_input\",", IRIS).hasMessageStartingWith("malformed JSON: ");
    refusing("garbage", IRIS).hasMessageStartingWith("malformed JSON: ").hasMessageContaining("(line 1, column");
    refusing("", IRIS).hasMessageStartingWith("the request body must be a JSON object");
  }

  @Test
  void refuses_a_body_when_it_is_not_an_object() {
    refusing("[1,2,3]", IRIS).hasMessage("the request body must be a JSON object {\"inputs\": [...]}, got an array");
  }

  @Test
  void refuses_trailing_content_when_the_object_is_followed_by_more() {
    refusing("{\"inputs\":[{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]} {}", IRIS)
        .hasMessage("unexpected content after the request's JSON object");
  }

  @Test
  void refuses_data_when_it_is_not_an_array() {
    refusingIris("{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":\"1,2,3,4\"}")
        .hasMessage("input 'float_input': \"data\" must be an array of FP32 values, got \"1,2,3,4\"");
  }

  // ---- what a good request carries along

  @Test
  void keeps_the_id_and_the_asked_outputs_when_the_request_has_them() {
    InferRequest r = read("{\"id\":\"r-1\",\"parameters\":{\"x\":1},\"inputs\":[{\"name\":\"float_input\",\"shape\":[1,4],"
        + "\"datatype\":\"FP32\",\"parameters\":{},\"data\":[1,2,3,4]}],\"outputs\":[{\"name\":\"label\",\"parameters\":{\"binary_data\":false}}]}", IRIS);
    assertThat(r.id()).contains("r-1");
    assertThat(r.outputs()).containsExactly("label");
  }

  @Test
  void ignores_fields_when_the_protocol_does_not_define_them() {
    InferRequest r = read("{\"inputs\":[{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4],"
        + "\"extra\":[[1]]}],\"whatever\":{\"a\":[1,2]}}", IRIS);
    assertThat(r.id()).isEmpty();
    assertThat(r.outputs()).isEmpty();
  }
}
