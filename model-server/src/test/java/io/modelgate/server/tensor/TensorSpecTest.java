package io.modelgate.server.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TensorSpecTest {
  private final TensorSpec irisInput = TensorSpec.of("float_input", Datatype.FP32, -1, 4);

  @Test
  void accepts_any_size_when_the_dimension_is_variable() {
    assertThat(irisInput.mismatch(Datatype.FP32, new long[] {1, 4})).isEmpty();
    assertThat(irisInput.mismatch(Datatype.FP32, new long[] {150, 4})).isEmpty();
    assertThat(irisInput.mismatch(Datatype.FP32, new long[] {0, 4})).isEmpty();
  }

  @Test
  void names_both_datatypes_when_they_differ() {
    assertThat(irisInput.mismatch(Datatype.INT64, new long[] {1, 4})).contains("expected datatype FP32, got INT64");
  }

  @Test
  void names_both_ranks_when_they_differ() {
    assertThat(irisInput.mismatch(Datatype.FP32, new long[] {4}))
        .contains("expected shape [-1, 4] (rank 2), got [4] (rank 1)");
  }

  @Test
  void names_the_dimension_when_a_fixed_one_differs() {
    assertThat(irisInput.mismatch(Datatype.FP32, new long[] {2, 3}))
        .contains("expected shape [-1, 4], got [2, 3] (dimension 1 is 3, must be 4)");
  }

  @Test
  void has_a_batch_dimension_only_when_the_first_dimension_is_variable() {
    assertThat(irisInput.hasBatchDimension()).isTrue();
    assertThat(TensorSpec.of("x", Datatype.FP32, 1, 3).hasBatchDimension()).isFalse();
    assertThat(TensorSpec.of("x", Datatype.FP32).hasBatchDimension()).isFalse();
  }

  @Test
  void describes_itself_as_datatype_and_shape() {
    assertThat(irisInput.describe()).isEqualTo("FP32 [-1, 4]");
    assertThat(irisInput).hasToString("float_input (FP32 [-1, 4])");
  }
}
