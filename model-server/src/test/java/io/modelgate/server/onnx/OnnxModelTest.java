package io.modelgate.server.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Half;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.tensor.TensorSpec;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real ONNX Runtime on the fixtures of src/test/resources/onnx (made by make_fixtures.py): every
 * datatype goes in and comes back through an Identity, and the unsigned ones come out of a Cast.
 */
class OnnxModelTest {
  private static OnnxModel identity;

  static Path fixture(String name) {
    try {
      return Path.of(OnnxModelTest.class.getResource("/onnx/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeAll
  static void load() throws ModelLoadException {
    identity = OnnxModel.load(fixture("identity_all.onnx"), 1);
  }

  @AfterAll
  static void close() {
    identity.close();
  }

  @Test
  void maps_every_onnx_type_to_its_protocol_datatype_with_variable_dimensions_as_minus_one() {
    assertThat(identity.inputs()).containsExactlyInAnyOrder(
        TensorSpec.of("x_bool", Datatype.BOOL, -1, 2), TensorSpec.of("x_uint8", Datatype.UINT8, -1, 2),
        TensorSpec.of("x_int8", Datatype.INT8, -1, 2), TensorSpec.of("x_int16", Datatype.INT16, -1, 2),
        TensorSpec.of("x_int32", Datatype.INT32, -1, 2), TensorSpec.of("x_int64", Datatype.INT64, -1, 2),
        TensorSpec.of("x_fp16", Datatype.FP16, -1, 2), TensorSpec.of("x_fp32", Datatype.FP32, -1, 2),
        TensorSpec.of("x_fp64", Datatype.FP64, -1, 2), TensorSpec.of("x_bytes", Datatype.BYTES, -1, 2));
    assertThat(identity.outputs()).contains(TensorSpec.of("y_uint16", Datatype.UINT16, -1, 2),
        TensorSpec.of("y_uint32", Datatype.UINT32, -1, 2), TensorSpec.of("y_uint64", Datatype.UINT64, -1, 2));
  }

  @Test
  void returns_every_datatype_unchanged_when_run_through_identity() {
    long[] shape = {1, 2};
    Map<String, Tensor> in = new LinkedHashMap<>();
    in.put("x_bool", Tensor.of("x_bool", Datatype.BOOL, shape, new boolean[] {true, false}));
    in.put("x_uint8", Tensor.of("x_uint8", Datatype.UINT8, shape, new byte[] {(byte) 255, 0}));
    in.put("x_int8", Tensor.of("x_int8", Datatype.INT8, shape, new byte[] {-128, 127}));
    in.put("x_int16", Tensor.of("x_int16", Datatype.INT16, shape, new short[] {-32768, 32767}));
    in.put("x_int32", Tensor.of("x_int32", Datatype.INT32, shape, new int[] {Integer.MIN_VALUE, 7}));
    in.put("x_int64", Tensor.of("x_int64", Datatype.INT64, shape, new long[] {-1, 65535}));
    in.put("x_fp16", Tensor.of("x_fp16", Datatype.FP16, shape, new short[] {Half.fromFloat(1.5f), Half.fromFloat(-2f)}));
    in.put("x_fp32", Tensor.of("x_fp32", Datatype.FP32, shape, new float[] {0.1f, -3f}));
    in.put("x_fp64", Tensor.of("x_fp64", Datatype.FP64, shape, new double[] {0.1, 1e300}));
    in.put("x_bytes", Tensor.of("x_bytes", Datatype.BYTES, shape, new String[] {"a", "bé"}));

    Map<String, Tensor> out = identity.run(in, Set.of());

    in.forEach((name, t) -> assertThat(out.get("y" + name.substring(1)))
        .isEqualTo(Tensor.of("y" + name.substring(1), t.datatype(), shape, t.data())));
  }

  @Test
  void reads_unsigned_outputs_as_their_bit_patterns() {
    Map<String, Tensor> in = allZero(1);
    in.put("x_int64", Tensor.of("x_int64", Datatype.INT64, new long[] {1, 2}, new long[] {-1, 65535}));
    Map<String, Tensor> out = identity.run(in, Set.of("y_uint16", "y_uint32", "y_uint64"));
    assertThat(out.keySet()).containsExactly("y_uint16", "y_uint32", "y_uint64");
    assertThat(out.get("y_uint16").data()).isEqualTo(new short[] {-1, -1});
    assertThat(out.get("y_uint32").data()).isEqualTo(new int[] {-1, 65535});
    assertThat(out.get("y_uint64").data()).isEqualTo(new long[] {-1, 65535});
  }

  @Test
  void computes_only_the_asked_outputs_in_the_models_order() {
    Map<String, Tensor> out = identity.run(allZero(3), Set.of("y_fp32", "y_bool"));
    assertThat(out.keySet()).containsExactly("y_bool", "y_fp32");
    assertThat(out.get("y_fp32").shape()).containsExactly(3, 2);
  }

  @Test
  void refuses_a_model_when_an_input_is_unsigned_wider_than_eight_bits() {
    assertThatThrownBy(() -> OnnxModel.load(fixture("uint32_input.onnx"), 1))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageEndingWith("input 'x' is UINT32, which ONNX Runtime's Java API cannot create tensors of; make"
            + " the input INT64 (or INT32) and Cast it inside the model");
  }

  @Test
  void names_the_file_when_it_is_not_an_onnx_model(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.onnx"), "not a protobuf");
    assertThatThrownBy(() -> OnnxModel.load(junk, 1))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageStartingWith("ONNX Runtime cannot load " + junk + ": ");
  }

  @Test
  void names_the_file_when_it_does_not_exist(@TempDir Path dir) {
    assertThatThrownBy(() -> OnnxModel.load(dir.resolve("none.onnx"), 1))
        .hasMessage("model file " + dir.resolve("none.onnx") + " does not exist or is not a file");
  }

  @Test
  void reports_fixed_dimensions_when_the_model_has_no_batch_dimension() throws ModelLoadException {
    try (OnnxModel fixed = OnnxModel.load(fixture("fixed_batch.onnx"), 1)) {
      assertThat(fixed.inputs()).containsExactly(TensorSpec.of("x", Datatype.FP32, 1, 3));
      assertThat(fixed.run(Map.of("x", Tensor.ofFloats("x", new long[] {1, 3}, -1, 0, 2)), Set.of()).get("y").data())
          .isEqualTo(new float[] {0, 0, 2});
    }
  }

  private static Map<String, Tensor> allZero(int rows) {
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (TensorSpec s : identity.inputs()) {
      Object data = s.datatype().allocate(rows * 2);
      if (data instanceof String[] strings) {
        java.util.Arrays.fill(strings, "");
      }
      in.put(s.name(), Tensor.of(s.name(), s.datatype(), new long[] {rows, 2}, data));
    }
    return in;
  }

  @Test
  void strips_onnx_runtimes_error_code_prefix_when_reporting_its_message() {
    assertThat(OnnxModel.message(new ai.onnxruntime.OrtException(
        ai.onnxruntime.OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT, "Got invalid dimensions")))
        .isEqualTo("Got invalid dimensions");
  }
}
