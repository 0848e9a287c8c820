package io.modelgate.server.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelgate.server.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchesTest {

  private static Map<String, Tensor> rows(int n, float start) {
    float[] data = new float[n * 2];
    for (int i = 0; i < data.length; i++) {
      data[i] = start + i;
    }
    return Map.of("x", Tensor.ofFloats("x", new long[] {n, 2}, data));
  }

  private static Batcher.Pending pending(Map<String, Tensor> inputs) {
    return new Batcher.Pending(inputs, Set.of(), 0);
  }

  @Test
  void counts_the_first_dimension_as_rows_when_inputs_agree_on_it() {
    Map<String, Tensor> two = new LinkedHashMap<>();
    two.put("a", Tensor.ofFloats("a", new long[] {3, 1}, 1, 2, 3));
    two.put("b", Tensor.ofLongs("b", new long[] {3}, 1, 2, 3));
    assertThat(Batches.rows(two)).isEqualTo(3);
  }

  @Test
  void cannot_stack_a_request_when_inputs_disagree_on_rows_or_are_scalars() {
    Map<String, Tensor> two = new LinkedHashMap<>();
    two.put("a", Tensor.ofFloats("a", new long[] {3, 1}, 1, 2, 3));
    two.put("b", Tensor.ofLongs("b", new long[] {1}, 1));
    assertThat(Batches.rows(two)).isEqualTo(-1);
    assertThat(Batches.key(two, Set.of())).isNull();
    assertThat(Batches.rows(Map.of("s", Tensor.ofFloats("s", new long[0], 1)))).isEqualTo(-1);
  }

  @Test
  void gives_equal_keys_when_only_the_row_count_differs() {
    assertThat(Batches.key(rows(1, 0), Set.of())).isEqualTo(Batches.key(rows(5, 0), Set.of()));
  }

  @Test
  void gives_different_keys_when_inner_shapes_or_asked_outputs_differ() {
    Map<String, Tensor> wide = Map.of("x", Tensor.ofFloats("x", new long[] {1, 3}, 1, 2, 3));
    assertThat(Batches.key(rows(1, 0), Set.of())).isNotEqualTo(Batches.key(wide, Set.of()));
    assertThat(Batches.key(rows(1, 0), Set.of())).isNotEqualTo(Batches.key(rows(1, 0), Set.of("label")));
  }

  @Test
  void stacks_rows_in_order_when_requests_share_a_key() {
    Map<String, Tensor> stacked = Batches.stack(List.of(rows(1, 0), rows(2, 10)));
    assertThat(stacked.get("x")).isEqualTo(Tensor.ofFloats("x", new long[] {3, 2}, 0, 1, 10, 11, 12, 13));
  }

  @Test
  void leaves_the_requests_tensors_alone_when_stacking() {
    Map<String, Tensor> one = rows(1, 0);
    Batches.stack(List.of(one, rows(2, 10)));
    assertThat(one.get("x").shape()).containsExactly(1, 2);
  }

  @Test
  void splits_every_output_back_by_each_requests_rows() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    out.put("label", Tensor.ofLongs("label", new long[] {3}, 7, 8, 9));
    out.put("p", Tensor.ofFloats("p", new long[] {3, 2}, 1, 2, 3, 4, 5, 6));
    List<Map<String, Tensor>> parts = Batches.split(out, new int[] {1, 2});
    assertThat(parts.get(0)).containsEntry("label", Tensor.ofLongs("label", new long[] {1}, 7))
        .containsEntry("p", Tensor.ofFloats("p", new long[] {1, 2}, 1, 2));
    assertThat(parts.get(1)).containsEntry("label", Tensor.ofLongs("label", new long[] {2}, 8, 9))
        .containsEntry("p", Tensor.ofFloats("p", new long[] {2, 2}, 3, 4, 5, 6));
  }

  @Test
  void refuses_to_split_when_an_output_does_not_follow_the_batch_dimension() {
    Map<String, Tensor> out = Map.of("total", Tensor.ofFloats("total", new long[] {1}, 42));
    assertThatThrownBy(() -> Batches.split(out, new int[] {1, 2}))
        .hasMessage("output 'total' has shape [1], not 3 rows like the batch");
  }

  @Test
  void groups_requests_by_key_in_arrival_order_when_shapes_differ() {
    Batcher.Pending a = pending(rows(1, 0));
    Batcher.Pending odd = pending(Map.of("x", Tensor.ofFloats("x", new long[] {1, 3}, 1, 2, 3)));
    Batcher.Pending b = pending(rows(1, 0));
    assertThat(Batches.group(List.of(a, odd, b), 8)).containsExactly(List.of(a, b), List.of(odd));
  }

  @Test
  void starts_a_new_run_when_the_next_request_would_pass_the_row_limit() {
    Batcher.Pending a = pending(rows(3, 0));
    Batcher.Pending b = pending(rows(3, 0));
    Batcher.Pending c = pending(rows(2, 0));
    assertThat(Batches.group(List.of(a, b, c), 5)).containsExactly(List.of(a), List.of(b, c));
  }

  @Test
  void runs_a_request_alone_when_it_alone_has_more_rows_than_the_limit() {
    Batcher.Pending big = pending(rows(9, 0));
    Batcher.Pending small = pending(rows(1, 0));
    assertThat(Batches.group(List.of(big, small), 4)).containsExactly(List.of(big), List.of(small));
  }
}
