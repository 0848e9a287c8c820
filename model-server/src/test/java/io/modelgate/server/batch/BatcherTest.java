package io.modelgate.server.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelgate.server.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batcher with a fake session that doubles its input and records each run's row count. Requests are
 * queued before the batcher's thread starts, so which requests share the first batch is known.
 */
class BatcherTest {
  /** y = 2x, row by row, like any model whose outputs follow its batch dimension. */
  private final List<Integer> runRows = Collections.synchronizedList(new ArrayList<>());
  private Batcher batcher;
  /** Each caller blocks in infer(): the common pool has one thread on a two-core machine. */
  private final ExecutorService callers = Executors.newCachedThreadPool();

  private Map<String, Tensor> doubling(Map<String, Tensor> inputs, Set<String> outputs) {
    Tensor x = inputs.get("x");
    float[] in = (float[]) x.data();
    float[] out = new float[in.length];
    for (int i = 0; i < in.length; i++) {
      if (in[i] < 0) {
        throw new IllegalArgumentException("negative value " + in[i]);
      }
      out[i] = 2 * in[i];
    }
    runRows.add((int) x.shape()[0]);
    Map<String, Tensor> result = new LinkedHashMap<>();
    result.put("y", Tensor.ofFloats("y", x.shape(), out));
    return result;
  }

  private static Map<String, Tensor> row(float... values) {
    return Map.of("x", Tensor.ofFloats("x", new long[] {1, values.length}, values));
  }

  private CompletableFuture<Map<String, Tensor>> submit(Map<String, Tensor> inputs) throws InterruptedException {
    int before = batcher.queued();
    CompletableFuture<Map<String, Tensor>> f = CompletableFuture.supplyAsync(() -> batcher.infer(inputs, Set.of()), callers);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (batcher.queued() == before && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    return f;
  }

  /** Held while requests are queued before the thread starts: a request that finds the batcher idle and nothing on its way would run at once on its own thread. */
  private Batcher.Arrival hold;

  private Batcher created(Batcher.Runner runner, BatchPolicy policy) {
    Batcher b = Batcher.create(runner, policy);
    hold = b.announce();
    return b;
  }

  private void startThread() {
    batcher.startThread();
    hold.close();
  }

  @AfterEach
  void close() {
    if (batcher != null) {
      batcher.close();
    }
    callers.shutdownNow();
  }

  @Test
  void runs_queued_requests_as_one_batch_and_gives_each_its_own_rows() throws Exception {
    batcher = created(this::doubling, BatchPolicy.of(8, Duration.ofMillis(50)));
    var a = submit(row(1, 2));
    var b = submit(row(3, 4));
    var c = submit(row(5, 6));
    startThread();
    assertThat(a.get(5, TimeUnit.SECONDS).get("y")).isEqualTo(Tensor.ofFloats("y", new long[] {1, 2}, 2, 4));
    assertThat(b.get(5, TimeUnit.SECONDS).get("y")).isEqualTo(Tensor.ofFloats("y", new long[] {1, 2}, 6, 8));
    assertThat(c.get(5, TimeUnit.SECONDS).get("y")).isEqualTo(Tensor.ofFloats("y", new long[] {1, 2}, 10, 12));
    assertThat(runRows).containsExactly(3);
  }

  @Test
  void runs_a_full_batch_at_once_and_the_rest_in_the_next_when_more_rows_wait_than_fit() throws Exception {
    batcher = created(this::doubling, BatchPolicy.of(2, Duration.ofSeconds(5)));
    var a = submit(row(1));
    var b = submit(row(2));
    var c = submit(row(3));
    startThread();
    assertThat(a.get(2, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {2});
    assertThat(b.get(2, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {4});
    assertThat(c.get(2, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {6});
    // c does not wait out the 5 s delay: nothing else is on its way.
    assertThat(runRows).containsExactly(2, 1);
  }

  @Test
  void holds_the_batch_for_an_announced_request_when_the_batch_is_not_full() throws Exception {
    batcher = Batcher.start(this::doubling, BatchPolicy.of(8, Duration.ofSeconds(10)));
    Batcher.Arrival coming = batcher.announce();
    var a = CompletableFuture.supplyAsync(() -> batcher.infer(row(1), Set.of()), callers);
    Thread.sleep(100);
    assertThat(a).as("a waits for the announced request").isNotDone();
    var b = CompletableFuture.supplyAsync(() -> {
      coming.close();
      return batcher.infer(row(2), Set.of());
    }, callers);
    assertThat(a.get(5, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {2});
    assertThat(b.get(5, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {4});
    // The announcement was withdrawn just before b was queued: b joined a's batch, or (if the batcher looked in
    // between) ran right after it. Either way nobody waited out the 10 s delay.
    assertThat(runRows).isIn(List.of(2), List.of(1, 1));
  }

  @Test
  void runs_on_the_callers_thread_when_the_batcher_is_idle_and_nothing_is_on_its_way() {
    List<String> threads = Collections.synchronizedList(new ArrayList<>());
    batcher = Batcher.start((inputs, outputs) -> {
      threads.add(Thread.currentThread().getName());
      return doubling(inputs, outputs);
    }, BatchPolicy.of(8, Duration.ofSeconds(10)));
    assertThat(batcher.infer(row(1), Set.of()).get("y").data()).isEqualTo(new float[] {2});
    assertThat(threads).containsExactly(Thread.currentThread().getName());
  }

  @Test
  void runs_at_once_when_nothing_is_on_its_way() throws Exception {
    batcher = Batcher.start(this::doubling, BatchPolicy.of(8, Duration.ofSeconds(10)));
    long start = System.nanoTime();
    assertThat(batcher.infer(row(1), Set.of()).get("y").data()).isEqualTo(new float[] {2});
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void stops_waiting_when_the_delay_passes_and_the_announced_request_never_comes() throws Exception {
    batcher = Batcher.start(this::doubling, BatchPolicy.of(8, Duration.ofMillis(50)));
    Batcher.Arrival never = batcher.announce();
    long start = System.nanoTime();
    assertThat(batcher.infer(row(1), Set.of()).get("y").data()).isEqualTo(new float[] {2});
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(40), Duration.ofSeconds(5));
    never.close();
  }

  @Test
  void stops_waiting_when_an_announced_request_is_withdrawn() throws Exception {
    batcher = Batcher.start(this::doubling, BatchPolicy.of(8, Duration.ofSeconds(10)));
    Batcher.Arrival refused = batcher.announce();
    var a = CompletableFuture.supplyAsync(() -> batcher.infer(row(1), Set.of()), callers);
    Thread.sleep(50);
    refused.close();
    refused.close(); // twice: withdrawn once
    assertThat(a.get(5, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {2});
    assertThat(batcher.announced()).isZero();
  }

  @Test
  void runs_a_request_alone_when_its_shape_cannot_be_stacked_with_the_others() throws Exception {
    batcher = created(this::doubling, BatchPolicy.of(8, Duration.ofMillis(20)));
    var a = submit(row(1, 2));
    var odd = submit(row(1, 2, 3));
    var b = submit(row(3, 4));
    startThread();
    assertThat(odd.get(5, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {2, 4, 6});
    assertThat(a.get(5, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {2, 4});
    assertThat(b.get(5, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {6, 8});
    assertThat(runRows).containsExactly(2, 1);
  }

  @Test
  void fails_only_the_bad_request_when_its_data_fails_the_batch() throws Exception {
    batcher = created(this::doubling, BatchPolicy.of(8, Duration.ofMillis(20)));
    var good = submit(row(1));
    var bad = submit(row(-1));
    var alsoGood = submit(row(2));
    startThread();
    assertThat(good.get(5, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {2});
    assertThat(alsoGood.get(5, TimeUnit.SECONDS).get("y").data()).isEqualTo(new float[] {4});
    assertThatThrownBy(() -> bad.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("negative value -1.0");
    // The batch of three failed; each then ran alone.
    assertThat(runRows).containsExactly(1, 1);
  }

  @Test
  void runs_requests_alone_when_the_model_outputs_do_not_follow_the_batch() throws Exception {
    List<Integer> calls = Collections.synchronizedList(new ArrayList<>());
    Batcher.Runner summing = (inputs, outputs) -> {
      float[] x = (float[]) inputs.get("x").data();
      calls.add(x.length);
      float sum = 0;
      for (float v : x) {
        sum += v;
      }
      return Map.of("sum", Tensor.ofFloats("sum", new long[] {1}, sum));
    };
    batcher = created(summing, BatchPolicy.of(8, Duration.ofMillis(20)));
    var a = submit(row(1));
    var b = submit(row(2));
    startThread();
    assertThat(a.get(5, TimeUnit.SECONDS).get("sum").data()).isEqualTo(new float[] {1});
    assertThat(b.get(5, TimeUnit.SECONDS).get("sum").data()).isEqualTo(new float[] {2});
    assertThat(calls).containsExactly(2, 1, 1);
  }

  @Test
  void does_not_wait_for_the_delay_when_the_batch_is_already_full() throws Exception {
    batcher = Batcher.start(this::doubling, BatchPolicy.of(2, Duration.ofSeconds(10)));
    CountDownLatch go = new CountDownLatch(1);
    var a = CompletableFuture.supplyAsync(() -> {
      awaitQuietly(go);
      return batcher.infer(row(1), Set.of());
    }, callers);
    var b = CompletableFuture.supplyAsync(() -> {
      awaitQuietly(go);
      return batcher.infer(row(2), Set.of());
    }, callers);
    long start = System.nanoTime();
    go.countDown();
    a.get(5, TimeUnit.SECONDS);
    b.get(5, TimeUnit.SECONDS);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void refuses_new_requests_and_fails_queued_ones_when_closed() throws Exception {
    batcher = created(this::doubling, BatchPolicy.of(8, Duration.ofMillis(20)));
    var queued = submit(row(1));
    batcher.close();
    assertThatThrownBy(() -> queued.get(5, TimeUnit.SECONDS)).hasRootCauseMessage("the server is shutting down");
    assertThatThrownBy(() -> batcher.infer(row(1), Set.of())).hasMessage("the server is shutting down");
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
