package io.modelgate.server.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorTest {

  @Test
  void refuses_data_when_its_length_is_not_the_shapes_element_count() {
    assertThatThrownBy(() -> Tensor.ofFloats("x", new long[] {2, 3}, 1, 2, 3))
        .hasMessage("tensor 'x': shape [2, 3] holds 6 elements, data has 3");
  }

  @Test
  void refuses_a_carrier_when_it_is_not_the_datatypes() {
    assertThatThrownBy(() -> Tensor.of("x", Datatype.FP64, new long[] {1}, new float[] {1}))
        .hasMessage("tensor 'x': FP64 is carried in double[], not float[]");
  }

  @Test
  void refuses_a_variable_dimension_when_building_a_concrete_tensor() {
    assertThatThrownBy(() -> Tensor.ofFloats("x", new long[] {-1, 2}, 1, 2))
        .hasMessageContaining("has a negative dimension");
  }

  @Test
  void holds_one_element_when_the_shape_is_a_scalar() {
    assertThat(Tensor.ofLongs("x", new long[0], 42).elementCount()).isEqualTo(1);
  }

  @Test
  void compares_contents_when_two_tensors_have_different_arrays() {
    assertThat(Tensor.ofFloats("x", new long[] {2}, 1, 2)).isEqualTo(Tensor.ofFloats("x", new long[] {2}, 1, 2));
    assertThat(Tensor.ofFloats("x", new long[] {2}, 1, 2)).isNotEqualTo(Tensor.ofFloats("x", new long[] {2}, 1, 3));
  }
}
