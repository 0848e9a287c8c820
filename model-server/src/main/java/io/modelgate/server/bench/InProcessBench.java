package io.modelgate.server.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelgate.server.cgroup.CpuLimit;
import io.modelgate.server.onnx.OnnxModel;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The baseline for load-tests/server-bench.sh: the same model and the same inputs run in a plain
 * in-process ONNX Runtime loop (no HTTP, no JSON), one line of results per thread count:
 * {@code inprocess threads=N requests=... rps=... p50_ms=... p99_ms=...}.
 *
 * <pre>java -cp model-server.jar io.modelgate.server.bench.InProcessBench MODEL.onnx REQUEST.json SECONDS THREADS...</pre>
 *
 * Each iteration does what a caller of ORT must: build the input tensors from Java arrays, run, copy the
 * outputs out. Only FP32 inputs (what the benchmark models take). Session options are the server's
 * ({@link OnnxModel#sessionOptions}), with as many threads per run as the cgroup allows cores.
 */
public final class InProcessBench {
  private InProcessBench() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: InProcessBench MODEL.onnx REQUEST.json SECONDS THREADS...");
      System.exit(2);
    }
    Path model = Path.of(args[0]);
    Map<String, float[]> data = new HashMap<>();
    Map<String, long[]> shapes = new HashMap<>();
    readRequest(Path.of(args[1]), data, shapes);
    double seconds = Double.parseDouble(args[2]);
    int cores = CpuLimit.cores();

    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "bench");
    try (OrtSession.SessionOptions options = OnnxModel.sessionOptions(cores)) {
      try (OrtSession session = env.createSession(model.toString(), options)) {
        for (int i = 3; i < args.length; i++) {
          int threads = Integer.parseInt(args[i]);
          run(env, session, data, shapes, threads, Math.min(3, seconds / 3)); // warm-up: JIT, ORT's arena
          long[] latencies = run(env, session, data, shapes, threads, seconds);
          report(threads, latencies, seconds);
        }
      }
    }
  }

  private static long[] run(OrtEnvironment env, OrtSession session, Map<String, float[]> data,
                            Map<String, long[]> shapes, int threads, double seconds) throws InterruptedException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    List<long[]> perThread = new ArrayList<>();
    int[] counts = new int[threads];
    CountDownLatch done = new CountDownLatch(threads);
    List<Throwable> failures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long[] lat = new long[1 << 16];
      perThread.add(lat);
      int slot = t;
      Thread worker = new Thread(() -> {
        long[] l = lat;
        int n = 0;
        try {
          while (System.nanoTime() < deadline) {
            long start = System.nanoTime();
            once(env, session, data, shapes);
            if (n == l.length) {
              l = Arrays.copyOf(l, l.length * 2);
            }
            l[n++] = System.nanoTime() - start;
          }
        } catch (Throwable e) {
          synchronized (failures) {
            failures.add(e);
          }
        } finally {
          synchronized (perThread) {
            perThread.set(slot, l);
          }
          counts[slot] = n;
          done.countDown();
        }
      }, "bench-" + t);
      worker.start();
    }
    done.await();
    if (!failures.isEmpty()) {
      throw new IllegalStateException("a benchmark thread failed", failures.get(0));
    }
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int at = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(perThread.get(t), 0, all, at, counts[t]);
      at += counts[t];
    }
    return all;
  }

  private static void once(OrtEnvironment env, OrtSession session, Map<String, float[]> data,
                           Map<String, long[]> shapes) throws OrtException {
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try {
      for (var e : data.entrySet()) {
        feeds.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()), shapes.get(e.getKey())));
      }
      try (OrtSession.Result result = session.run(feeds)) {
        for (Map.Entry<String, OnnxValue> out : result) {
          OnnxTensor t = (OnnxTensor) out.getValue();
          // Copy the outputs out, as any caller that uses them must.
          var b = t.getByteBuffer();
          byte[] copy = new byte[b.remaining()];
          b.get(copy);
        }
      }
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  private static void report(int threads, long[] latencies, double seconds) {
    Arrays.sort(latencies);
    double p50 = latencies.length == 0 ? 0 : latencies[(int) (latencies.length * 0.50)] / 1e6;
    double p99 = latencies.length == 0 ? 0 : latencies[Math.min(latencies.length - 1, (int) (latencies.length * 0.99))] / 1e6;
    System.out.printf("inprocess threads=%d requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f%n",
        threads, latencies.length, latencies.length / seconds, p50, p99);
  }

  /** The FP32 inputs of a V2 request file, flattened. */
  private static void readRequest(Path file, Map<String, float[]> data, Map<String, long[]> shapes) throws IOException {
    JsonNode request = new ObjectMapper().readTree(file.toFile());
    for (JsonNode input : request.get("inputs")) {
      if (!input.get("datatype").asText().equals("FP32")) {
        throw new IllegalArgumentException("InProcessBench feeds FP32 inputs only; " + input.get("name") + " is "
            + input.get("datatype"));
      }
      List<Float> values = new ArrayList<>();
      flatten(input.get("data"), values);
      float[] f = new float[values.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = values.get(i);
      }
      long[] shape = new long[input.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = input.get("shape").get(i).asLong();
      }
      data.put(input.get("name").asText(), f);
      shapes.put(input.get("name").asText(), shape);
    }
  }

  private static void flatten(JsonNode node, List<Float> out) {
    if (node.isArray()) {
      node.forEach(n -> flatten(n, out));
    } else {
      out.add(node.floatValue());
    }
  }
}
