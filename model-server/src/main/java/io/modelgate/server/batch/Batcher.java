package io.modelgate.server.batch;

import io.modelgate.server.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Dynamic batching: concurrent requests are stacked on their first dimension into one run of the model
 * and the outputs split again, so a model that is cheaper per row in bulk (most are) serves more rows.
 *
 * <p>One thread collects and runs batches. It takes a request, then more until the batch holds
 * {@link BatchPolicy#maxBatchSize()} rows or {@link BatchPolicy#maxDelay()} has passed since that first
 * request arrived, or until no request is on its way: none queued and none {@linkplain #announce() announced}
 * (its body still being read). Waiting for requests that have not reached the server only adds latency:
 * with 8 clients each waiting for its answer, a batch of 32 never fills, and every request would wait out
 * the whole delay. While a batch runs the next one gathers in the queue, so under load batches fill without
 * waiting. One run at a time is deliberate: ONNX Runtime already spreads one run over every core.
 * Requests whose shapes cannot be stacked with the others run alone.
 *
 * <p>A request that finds nothing queued, nothing on its way and no run going runs at once on its own
 * thread: with a single client, handing it to the batcher thread and back cost a quarter of the
 * throughput for nothing.
 */
public final class Batcher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Batcher.class.getName());

  /** Runs the model once; the batcher's only view of it. */
  @FunctionalInterface
  public interface Runner {
    /**
     * @param outputs the outputs wanted, empty for all
     * @throws RuntimeException any failure, passed on to the request's caller as it is
     */
    Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> outputs);
  }

  /** A request waiting for its batch. */
  static class Pending {
    final Map<String, Tensor> inputs;
    final Set<String> outputs;
    final int rows;
    final Batches.Key key;
    final long arrivedNanos;
    final CompletableFuture<Map<String, Tensor>> result = new CompletableFuture<>();

    Pending(Map<String, Tensor> inputs, Set<String> outputs, long arrivedNanos) {
      this.inputs = inputs;
      this.outputs = outputs;
      this.rows = Batches.rows(inputs);
      this.key = Batches.key(inputs, outputs);
      this.arrivedNanos = arrivedNanos;
    }
  }

  private final Runner runner;
  private final BatchPolicy policy;
  /** How often a waiting batch looks again whether announced requests are still on their way. */
  private static final long RECHECK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger announced = new AtomicInteger();
  /** Held by whoever runs the model: the batcher thread, or a caller that found the batcher idle. */
  private final Semaphore runPermit = new Semaphore(1);
  private final Thread thread;
  private volatile boolean closed;

  private Batcher(Runner runner, BatchPolicy policy) {
    this.runner = runner;
    this.policy = policy;
    this.thread = new Thread(this::loop, "batcher");
    this.thread.setDaemon(true);
  }

  public static Batcher start(Runner runner, BatchPolicy policy) {
    Batcher b = create(runner, policy);
    b.thread.start();
    return b;
  }

  /** A batcher whose thread has not started: tests queue requests first to get a known first batch. */
  static Batcher create(Runner runner, BatchPolicy policy) {
    return new Batcher(runner, policy);
  }

  void startThread() {
    thread.start();
  }

  int queued() {
    return queue.size();
  }

  /**
   * Says a request is on its way (its body is being read), so that a batch waits for it, up to the delay.
   * Close the handle just before calling {@link #infer}, or when the request is refused.
   */
  public Arrival announce() {
    announced.incrementAndGet();
    return new Arrival();
  }

  /** An announced request; {@link #close()} withdraws the announcement, once. */
  public final class Arrival implements AutoCloseable {
    private final AtomicBoolean open = new AtomicBoolean(true);

    private Arrival() {
    }

    @Override
    public void close() {
      if (open.compareAndSet(true, false)) {
        announced.decrementAndGet();
      }
    }
  }

  int announced() {
    return announced.get();
  }

  /**
   * Runs the request in the next batch and waits for its outputs.
   *
   * @throws RuntimeException what the runner threw for this request
   */
  public Map<String, Tensor> infer(Map<String, Tensor> inputs, Set<String> outputs) {
    if (closed) {
      throw new IllegalStateException("the server is shutting down");
    }
    if (queue.isEmpty() && announced.get() == 0 && runPermit.tryAcquire()) {
      try {
        return runner.run(inputs, outputs);
      } finally {
        runPermit.release();
      }
    }
    Pending p = new Pending(inputs, outputs, System.nanoTime());
    queue.add(p);
    try {
      return p.result.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a batch", e);
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    Pending p;
    while ((p = queue.poll()) != null) {
      p.result.completeExceptionally(new IllegalStateException("the server is shutting down"));
    }
  }

  private void loop() {
    List<Pending> window = new ArrayList<>();
    long maxDelay = policy.maxDelay().toNanos();
    int maxRows = policy.maxBatchSize();
    while (!closed) {
      Pending first = null;
      try {
        first = queue.take();
        // Wait for a caller running alone to finish; more requests gather meanwhile.
        runPermit.acquire();
      } catch (InterruptedException e) {
        if (first != null) {
          first.result.completeExceptionally(new IllegalStateException("the server is shutting down"));
        }
        return;
      }
      try {
        window.add(first);
        if (first.key != null) {
          gather(window, first, maxRows, maxDelay);
        }
        for (List<Pending> run : Batches.group(window, maxRows)) {
          execute(run);
        }
      } catch (InterruptedException e) {
        window.forEach(p -> p.result.completeExceptionally(new IllegalStateException("the server is shutting down")));
        return;
      } finally {
        runPermit.release();
        window.clear();
      }
    }
  }

  /** Adds requests to the window until it is full, the delay is over, or nothing more is on its way. */
  private void gather(List<Pending> window, Pending first, int maxRows, long maxDelay) throws InterruptedException {
    int rows = first.rows;
    long deadline = first.arrivedNanos + maxDelay;
    while (rows < maxRows) {
      Pending next = queue.poll();
      if (next == null) {
        long wait = deadline - System.nanoTime();
        if (wait <= 0 || announced.get() == 0) {
          return;
        }
        next = queue.poll(Math.min(wait, RECHECK_NANOS), TimeUnit.NANOSECONDS);
        if (next == null) {
          continue;
        }
      }
      window.add(next);
      rows += Math.max(next.rows, 1);
    }
  }

  private void execute(List<Pending> run) {
    if (run.size() == 1) {
      runAlone(run.get(0));
      return;
    }
    long start = System.nanoTime();
    List<Map<String, Tensor>> parts;
    int[] rows = new int[run.size()];
    try {
      List<Map<String, Tensor>> inputs = new ArrayList<>(run.size());
      for (int i = 0; i < rows.length; i++) {
        inputs.add(run.get(i).inputs);
        rows[i] = run.get(i).rows;
      }
      parts = Batches.split(runner.run(Batches.stack(inputs), run.get(0).outputs), rows);
    } catch (RuntimeException e) {
      // One request's data can fail a whole batch (a value the graph rejects): run each alone so that
      // only that request fails.
      LOG.log(Level.FINE, e, () -> "batch of " + run.size() + " failed; running its requests one by one");
      run.forEach(this::runAlone);
      return;
    }
    for (int i = 0; i < rows.length; i++) {
      run.get(i).result.complete(parts.get(i));
    }
    if (LOG.isLoggable(Level.FINE)) {
      LOG.fine("batch of " + run.size() + " requests, " + java.util.Arrays.stream(rows).sum() + " rows, in "
          + (System.nanoTime() - start) / 1000 + " us");
    }
  }

  private void runAlone(Pending p) {
    try {
      p.result.complete(runner.run(p.inputs, p.outputs));
    } catch (RuntimeException e) {
      p.result.completeExceptionally(e);
    }
  }
}
